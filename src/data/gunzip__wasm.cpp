// gunzip in the WebAssembly build: unavailable (see gunzip.h).
#include "data/gunzip.h"

namespace nl {

bool gunzip_supported() { return false; }

Result<std::vector<uint8_t>> gunzip(std::span<const uint8_t>, uint64_t, const std::string& source) {
  return Status::Error(source + ": gzip'd files cannot be read in the WebAssembly build; decompress it first (gunzip -k)");
}

}  // namespace nl
