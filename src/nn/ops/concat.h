// Concat: joins tensors along the last (channel) dimension, in input order.
//   inputs x_i: [..., C_i], every other dimension equal across inputs
//   output y:   [..., C_0 + C_1 + ...]
// Backward: each dx_i += its slice of dy.
#pragma once
#include <memory>

#include "nn/op.h"

namespace nl {

class Concat : public Op {
 public:
  static Result<std::unique_ptr<Concat>> create();

  std::string type() const override { return "Concat"; }
  Status output_shape(std::span<const Shape> inputs, Shape* output) const override;
  void forward(const OpContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) override;
  void backward(const OpContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                const Tensor& output_grad, std::span<Tensor* const> input_grads, bool want_param_grads) override;

 private:
  Concat() = default;
};

}  // namespace nl
