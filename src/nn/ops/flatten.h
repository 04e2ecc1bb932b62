// Flatten: keeps the batch dimension and joins the others, in memory order.
//   input  x: [N, H, W, C] (or any [N, ...])
//   output y: [N, H*W*C]   (H, W, C order: importers permute Dense weights to match)
// Backward: dx += dy (same element order).
#pragma once
#include <memory>

#include "nn/op.h"

namespace nl {

class Flatten : public Op {
 public:
  static Result<std::unique_ptr<Flatten>> create();

  std::string type() const override { return "Flatten"; }
  Status output_shape(std::span<const Shape> inputs, Shape* output) const override;
  void forward(const OpContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) override;
  void backward(const OpContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                const Tensor& output_grad, std::span<Tensor* const> input_grads, bool want_param_grads) override;

 private:
  Flatten() = default;
};

}  // namespace nl
