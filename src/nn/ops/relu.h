// ReLU: y = max(0, x), elementwise.
//   input  x: any shape
//   output y: the same shape
// Backward: dx += dy where x > 0, and 0 elsewhere (also at x == 0, as PyTorch).
#pragma once
#include <memory>

#include "nn/ops/elementwise_op.h"

namespace nl {

class ReLU : public ElementwiseOp {
 public:
  static Result<std::unique_ptr<ReLU>> create();

  std::string type() const override { return "ReLU"; }
  void forward(const OpContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) override;
  void backward(const OpContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                const Tensor& output_grad, std::span<Tensor* const> input_grads, bool want_param_grads) override;

 private:
  ReLU() = default;
};

}  // namespace nl
