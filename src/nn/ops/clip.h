// Clip: y = min(max(x, min_value), max_value), elementwise (ONNX Clip,
// PyTorch Hardtanh). ReLU6 is Clip(0, 6); either bound may be infinite.
//   input  x: any shape
//   output y: the same shape
// Backward: dx += dy strictly inside (min_value, max_value), 0 at and beyond
// the bounds (as PyTorch's hardtanh and relu6).
#pragma once
#include <memory>

#include "nn/ops/elementwise_op.h"

namespace nl {

class Clip : public ElementwiseOp {
 public:
  // min_value <= max_value, neither NaN.
  static Result<std::unique_ptr<Clip>> create(float min_value, float max_value);
  // Clip(0, 6).
  static Result<std::unique_ptr<Clip>> create_relu6() { return create(0.0f, 6.0f); }

  std::string type() const override { return "Clip"; }
  void forward(const OpContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) override;
  void backward(const OpContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                const Tensor& output_grad, std::span<Tensor* const> input_grads, bool want_param_grads) override;

  float min_value() const { return min_; }
  float max_value() const { return max_; }

 private:
  Clip(float min_value, float max_value) : min_(min_value), max_(max_value) {}
  float min_, max_;
};

}  // namespace nl
