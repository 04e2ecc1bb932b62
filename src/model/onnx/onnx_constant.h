// Constant tensors during ONNX import: initializers, Constant nodes, and the
// results of folding small shape computations (Shape -> Gather -> Concat ->
// Reshape, as exporters emit for x.view(x.size(0), -1)). Floats stay float32;
// integer types (shapes, axes, indices) become int64. Internal to the importer.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/onnx/onnx_proto.h"
#include "tensor/status.h"

namespace nl {

struct ConstTensor {
  std::vector<int64_t> dims;
  bool is_int = false;          // values in `ints`, else in `floats`
  std::vector<float> floats;
  std::vector<int64_t> ints;

  int64_t elements() const { return is_int ? static_cast<int64_t>(ints.size()) : static_cast<int64_t>(floats.size()); }
  double at(int64_t i) const { return is_int ? static_cast<double>(ints[static_cast<size_t>(i)]) : floats[static_cast<size_t>(i)]; }
};

// Decodes a TensorProto (raw_data or typed fields) of type FLOAT, DOUBLE, FLOAT16
// (to floats) or INT64, INT32, INT16, INT8, UINT8, UINT16, UINT32, BOOL (to ints).
// Checks that the data holds exactly product(dims) values.
Result<ConstTensor> decode_onnx_tensor(const OnnxTensor& tensor);

// The values as int64 (floats must be whole numbers), for shapes and axes.
Result<std::vector<int64_t>> const_as_ints(const ConstTensor& t, const std::string& what);

// "[1, 3, 224, 224]"
std::string dims_str(const std::vector<int64_t>& dims);

// Product of dims; -1 if it would exceed OnnxLimits::kMaxTensorElements.
int64_t dims_elements(const std::vector<int64_t>& dims);

// NumPy-style broadcast of two shapes, or an error naming both.
Result<std::vector<int64_t>> broadcast_dims(const std::vector<int64_t>& a, const std::vector<int64_t>& b);

// Folding makes constants no larger than this (they are per-channel vectors and shapes).
inline constexpr int64_t kMaxFoldedElements = int64_t{1} << 22;

// Elementwise a (op) b with broadcasting, for op in "Add", "Sub", "Mul", "Div";
// integer only when both are integers (Div then truncates, as ONNX).
Result<ConstTensor> const_binary(const std::string& op, const ConstTensor& a, const ConstTensor& b);

}  // namespace nl
