#include "nn/ops/scale.h"

#include <cmath>

#include "nn/ops/run_parallel.h"

namespace nl {

Result<std::unique_ptr<Scale>> Scale::create(float factor) {
  if (!std::isfinite(factor)) return Status::Error("Scale: factor must be finite, got " + std::to_string(factor));
  return std::unique_ptr<Scale>(new Scale(factor));
}

// x: [any], y: [same]
void Scale::forward(const OpContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) {
  const float* x = inputs[0]->data();
  float* y = output.data();
  const int64_t n = output.elements();
  const float s = factor_;
  run_parallel_elements(ctx, n, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) y[i] = s * x[i];
  });
}

// dy, dx: [same as x]
void Scale::backward(const OpContext& ctx, std::span<const Tensor* const>, const Tensor&, const Tensor& output_grad,
                     std::span<Tensor* const> input_grads, bool) {
  if (!input_grads[0]) return;
  const float* dy = output_grad.data();
  float* dx = input_grads[0]->data();
  const int64_t n = output_grad.elements();
  const float s = factor_;
  run_parallel_elements(ctx, n, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) dx[i] += s * dy[i];
  });
}

}  // namespace nl
