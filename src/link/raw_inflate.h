// Raw DEFLATE (RFC 1951, no zlib or gzip wrapper) for share links: the page's
// CompressionStream('deflate-raw') wrote the links made so far, and the
// WebAssembly build has no zlib (Emscripten's is a port that downloads).
// inflate_raw reads untrusted bytes: the output is capped (a link of 64 KB
// cannot expand to gigabytes), every code table is checked before use, back
// references must point into what was already written, and bytes after the
// final block are an error. deflate_raw is the matching writer: one block of
// fixed Huffman codes with greedy LZ77 matches, enough for a small JSON text.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "tensor/status.h"

namespace nl {

// Decompresses `compressed`; fails (saying why) on corrupt data, on data after
// the final block and when the output would exceed max_output bytes.
Result<std::vector<uint8_t>> inflate_raw(std::span<const uint8_t> compressed, size_t max_output);

// Compresses `bytes` into one final fixed-Huffman block.
std::vector<uint8_t> deflate_raw(std::span<const uint8_t> bytes);

}  // namespace nl
