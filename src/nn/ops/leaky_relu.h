// LeakyReLU: y = x for x > 0, alpha * x otherwise, elementwise.
//   input  x: any shape
//   output y: the same shape
// Backward: dx += dy for x > 0, alpha * dy otherwise (as PyTorch).
#pragma once
#include <memory>

#include "nn/ops/elementwise_op.h"

namespace nl {

class LeakyReLU : public ElementwiseOp {
 public:
  // alpha: any finite slope (PyTorch's default is 0.01, ONNX's 0.01).
  static Result<std::unique_ptr<LeakyReLU>> create(float alpha = 0.01f);

  std::string type() const override { return "LeakyReLU"; }
  void forward(const OpContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) override;
  void backward(const OpContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                const Tensor& output_grad, std::span<Tensor* const> input_grads, bool want_param_grads) override;

  float alpha() const { return alpha_; }

 private:
  explicit LeakyReLU(float alpha) : alpha_(alpha) {}
  float alpha_;
};

}  // namespace nl
