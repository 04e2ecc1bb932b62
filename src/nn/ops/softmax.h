// Softmax over the last dimension: y_j = e^(x_j - m) / sum_k e^(x_k - m),
// m = max_k x_k (so no exponent overflows).
//   input  x: [..., K]   (e.g. logits [N, K])
//   output y: the same shape; each row sums to 1
// Backward, from the saved output: dx_j += y_j * (dy_j - sum_k dy_k y_k).
// For training a classifier use softmax_cross_entropy (nn/loss.h) on the
// logits instead: it is more accurate than log(softmax).
#pragma once
#include <memory>

#include "nn/op.h"

namespace nl {

class Softmax : public Op {
 public:
  static Result<std::unique_ptr<Softmax>> create();

  std::string type() const override { return "Softmax"; }
  Status output_shape(std::span<const Shape> inputs, Shape* output) const override;
  void forward(const OpContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) override;
  void backward(const OpContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                const Tensor& output_grad, std::span<Tensor* const> input_grads, bool want_param_grads) override;

 private:
  Softmax() = default;
};

}  // namespace nl
