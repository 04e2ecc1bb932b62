// IDX files (the MNIST family's format, Fashion-MNIST included):
//   bytes 0-1  zero
//   byte  2    element type (0x08 = unsigned byte; the only one read here)
//   byte  3    rank r
//   then r big-endian u32 dimensions, then the elements, row-major.
// Images are [N, rows, cols], labels [N]. Every field is checked against the
// bytes that exist: a header claiming more data than the file holds, trailing
// bytes, a zero dimension or an unsupported type each give an error naming
// the file; nothing is allocated that the file cannot back.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "data/image_dataset.h"
#include "tensor/limits.h"

namespace nl {

// A parsed unsigned-byte IDX array: a view into the bytes given to parse_idx_u8.
struct IdxU8Array {
  std::vector<int64_t> dims;         // 1 to 4 positive dimensions
  std::span<const uint8_t> elements;  // product(dims) bytes, row-major
};

inline constexpr int kIdxMaxRank = 4;
// Largest IDX file read (after decompression): Fashion-MNIST's biggest is 47 MB.
inline constexpr uint64_t kIdxMaxFileBytes = limits::kMaxIdxFileBytes;

// Parses an unsigned-byte IDX array; `source` names the file in errors.
Result<IdxU8Array> parse_idx_u8(std::span<const uint8_t> bytes, const std::string& source);

// Builds a dataset from IDX images [N, rows, cols] (scaled by 1/255 into
// [N, rows, cols, 1]) and IDX labels [N] (each < class_names.size()).
Result<ImageDataset> decode_idx_dataset(std::span<const uint8_t> image_bytes, const std::string& image_source,
                                        std::span<const uint8_t> label_bytes, const std::string& label_source,
                                        std::vector<std::string> class_names);

// Reads the two files (gzip'd or not; see gunzip.h) and decodes them.
Result<ImageDataset> load_idx_dataset(const std::string& image_path, const std::string& label_path,
                                      std::vector<std::string> class_names);

}  // namespace nl
