// gzip decompression for the datasets Debian ships gzip'd (Fashion-MNIST).
// Natively it runs through zlib (gunzip__native.cpp); the WebAssembly build has
// no zlib (Emscripten's is a port that downloads), so there it reports that
// the file must be decompressed first (gunzip__wasm.cpp): the web build is
// given uncompressed datasets.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tensor/status.h"

namespace nl {

// True when this build can decompress gzip.
bool gunzip_supported();

// True when `bytes` start with the gzip magic number 1f 8b.
inline bool looks_gzipped(std::span<const uint8_t> bytes) {
  return bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

// Decompresses a gzip stream (one or more members). Fails, naming `source`,
// on corrupt or truncated data, on bytes after the last member, and when the
// output would exceed max_output_bytes (so a small hostile file cannot claim
// unbounded memory).
Result<std::vector<uint8_t>> gunzip(std::span<const uint8_t> compressed, uint64_t max_output_bytes,
                                    const std::string& source);

// Reads `path` and, when it starts with the gzip magic number, decompresses it;
// both the file and its decompressed contents are limited to max_bytes.
Result<std::vector<uint8_t>> read_possibly_gzipped_file(const std::string& path, uint64_t max_bytes);

}  // namespace nl
