#include "nn/ops/avg_pool2d.h"

#include <algorithm>

#include "nn/ops/run_parallel.h"

namespace nl {

namespace {

constexpr int64_t kChannelBlock = 64;

// The number of pixels a window's sum is divided by.
inline float divisor(const PoolWindow& wh, const PoolWindow& ww, bool count_include_pad) {
  return count_include_pad ? static_cast<float>(wh.padded_extent * ww.padded_extent)
                           : static_cast<float>((wh.end - wh.begin) * (ww.end - ww.begin));
}

}  // namespace

Result<std::unique_ptr<AvgPool2D>> AvgPool2D::create(const Pool2DParams& params) {
  NL_RETURN_IF_ERROR(validate_pool2d_params("AvgPool2D", params));
  return std::unique_ptr<AvgPool2D>(new AvgPool2D(params));
}

Status AvgPool2D::output_shape(std::span<const Shape> inputs, Shape* output) const {
  return pool2d_output_shape("AvgPool2D", p_, inputs, output);
}

// x: [N, H, W, C], y: [N, OH, OW, C]. One work item per output row (n, oh).
void AvgPool2D::forward(const OpContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) {
  const Tensor& x = *inputs[0];
  const int64_t H = x.shape().h(), W = x.shape().w(), C = x.shape().c();
  const int64_t OH = output.shape().h(), OW = output.shape().w();
  const Pool2DParams p = p_;
  const float* xd = x.data();
  float* yd = output.data();
  run_parallel(ctx, output.shape().n() * OH, OW * C * p.kernel_h * p.kernel_w, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / OH, oh = row % OH;
      const PoolWindow wh = pool2d_window(oh, H, p.kernel_h, p.stride_h, p.pad_top, p.pad_bottom);
      for (int64_t ow = 0; ow < OW; ++ow) {
        const PoolWindow ww = pool2d_window(ow, W, p.kernel_w, p.stride_w, p.pad_left, p.pad_right);
        float* y = yd + (row * OW + ow) * C;
        std::fill(y, y + C, 0.0f);
        for (int64_t ih = wh.begin; ih < wh.end; ++ih)
          for (int64_t iw = ww.begin; iw < ww.end; ++iw) {
            const float* xp = xd + ((n * H + ih) * W + iw) * C;
            for (int64_t c = 0; c < C; ++c) y[c] += xp[c];
          }
        const float d = divisor(wh, ww, p.count_include_pad);
        for (int64_t c = 0; c < C; ++c) y[c] /= d;
      }
    }
  });
}

// dy: [N, OH, OW, C], dx: [N, H, W, C]. Work items are (image, channel block)
// because windows overlap when stride < kernel (see MaxPool2D::backward).
void AvgPool2D::backward(const OpContext& ctx, std::span<const Tensor* const> inputs, const Tensor&,
                         const Tensor& output_grad, std::span<Tensor* const> input_grads, bool) {
  if (!input_grads[0]) return;
  const Shape& xs = inputs[0]->shape();
  const int64_t N = xs.n(), H = xs.h(), W = xs.w(), C = xs.c();
  const int64_t OH = output_grad.shape().h(), OW = output_grad.shape().w();
  const int64_t blocks = (C + kChannelBlock - 1) / kChannelBlock;
  const Pool2DParams p = p_;
  const float* dyd = output_grad.data();
  float* dxd = input_grads[0]->data();
  run_parallel(ctx, N * blocks, OH * OW * std::min(C, kChannelBlock) * p.kernel_h * p.kernel_w, [&](int64_t begin, int64_t end) {
    float share[kChannelBlock];
    for (int64_t item = begin; item < end; ++item) {
      const int64_t n = item / blocks;
      const int64_t c0 = (item % blocks) * kChannelBlock;
      const int64_t cn = std::min(kChannelBlock, C - c0);
      for (int64_t oh = 0; oh < OH; ++oh) {
        const PoolWindow wh = pool2d_window(oh, H, p.kernel_h, p.stride_h, p.pad_top, p.pad_bottom);
        for (int64_t ow = 0; ow < OW; ++ow) {
          const PoolWindow ww = pool2d_window(ow, W, p.kernel_w, p.stride_w, p.pad_left, p.pad_right);
          const float d = divisor(wh, ww, p.count_include_pad);
          const float* dy = dyd + ((n * OH + oh) * OW + ow) * C + c0;
          for (int64_t c = 0; c < cn; ++c) share[c] = dy[c] / d;
          for (int64_t ih = wh.begin; ih < wh.end; ++ih)
            for (int64_t iw = ww.begin; iw < ww.end; ++iw) {
              float* dx = dxd + ((n * H + ih) * W + iw) * C + c0;
              for (int64_t c = 0; c < cn; ++c) dx[c] += share[c];
            }
        }
      }
    }
  });
}

}  // namespace nl
