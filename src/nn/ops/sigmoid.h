// Sigmoid: y = 1 / (1 + e^-x), elementwise.
//   input  x: any shape
//   output y: the same shape
// Backward: dx += dy * y * (1 - y), from the saved output.
#pragma once
#include <memory>

#include "nn/ops/elementwise_op.h"

namespace nl {

class Sigmoid : public ElementwiseOp {
 public:
  static Result<std::unique_ptr<Sigmoid>> create();

  std::string type() const override { return "Sigmoid"; }
  void forward(const OpContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) override;
  void backward(const OpContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                const Tensor& output_grad, std::span<Tensor* const> input_grads, bool want_param_grads) override;

 private:
  Sigmoid() = default;
};

}  // namespace nl
