#include "nn/ops/max_pool2d.h"

#include <algorithm>
#include <cstdint>

#include "kernels/copy_floats.h"
#include "nn/ops/run_parallel.h"

namespace nl {

namespace {

// Channels per backward work item: a block's argmax state fits on the stack.
constexpr int64_t kChannelBlock = 64;

// The update that picks the first maximum, letting NaN win (PyTorch's rule).
inline bool replaces(float candidate, float best) { return candidate > best || candidate != candidate; }

}  // namespace

Result<std::unique_ptr<MaxPool2D>> MaxPool2D::create(const Pool2DParams& params) {
  NL_RETURN_IF_ERROR(validate_pool2d_params("MaxPool2D", params));
  return std::unique_ptr<MaxPool2D>(new MaxPool2D(params));
}

Status MaxPool2D::output_shape(std::span<const Shape> inputs, Shape* output) const {
  return pool2d_output_shape("MaxPool2D", p_, inputs, output);
}

// x: [N, H, W, C], y: [N, OH, OW, C]. One work item per output row (n, oh).
void MaxPool2D::forward(const OpContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) {
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
        // Start from the window's first in-bounds pixel (every window has one)
        // and compare the others with it, in the same order as the backward pass.
        copy_floats(y, xd + ((n * H + wh.begin) * W + ww.begin) * C, C);
        for (int64_t ih = wh.begin; ih < wh.end; ++ih)
          for (int64_t iw = ih == wh.begin ? ww.begin + 1 : ww.begin; iw < ww.end; ++iw) {
            const float* xp = xd + ((n * H + ih) * W + iw) * C;
            for (int64_t c = 0; c < C; ++c) y[c] = replaces(xp[c], y[c]) ? xp[c] : y[c];
          }
      }
    }
  });
}

// dy: [N, OH, OW, C], dx: [N, H, W, C]. Windows overlap when stride < kernel,
// so work items are (image, channel block): no two touch the same dx element,
// and each dx element receives its contributions in a fixed order.
void MaxPool2D::backward(const OpContext& ctx, std::span<const Tensor* const> inputs, const Tensor&,
                         const Tensor& output_grad, std::span<Tensor* const> input_grads, bool) {
  if (!input_grads[0]) return;
  const Tensor& x = *inputs[0];
  const int64_t N = x.shape().n(), H = x.shape().h(), W = x.shape().w(), C = x.shape().c();
  const int64_t OH = output_grad.shape().h(), OW = output_grad.shape().w();
  const int64_t blocks = (C + kChannelBlock - 1) / kChannelBlock;
  const Pool2DParams p = p_;
  const float* xd = x.data();
  const float* dyd = output_grad.data();
  float* dxd = input_grads[0]->data();
  run_parallel(ctx, N * blocks, OH * OW * std::min(C, kChannelBlock) * p.kernel_h * p.kernel_w, [&](int64_t begin, int64_t end) {
    float best[kChannelBlock];
    int32_t best_pixel[kChannelBlock];  // ih * W + iw within image n: 32-bit lanes like the floats
    for (int64_t item = begin; item < end; ++item) {
      const int64_t n = item / blocks;
      const int64_t c0 = (item % blocks) * kChannelBlock;
      const int64_t cn = std::min(kChannelBlock, C - c0);
      const float* image = xd + n * H * W * C;
      float* dimage = dxd + n * H * W * C;
      for (int64_t oh = 0; oh < OH; ++oh) {
        const PoolWindow wh = pool2d_window(oh, H, p.kernel_h, p.stride_h, p.pad_top, p.pad_bottom);
        for (int64_t ow = 0; ow < OW; ++ow) {
          const PoolWindow ww = pool2d_window(ow, W, p.kernel_w, p.stride_w, p.pad_left, p.pad_right);
          const int32_t first = static_cast<int32_t>(wh.begin * W + ww.begin);
          for (int64_t c = 0; c < cn; ++c) {
            best[c] = image[first * C + c0 + c];
            best_pixel[c] = first;
          }
          for (int64_t ih = wh.begin; ih < wh.end; ++ih)
            for (int64_t iw = ih == wh.begin ? ww.begin + 1 : ww.begin; iw < ww.end; ++iw) {
              const int32_t pixel = static_cast<int32_t>(ih * W + iw);
              const float* xp = image + pixel * C + c0;
              for (int64_t c = 0; c < cn; ++c) {  // selects, not branches: random data mispredicts
                const bool take = replaces(xp[c], best[c]);
                best[c] = take ? xp[c] : best[c];
                best_pixel[c] = take ? pixel : best_pixel[c];
              }
            }
          const float* dy = dyd + ((n * OH + oh) * OW + ow) * C + c0;
          for (int64_t c = 0; c < cn; ++c) dimage[best_pixel[c] * C + c0 + c] += dy[c];
        }
      }
    }
  });
}

}  // namespace nl
