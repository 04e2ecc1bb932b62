#include "nn/ops/flatten.h"

#include <algorithm>

namespace nl {

Result<std::unique_ptr<Flatten>> Flatten::create() { return std::unique_ptr<Flatten>(new Flatten()); }

Status Flatten::output_shape(std::span<const Shape> inputs, Shape* output) const {
  if (inputs.size() != 1) return Status::Error("Flatten takes 1 input, got " + std::to_string(inputs.size()));
  const Shape& x = inputs[0];
  if (x.rank() < 2) return Status::Error("Flatten: input must be [N, ...] with at least 2 dimensions, got " + x.str());
  int64_t features = 1;
  for (int i = 1; i < x.rank(); ++i) {
    if (x[i] < 0) return Status::Error("Flatten: input has a negative size " + x.str());
    features *= x[i];
  }
  *output = Shape{x[0], features};
  return Status::Ok();
}

// x: [N, ...], y: [N, features]: the same data.
void Flatten::forward(const OpContext&, std::span<const Tensor* const> inputs, Tensor& output) {
  const float* x = inputs[0]->data();
  std::copy(x, x + output.elements(), output.data());
}

// dy: [N, features], dx: [N, ...]
void Flatten::backward(const OpContext&, std::span<const Tensor* const>, const Tensor&, const Tensor& output_grad,
                       std::span<Tensor* const> input_grads, bool) {
  if (!input_grads[0]) return;
  const float* dy = output_grad.data();
  float* dx = input_grads[0]->data();
  const int64_t n = output_grad.elements();
  for (int64_t i = 0; i < n; ++i) dx[i] += dy[i];
}

}  // namespace nl
