#include "nn/ops/global_avg_pool.h"

#include <algorithm>

#include "nn/ops/run_parallel.h"

namespace nl {

Result<std::unique_ptr<GlobalAvgPool>> GlobalAvgPool::create() {
  return std::unique_ptr<GlobalAvgPool>(new GlobalAvgPool());
}

Status GlobalAvgPool::output_shape(std::span<const Shape> inputs, Shape* output) const {
  if (inputs.size() != 1) return Status::Error("GlobalAvgPool takes 1 input, got " + std::to_string(inputs.size()));
  const Shape& x = inputs[0];
  if (x.rank() != 4 || x.n() < 1 || x.h() < 1 || x.w() < 1 || x.c() < 1)
    return Status::Error("GlobalAvgPool: input must be [N, H, W, C] with every size >= 1, got " + x.str());
  *output = Shape{x.n(), x.c()};
  return Status::Ok();
}

// x: [N, H, W, C], y: [N, C]. One work item per image; pixels summed in order.
void GlobalAvgPool::forward(const OpContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) {
  const Shape& xs = inputs[0]->shape();
  const int64_t pixels = xs.h() * xs.w(), C = xs.c();
  const float* xd = inputs[0]->data();
  float* yd = output.data();
  run_parallel(ctx, xs.n(), pixels * C, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; ++n) {
      float* y = yd + n * C;
      std::fill(y, y + C, 0.0f);
      for (int64_t i = 0; i < pixels; ++i) {
        const float* xp = xd + (n * pixels + i) * C;
        for (int64_t c = 0; c < C; ++c) y[c] += xp[c];
      }
      const float count = static_cast<float>(pixels);
      for (int64_t c = 0; c < C; ++c) y[c] /= count;
    }
  });
}

// dy: [N, C], dx: [N, H, W, C]
void GlobalAvgPool::backward(const OpContext& ctx, std::span<const Tensor* const> inputs, const Tensor&,
                             const Tensor& output_grad, std::span<Tensor* const> input_grads, bool) {
  if (!input_grads[0]) return;
  const Shape& xs = inputs[0]->shape();
  const int64_t pixels = xs.h() * xs.w(), C = xs.c();
  const float* dyd = output_grad.data();
  float* dxd = input_grads[0]->data();
  run_parallel(ctx, xs.n(), pixels * C, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; ++n) {
      const float count = static_cast<float>(pixels);
      for (int64_t i = 0; i < pixels; ++i) {
        float* dx = dxd + (n * pixels + i) * C;
        const float* dy = dyd + n * C;
        for (int64_t c = 0; c < C; ++c) dx[c] += dy[c] / count;
      }
    }
  });
}

}  // namespace nl
