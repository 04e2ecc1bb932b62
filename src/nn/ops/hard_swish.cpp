#include "nn/ops/hard_swish.h"

#include <algorithm>

#include "nn/ops/run_parallel.h"

namespace nl {

Result<std::unique_ptr<HardSwish>> HardSwish::create() { return std::unique_ptr<HardSwish>(new HardSwish()); }

// x: [any], y: [same]
void HardSwish::forward(const OpContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) {
  const float* x = inputs[0]->data();
  float* y = output.data();
  const int64_t n = output.elements();
  run_parallel_elements(ctx, n, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) y[i] = x[i] * std::min(std::max(x[i] + 3.0f, 0.0f), 6.0f) / 6.0f;
  });
}

// dy, dx: [same as x]
void HardSwish::backward(const OpContext& ctx, std::span<const Tensor* const> inputs, const Tensor&,
                         const Tensor& output_grad, std::span<Tensor* const> input_grads, bool) {
  if (!input_grads[0]) return;
  const float* x = inputs[0]->data();
  const float* dy = output_grad.data();
  float* dx = input_grads[0]->data();
  const int64_t n = output_grad.elements();
  run_parallel_elements(ctx, n, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const float slope = x[i] < -3.0f ? 0.0f : (x[i] <= 3.0f ? x[i] / 3.0f + 0.5f : 1.0f);
      dx[i] += dy[i] * slope;
    }
  });
}

}  // namespace nl
