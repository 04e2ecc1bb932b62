// Tanh: y = tanh(x), elementwise.
//   input  x: any shape
//   output y: the same shape
// Backward: dx += dy * (1 - y^2), from the saved output.
#pragma once
#include <memory>

#include "nn/ops/elementwise_op.h"

namespace nl {

class Tanh : public ElementwiseOp {
 public:
  static Result<std::unique_ptr<Tanh>> create();

  std::string type() const override { return "Tanh"; }
  void forward(const OpContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) override;
  void backward(const OpContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                const Tensor& output_grad, std::span<Tensor* const> input_grads, bool want_param_grads) override;

 private:
  Tanh() = default;
};

}  // namespace nl
