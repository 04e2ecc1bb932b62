// safetensors: the weights file of a NeuronLens model (Hugging Face's format).
//   bytes 0-7   N, the header length, u64 little-endian
//   bytes 8..   N bytes of JSON: { "<name>": {"dtype": "F32", "shape": [..],
//               "data_offsets": [begin, end]}, ..., "__metadata__": {"k": "v"} }
//   then        the data: raw little-endian elements, row-major; offsets are
//               relative to the first byte after the header.
// Reading treats the file as hostile: the header length is checked against the
// file, each tensor's byte range against the data and against its dtype and
// shape (without overflow), the ranges must tile the data exactly (no overlap,
// no hole, as the format requires), and only F32 is accepted (the engine's
// only type). Shapes have rank 0 to 4 (the engine's Shape).
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "tensor/status.h"
#include "tensor/limits.h"
#include "tensor/tensor.h"

namespace nl {

// Limits: tensor/limits.h says why each value.
inline constexpr uint64_t kSafetensorsMaxHeaderBytes = limits::kMaxSafetensorsHeaderBytes;
inline constexpr uint64_t kSafetensorsMaxFileBytes = limits::kMaxWeightsFileBytes;
inline constexpr size_t kSafetensorsMaxTensors = limits::kMaxSafetensorsTensors;

struct NamedTensor {
  std::string name;
  Tensor tensor;
};

struct SafetensorsContents {
  std::vector<NamedTensor> tensors;  // in order of their data offsets
  std::vector<std::pair<std::string, std::string>> metadata;  // "__metadata__", sorted by key
};

// Parses a whole safetensors file held in memory; errors start with "<source>: ".
Result<SafetensorsContents> parse_safetensors(std::span<const uint8_t> bytes, const std::string& source);

// Reads and parses `path` (at most kSafetensorsMaxFileBytes).
Result<SafetensorsContents> read_safetensors(const std::string& path);

// A tensor to write, by reference.
struct TensorToWrite {
  std::string name;
  const Tensor* tensor;
};

// Serializes tensors (in the given order, as F32) and optional string metadata.
// Fails on an empty or duplicate name, or the reserved name "__metadata__".
Result<std::vector<uint8_t>> serialize_safetensors(std::span<const TensorToWrite> tensors,
                                                    const std::vector<std::pair<std::string, std::string>>& metadata = {});

Status write_safetensors(const std::string& path, std::span<const TensorToWrite> tensors,
                         const std::vector<std::pair<std::string, std::string>>& metadata = {});

}  // namespace nl
