#include "nn/ops/leaky_relu.h"

#include <cmath>

#include "nn/ops/run_parallel.h"

namespace nl {

Result<std::unique_ptr<LeakyReLU>> LeakyReLU::create(float alpha) {
  if (!std::isfinite(alpha)) return Status::Error("LeakyReLU: alpha must be finite, got " + std::to_string(alpha));
  return std::unique_ptr<LeakyReLU>(new LeakyReLU(alpha));
}

// x: [any], y: [same]
void LeakyReLU::forward(const OpContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) {
  const float* x = inputs[0]->data();
  float* y = output.data();
  const int64_t n = output.elements();
  const float alpha = alpha_;
  run_parallel_elements(ctx, n, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) y[i] = x[i] > 0.0f ? x[i] : alpha * x[i];
  });
}

// dy, dx: [same as x]
void LeakyReLU::backward(const OpContext& ctx, std::span<const Tensor* const> inputs, const Tensor&,
                         const Tensor& output_grad, std::span<Tensor* const> input_grads, bool) {
  if (!input_grads[0]) return;
  const float* x = inputs[0]->data();
  const float* dy = output_grad.data();
  float* dx = input_grads[0]->data();
  const int64_t n = output_grad.elements();
  const float alpha = alpha_;
  run_parallel_elements(ctx, n, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) dx[i] += x[i] > 0.0f ? dy[i] : alpha * dy[i];
  });
}

}  // namespace nl
