#include "data/gunzip.h"

#include "tensor/file_bytes.h"

namespace nl {

Result<std::vector<uint8_t>> read_possibly_gzipped_file(const std::string& path, uint64_t max_bytes) {
  auto bytes = read_file_bytes(path, max_bytes);
  if (!bytes.ok() || !looks_gzipped(bytes.value())) return bytes;
  return gunzip(bytes.value(), max_bytes, path);
}

}  // namespace nl
