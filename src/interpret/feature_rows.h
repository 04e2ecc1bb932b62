// FeatureRows: the input of every clustering algorithm, a read-only view of n
// row vectors of dimension d stored row-major, [n x d] floats (one row per
// neuron, per image or per category). Views do not own their data.
#pragma once
#include <cstdint>
#include <span>
#include <string_view>

#include "tensor/status.h"
#include "tensor/tensor.h"

namespace nl {

struct FeatureRows {
  std::span<const float> values;  // [rows x cols], row-major
  int64_t rows = 0;
  int64_t cols = 0;

  const float* row(int64_t i) const { return values.data() + i * cols; }
};

// Checks rows >= 1, cols >= 1, values.size() == rows * cols and that every value
// is finite. `who` names the caller in the message ("k-means", ...).
Status check_feature_rows(const FeatureRows& rows, std::string_view who);

// Views a tensor [N, ...] as N rows of its remaining elements (a rank-1 tensor
// gives N rows of one value). The tensor must outlive the view.
Result<FeatureRows> feature_rows_of(const Tensor& tensor);

}  // namespace nl
