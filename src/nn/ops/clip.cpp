#include "nn/ops/clip.h"

#include <algorithm>
#include <cmath>

#include "nn/ops/run_parallel.h"

namespace nl {

Result<std::unique_ptr<Clip>> Clip::create(float min_value, float max_value) {
  if (std::isnan(min_value) || std::isnan(max_value) || !(min_value <= max_value))
    return Status::Error("Clip: needs min <= max, got min " + std::to_string(min_value) + ", max " +
                         std::to_string(max_value));
  return std::unique_ptr<Clip>(new Clip(min_value, max_value));
}

// x: [any], y: [same]. std::max/min put x first so that NaN stays NaN.
void Clip::forward(const OpContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) {
  const float* x = inputs[0]->data();
  float* y = output.data();
  const int64_t n = output.elements();
  const float lo = min_, hi = max_;
  run_parallel_elements(ctx, n, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) y[i] = std::min(std::max(x[i], lo), hi);
  });
}

// dy, dx: [same as x]
void Clip::backward(const OpContext& ctx, std::span<const Tensor* const> inputs, const Tensor&, const Tensor& output_grad,
                    std::span<Tensor* const> input_grads, bool) {
  if (!input_grads[0]) return;
  const float* x = inputs[0]->data();
  const float* dy = output_grad.data();
  float* dx = input_grads[0]->data();
  const int64_t n = output_grad.elements();
  const float lo = min_, hi = max_;
  run_parallel_elements(ctx, n, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const float g = dy[i];  // read unconditionally: a select, not a branch (see relu.cpp)
      dx[i] += (x[i] > lo && x[i] < hi) ? g : 0.0f;
    }
  });
}

}  // namespace nl
