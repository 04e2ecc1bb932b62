#include "interpret/feature_rows.h"

#include <cmath>
#include <string>

namespace nl {

Status check_feature_rows(const FeatureRows& rows, std::string_view who) {
  const std::string name(who);
  if (rows.rows < 1 || rows.cols < 1)
    return Status::Error(name + ": needs at least one row and one column, got [" + std::to_string(rows.rows) +
                         " x " + std::to_string(rows.cols) + "]");
  if (static_cast<int64_t>(rows.values.size()) != rows.rows * rows.cols)
    return Status::Error(name + ": " + std::to_string(rows.values.size()) + " values do not make [" +
                         std::to_string(rows.rows) + " x " + std::to_string(rows.cols) + "]");
  for (size_t i = 0; i < rows.values.size(); ++i) {
    if (!std::isfinite(rows.values[i])) {
      const int64_t r = static_cast<int64_t>(i) / rows.cols, c = static_cast<int64_t>(i) % rows.cols;
      return Status::Error(name + ": value at row " + std::to_string(r) + ", column " + std::to_string(c) +
                           " is not finite (" + std::to_string(rows.values[i]) + ")");
    }
  }
  return Status::Ok();
}

Result<FeatureRows> feature_rows_of(const Tensor& tensor) {
  const Shape& shape = tensor.shape();
  if (shape.rank() < 1 || shape[0] < 1)
    return Status::Error("feature_rows_of: needs a tensor [N, ...] with N >= 1, got " + shape.str());
  FeatureRows rows;
  rows.rows = shape[0];
  rows.cols = tensor.elements() / shape[0];
  rows.values = std::span<const float>(tensor.data(), static_cast<size_t>(tensor.elements()));
  if (rows.cols < 1) return Status::Error("feature_rows_of: tensor " + shape.str() + " has empty rows");
  return rows;
}

}  // namespace nl
