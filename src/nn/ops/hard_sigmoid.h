// HardSigmoid (ONNX): y = max(0, min(1, alpha * x + beta)), elementwise.
// ONNX's defaults are alpha = 0.2, beta = 0.5; PyTorch's Hardsigmoid is
// alpha = 1/6, beta = 0.5.
//   input  x: any shape
//   output y: the same shape
// Backward: dx += alpha * dy where 0 < alpha * x + beta < 1, else 0.
#pragma once
#include <memory>

#include "nn/ops/elementwise_op.h"

namespace nl {

class HardSigmoid : public ElementwiseOp {
 public:
  // alpha and beta finite.
  static Result<std::unique_ptr<HardSigmoid>> create(float alpha = 0.2f, float beta = 0.5f);

  std::string type() const override { return "HardSigmoid"; }
  void forward(const OpContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) override;
  void backward(const OpContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                const Tensor& output_grad, std::span<Tensor* const> input_grads, bool want_param_grads) override;

  float alpha() const { return alpha_; }
  float beta() const { return beta_; }

 private:
  HardSigmoid(float alpha, float beta) : alpha_(alpha), beta_(beta) {}
  float alpha_, beta_;
};

}  // namespace nl
