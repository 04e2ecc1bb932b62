// Whole-file reads and writes with a size limit and errors that name the file.
// Readers of untrusted formats (datasets, models) load the bytes once through
// read_file_bytes and then parse a span, so every parser can be tested on
// in-memory bytes and the web build can hand over bytes it fetched.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tensor/status.h"

namespace nl {

enum class FileState { kMissing, kRegularFile, kOther };

// Whether `path` exists and is a regular file (never throws).
FileState file_state(const std::string& path);

// Reads all of `path`. Fails with "<path>: ..." when the file is missing, is
// not a regular file, is larger than max_bytes, or cannot be read completely.
Result<std::vector<uint8_t>> read_file_bytes(const std::string& path, uint64_t max_bytes);

// Writes `bytes` to `path` through a temporary file renamed into place, so a
// failed write never leaves a half-written file under the final name.
Status write_file_bytes(const std::string& path, std::span<const uint8_t> bytes);

// "1.5 MB", "312 bytes": sizes in error messages.
std::string describe_byte_count(uint64_t bytes);

}  // namespace nl
