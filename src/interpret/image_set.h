// ImageSet: labelled images in the model's input space, [N, H, W, C] plus one
// label per image; the D_c of METHOD.md. batch() copies a slice for a forward pass.
#pragma once
#include <vector>

#include "tensor/tensor.h"

namespace nl {

struct ImageSet {
  Tensor images;            // [N, H, W, C], already preprocessed for the model
  std::vector<int> labels;  // N labels in 0..classes-1 (-1: unknown)
  int64_t size() const { return images.shape().rank() ? images.shape()[0] : 0; }
  // Images [begin, end) as a new tensor.
  Tensor batch(int64_t begin, int64_t end) const {
    const Shape& s = images.shape();
    Tensor out(Shape{end - begin, s[1], s[2], s[3]});
    const int64_t per = s[1] * s[2] * s[3];
    for (int64_t i = 0; i < (end - begin) * per; ++i) out[i] = images[begin * per + i];
    return out;
  }
};

// Batch size used when sweeping an image set (memory stays bounded for any set size).
constexpr int64_t kSweepBatch = 32;

}  // namespace nl
