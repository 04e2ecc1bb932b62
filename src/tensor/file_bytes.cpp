#include "tensor/file_bytes.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace nl {

FileState file_state(const std::string& path) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) return FileState::kMissing;
  return std::filesystem::is_regular_file(status) ? FileState::kRegularFile : FileState::kOther;
}

std::string describe_byte_count(uint64_t bytes) {
  char text[64];
  if (bytes < 10000) std::snprintf(text, sizeof text, "%llu bytes", static_cast<unsigned long long>(bytes));
  else if (bytes < 10000000) std::snprintf(text, sizeof text, "%.1f kB", static_cast<double>(bytes) / 1e3);
  else std::snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return text;
}

Result<std::vector<uint8_t>> read_file_bytes(const std::string& path, uint64_t max_bytes) {
  switch (file_state(path)) {
    case FileState::kMissing: return Status::Error(path + ": file not found");
    case FileState::kOther: return Status::Error(path + ": not a regular file");
    case FileState::kRegularFile: break;
  }
  std::error_code ec;
  uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) return Status::Error(path + ": cannot read its size (" + ec.message() + ")");
  if (size > max_bytes)
    return Status::Error(path + ": " + describe_byte_count(size) + " is larger than the limit of " +
                         describe_byte_count(max_bytes));
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error(path + ": cannot open for reading");
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  if (size > 0) in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
  if (static_cast<uint64_t>(in.gcount()) != size)
    return Status::Error(path + ": read " + std::to_string(in.gcount()) + " of " + std::to_string(size) + " bytes");
  return bytes;
}

Status write_file_bytes(const std::string& path, std::span<const uint8_t> bytes) {
  const std::string temporary = path + ".partial";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) return Status::Error(path + ": cannot open for writing");
    if (!bytes.empty()) out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      out.close();
      std::remove(temporary.c_str());
      return Status::Error(path + ": write failed after " + describe_byte_count(bytes.size()));
    }
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    std::remove(temporary.c_str());
    return Status::Error(path + ": cannot move the written file into place (" + ec.message() + ")");
  }
  return Status::Ok();
}

}  // namespace nl
