// AvgPool2D: the mean over each kernel window, per channel (NHWC).
//   input  x: [N, H, W, C]
//   output y: [N, OH, OW, C]   (OH, OW and the divisor: see pool2d.h)
// Backward: each dy / divisor is added to every in-bounds pixel of its window.
#pragma once
#include <memory>

#include "nn/op.h"
#include "nn/ops/pool2d.h"

namespace nl {

class AvgPool2D : public Op {
 public:
  static Result<std::unique_ptr<AvgPool2D>> create(const Pool2DParams& params);

  std::string type() const override { return "AvgPool2D"; }
  Status output_shape(std::span<const Shape> inputs, Shape* output) const override;
  void forward(const OpContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) override;
  void backward(const OpContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                const Tensor& output_grad, std::span<Tensor* const> input_grads, bool want_param_grads) override;

  const Pool2DParams& settings() const { return p_; }

 private:
  explicit AvgPool2D(const Pool2DParams& params) : p_(params) {}
  Pool2DParams p_;
};

}  // namespace nl
