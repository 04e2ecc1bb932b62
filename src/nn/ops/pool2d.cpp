#include "nn/ops/pool2d.h"

#include <cstdint>
#include <string>

namespace nl {

namespace {

std::string describe(const Pool2DParams& p) {
  return "kernel " + std::to_string(p.kernel_h) + "x" + std::to_string(p.kernel_w) + ", stride " +
         std::to_string(p.stride_h) + "x" + std::to_string(p.stride_w) + ", pads (top " + std::to_string(p.pad_top) +
         ", left " + std::to_string(p.pad_left) + ", bottom " + std::to_string(p.pad_bottom) + ", right " +
         std::to_string(p.pad_right) + ")" + (p.ceil_mode ? ", ceil_mode" : "");
}

}  // namespace

Status validate_pool2d_params(const char* op_name, const Pool2DParams& p) {
  const std::string op = op_name;
  auto in_range = [](int v) { return v >= 1 && v <= kMaxPoolExtent; };
  if (!in_range(p.kernel_h) || !in_range(p.kernel_w))
    return Status::Error(op + ": kernel must be between 1 and " + std::to_string(kMaxPoolExtent) + ", got " +
                         std::to_string(p.kernel_h) + "x" + std::to_string(p.kernel_w));
  if (!in_range(p.stride_h) || !in_range(p.stride_w))
    return Status::Error(op + ": stride must be between 1 and " + std::to_string(kMaxPoolExtent) + ", got " +
                         std::to_string(p.stride_h) + "x" + std::to_string(p.stride_w));
  const int pads[4] = {p.pad_top, p.pad_left, p.pad_bottom, p.pad_right};
  const int kernels[4] = {p.kernel_h, p.kernel_w, p.kernel_h, p.kernel_w};
  for (int i = 0; i < 4; ++i)
    if (pads[i] < 0 || pads[i] >= kernels[i])
      return Status::Error(op + ": each pad must be >= 0 and smaller than the kernel along its axis, got " +
                           describe(p));
  return Status::Ok();
}

int64_t pool2d_output_size(int64_t in, int kernel, int stride, int pad_begin, int pad_end, bool ceil_mode) {
  // In ceil mode a window may hang over the padded input by less than a stride.
  const int64_t numerator = in + pad_begin + pad_end - kernel + (ceil_mode ? stride - 1 : 0);
  if (numerator < 0) return 0;
  int64_t out = numerator / stride + 1;
  // PyTorch's rule: the last window must start inside the input or its top/left padding.
  if (ceil_mode && (out - 1) * stride >= in + pad_begin) --out;
  return out;
}

Status pool2d_output_shape(const char* op_name, const Pool2DParams& p, std::span<const Shape> inputs, Shape* output) {
  const std::string op = op_name;
  if (inputs.size() != 1) return Status::Error(op + " takes 1 input, got " + std::to_string(inputs.size()));
  const Shape& x = inputs[0];
  if (x.rank() != 4 || x.n() < 1 || x.h() < 1 || x.w() < 1 || x.c() < 1)
    return Status::Error(op + ": input must be [N, H, W, C] with every size >= 1, got " + x.str());
  if (x.h() * x.w() > INT32_MAX)  // MaxPool2D's backward indexes pixels with 32 bits
    return Status::Error(op + ": input " + x.str() + " has more than 2^31 pixels per image");
  const int64_t oh = pool2d_output_size(x.h(), p.kernel_h, p.stride_h, p.pad_top, p.pad_bottom, p.ceil_mode);
  const int64_t ow = pool2d_output_size(x.w(), p.kernel_w, p.stride_w, p.pad_left, p.pad_right, p.ceil_mode);
  if (oh < 1 || ow < 1)
    return Status::Error(op + ": input " + x.str() + " is smaller than the window (" + describe(p) +
                         "): the output would be empty");
  *output = Shape{x.n(), oh, ow, x.c()};
  return Status::Ok();
}

}  // namespace nl
