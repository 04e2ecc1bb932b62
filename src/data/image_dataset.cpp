#include "data/image_dataset.h"

#include <algorithm>

namespace nl {

Result<ImageDataset> select_examples(const ImageDataset& dataset, std::span<const int64_t> indices) {
  const Shape& shape = dataset.images.shape();
  if (shape.rank() != 4 || shape.n() != dataset.size())
    return Status::Error("select_examples: images " + shape.str() + " do not match " +
                         std::to_string(dataset.size()) + " labels");
  for (int64_t i : indices)
    if (i < 0 || i >= dataset.size())
      return Status::Error("select_examples: index " + std::to_string(i) + " is outside [0, " +
                           std::to_string(dataset.size()) + ")");
  const int64_t per_image = shape.h() * shape.w() * shape.c();
  ImageDataset subset;
  subset.class_names = dataset.class_names;
  subset.images = Tensor(Shape{static_cast<int64_t>(indices.size()), shape.h(), shape.w(), shape.c()});
  subset.labels.reserve(indices.size());
  float* out = subset.images.data();
  for (int64_t i : indices) {
    const float* in = dataset.images.data() + i * per_image;
    out = std::copy(in, in + per_image, out);
    subset.labels.push_back(dataset.labels[static_cast<size_t>(i)]);
  }
  return subset;
}

}  // namespace nl
