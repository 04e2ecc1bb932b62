// Conv2D: 2-D convolution over NHWC tensors, with stride, dilation, asymmetric
// zero padding and groups (groups == in_channels == out_channels: depthwise).
//   input  x: [N, H, W, Cin]
//   weight w: [Cout, KH, KW, Cin / groups]   (XNNPACK's layout)
//   bias   b: [Cout]
//   output y: [N, OH, OW, Cout], OH = (H + pad_top + pad_bottom - dilation_h*(KH-1) - 1) / stride_h + 1
#pragma once
#include <memory>

#include "nn/op.h"

namespace nl {

struct Conv2DParams {
  int64_t in_channels = 0, out_channels = 0;
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int dilation_h = 1, dilation_w = 1;
  int pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int groups = 1;
  bool has_bias = true;
};

class Conv2D : public Op {
 public:
  // Validates the settings (positive sizes, channels divisible by groups, a
  // parameter count within limits) before allocating zeroed weights.
  static Result<std::unique_ptr<Conv2D>> create(const Conv2DParams& params);

  std::string type() const override { return "Conv2D"; }
  Status output_shape(std::span<const Shape> inputs, Shape* output) const override;
  void forward(const OpContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) override;
  void backward(const OpContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                const Tensor& output_grad, std::span<Tensor* const> input_grads, bool want_param_grads) override;
  std::vector<Param> params() override;

  const Conv2DParams& settings() const { return p_; }
  Tensor weight, bias;            // see the layout above; bias empty when !has_bias
  Tensor weight_grad, bias_grad;  // allocated by zero_param_grads()

 private:
  explicit Conv2D(const Conv2DParams& params);
  Conv2DParams p_;
};

}  // namespace nl
