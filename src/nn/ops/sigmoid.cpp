#include "nn/ops/sigmoid.h"

#include <cmath>

#include "kernels/exp_f32.h"

#include "nn/ops/run_parallel.h"

namespace nl {

Result<std::unique_ptr<Sigmoid>> Sigmoid::create() { return std::unique_ptr<Sigmoid>(new Sigmoid()); }

// x: [any], y: [same]. With e = e^-|x| (never overflows), sigmoid is 1/(1+e)
// for x >= 0 and e/(1+e) for x < 0: accurate in both tails.
void Sigmoid::forward(const OpContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) {
  const float* x = inputs[0]->data();
  float* y = output.data();
  const int64_t n = output.elements();
  run_parallel_elements(ctx, n, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const float e = exp_f32(-std::fabs(x[i]));
      const float s = 1.0f / (1.0f + e);
      y[i] = x[i] >= 0.0f ? s : e * s;
    }
  });
}

// y, dy, dx: [same as x]
void Sigmoid::backward(const OpContext& ctx, std::span<const Tensor* const>, const Tensor& output,
                       const Tensor& output_grad, std::span<Tensor* const> input_grads, bool) {
  if (!input_grads[0]) return;
  const float* y = output.data();
  const float* dy = output_grad.data();
  float* dx = input_grads[0]->data();
  const int64_t n = output_grad.elements();
  run_parallel_elements(ctx, n, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) dx[i] += dy[i] * (y[i] * (1.0f - y[i]));
  });
}

}  // namespace nl
