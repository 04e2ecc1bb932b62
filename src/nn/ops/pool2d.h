// Pooling settings shared by MaxPool2D and AvgPool2D (NHWC, per channel).
//   OH = (H + pad_top + pad_bottom - kernel_h) / stride_h + 1   (floor; ceil when ceil_mode)
// Max pooling treats padding as -infinity; average pooling divides by the
// whole window when count_include_pad, else by the in-bounds part.
// In ceil_mode, as in PyTorch, a last window that would start inside the
// bottom/right padding is dropped, and windows hanging over the padding count
// only the padded extent (H + pad_bottom) towards the average's divisor.
#pragma once
#include <cstdint>
#include <span>

#include "tensor/shape.h"
#include "tensor/status.h"

namespace nl {

struct Pool2DParams {
  int kernel_h = 2, kernel_w = 2;
  int stride_h = 2, stride_w = 2;
  int pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  bool ceil_mode = false;
  bool count_include_pad = true;  // AvgPool2D only
};

// Checks the settings for op `op_name`: kernel and stride in [1, kMaxPoolExtent],
// each pad in [0, kernel) so that every window overlaps the input.
constexpr int kMaxPoolExtent = 1 << 16;
Status validate_pool2d_params(const char* op_name, const Pool2DParams& p);

// Output size along one axis (the formula above); may be < 1 for inputs
// smaller than the kernel.
int64_t pool2d_output_size(int64_t in, int kernel, int stride, int pad_begin, int pad_end, bool ceil_mode);

// Output shape [N, OH, OW, C] for the single input [N, H, W, C], or an error
// naming the op, the shape and the settings.
Status pool2d_output_shape(const char* op_name, const Pool2DParams& p, std::span<const Shape> inputs, Shape* output);

// One window along one axis: [begin, end) clipped to the input, and the
// extent clipped to the padded input (for count_include_pad).
struct PoolWindow {
  int64_t begin, end;  // in-bounds input rows (or columns)
  int64_t padded_extent;
};
inline PoolWindow pool2d_window(int64_t out_index, int64_t in, int kernel, int stride, int pad_begin, int pad_end) {
  const int64_t start = out_index * stride - pad_begin;
  const int64_t stop = start + kernel;
  const int64_t padded_stop = stop < in + pad_end ? stop : in + pad_end;
  return PoolWindow{start < 0 ? 0 : start, stop < in ? stop : in, padded_stop - start};
}

}  // namespace nl
