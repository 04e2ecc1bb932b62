// Add: the elementwise sum of two or more tensors of the same shape (the join
// of a residual block).
//   inputs x0, x1, ...: any shape, all the same
//   output y: that shape, y = x0 + x1 + ... (summed in input order)
// Backward: every wanted dx_i += dy.
#pragma once
#include <memory>

#include "nn/op.h"

namespace nl {

class Add : public Op {
 public:
  static Result<std::unique_ptr<Add>> create();

  std::string type() const override { return "Add"; }
  Status output_shape(std::span<const Shape> inputs, Shape* output) const override;
  void forward(const OpContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) override;
  void backward(const OpContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                const Tensor& output_grad, std::span<Tensor* const> input_grads, bool want_param_grads) override;

 private:
  Add() = default;
};

}  // namespace nl
