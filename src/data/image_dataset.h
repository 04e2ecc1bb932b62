// ImageDataset: labelled images as one float tensor, the form every reader in
// src/data produces and training, evaluation and the sample picker consume.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tensor/status.h"
#include "tensor/tensor.h"

namespace nl {

struct ImageDataset {
  Tensor images;                         // [N, H, W, C], NHWC, values in [0, 1]
  std::vector<int> labels;               // [N], each in [0, class_names.size())
  std::vector<std::string> class_names;  // e.g. "0".."9", or "T-shirt/top", ...
  int64_t size() const { return static_cast<int64_t>(labels.size()); }
};

// The examples at `indices`, in that order (repeats allowed); fails on an index
// outside [0, N).
Result<ImageDataset> select_examples(const ImageDataset& dataset, std::span<const int64_t> indices);

}  // namespace nl
