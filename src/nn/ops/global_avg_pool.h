// GlobalAvgPool: the mean over all pixels, per channel.
//   input  x: [N, H, W, C]
//   output y: [N, C]   (ready for Dense, no Flatten needed)
// Backward: dx[n, h, w, c] += dy[n, c] / (H * W).
#pragma once
#include <memory>

#include "nn/op.h"

namespace nl {

class GlobalAvgPool : public Op {
 public:
  static Result<std::unique_ptr<GlobalAvgPool>> create();

  std::string type() const override { return "GlobalAvgPool"; }
  Status output_shape(std::span<const Shape> inputs, Shape* output) const override;
  void forward(const OpContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) override;
  void backward(const OpContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                const Tensor& output_grad, std::span<Tensor* const> input_grads, bool want_param_grads) override;

 private:
  GlobalAvgPool() = default;
};

}  // namespace nl
