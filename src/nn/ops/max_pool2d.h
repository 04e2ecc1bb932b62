// MaxPool2D: the maximum over each kernel window, per channel (NHWC).
//   input  x: [N, H, W, C]
//   output y: [N, OH, OW, C]   (OH, OW: see pool2d.h)
// Padding counts as -infinity. A NaN in a window wins (as PyTorch).
// Backward: each dy goes to the first maximum of its window in row-major
// order (as PyTorch); the argmax is recomputed from x, not stored.
#pragma once
#include <memory>

#include "nn/op.h"
#include "nn/ops/pool2d.h"

namespace nl {

class MaxPool2D : public Op {
 public:
  static Result<std::unique_ptr<MaxPool2D>> create(const Pool2DParams& params);

  std::string type() const override { return "MaxPool2D"; }
  Status output_shape(std::span<const Shape> inputs, Shape* output) const override;
  void forward(const OpContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) override;
  void backward(const OpContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                const Tensor& output_grad, std::span<Tensor* const> input_grads, bool want_param_grads) override;

  const Pool2DParams& settings() const { return p_; }

 private:
  explicit MaxPool2D(const Pool2DParams& params) : p_(params) {}
  Pool2DParams p_;
};

}  // namespace nl
