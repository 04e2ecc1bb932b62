// Scale (ONNX Mul by a constant): y = factor * x, elementwise.
//   input  x: any shape
//   output y: the same shape
// Backward: dx += factor * dy.
#pragma once
#include <memory>

#include "nn/ops/elementwise_op.h"

namespace nl {

class Scale : public ElementwiseOp {
 public:
  // factor finite.
  static Result<std::unique_ptr<Scale>> create(float factor);

  std::string type() const override { return "Scale"; }
  void forward(const OpContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) override;
  void backward(const OpContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                const Tensor& output_grad, std::span<Tensor* const> input_grads, bool want_param_grads) override;

  float factor() const { return factor_; }

 private:
  explicit Scale(float factor) : factor_(factor) {}
  float factor_;
};

}  // namespace nl
