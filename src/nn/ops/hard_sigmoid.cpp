#include "nn/ops/hard_sigmoid.h"

#include <algorithm>
#include <cmath>

#include "nn/ops/run_parallel.h"

namespace nl {

Result<std::unique_ptr<HardSigmoid>> HardSigmoid::create(float alpha, float beta) {
  if (!std::isfinite(alpha) || !std::isfinite(beta))
    return Status::Error("HardSigmoid: alpha and beta must be finite, got alpha " + std::to_string(alpha) + ", beta " +
                         std::to_string(beta));
  return std::unique_ptr<HardSigmoid>(new HardSigmoid(alpha, beta));
}

// x: [any], y: [same]
void HardSigmoid::forward(const OpContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) {
  const float* x = inputs[0]->data();
  float* y = output.data();
  const int64_t n = output.elements();
  const float alpha = alpha_, beta = beta_;
  run_parallel_elements(ctx, n, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) y[i] = std::min(std::max(alpha * x[i] + beta, 0.0f), 1.0f);
  });
}

// dy, dx: [same as x]
void HardSigmoid::backward(const OpContext& ctx, std::span<const Tensor* const> inputs, const Tensor&,
                           const Tensor& output_grad, std::span<Tensor* const> input_grads, bool) {
  if (!input_grads[0]) return;
  const float* x = inputs[0]->data();
  const float* dy = output_grad.data();
  float* dx = input_grads[0]->data();
  const int64_t n = output_grad.elements();
  const float alpha = alpha_, beta = beta_;
  run_parallel_elements(ctx, n, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const float v = alpha * x[i] + beta;
      const float g = alpha * dy[i];  // read unconditionally: a select, not a branch (see relu.cpp)
      dx[i] += (v > 0.0f && v < 1.0f) ? g : 0.0f;
    }
  });
}

}  // namespace nl
