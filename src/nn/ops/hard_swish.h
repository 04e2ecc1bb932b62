// HardSwish (ONNX, PyTorch): y = x * max(0, min(1, x / 6 + 1/2)),
// computed as x * min(max(x + 3, 0), 6) / 6, elementwise.
//   input  x: any shape
//   output y: the same shape
// Backward (PyTorch's): dx += 0 for x < -3, dy * (x / 3 + 1/2) for x <= 3,
// dy above.
#pragma once
#include <memory>

#include "nn/ops/elementwise_op.h"

namespace nl {

class HardSwish : public ElementwiseOp {
 public:
  static Result<std::unique_ptr<HardSwish>> create();

  std::string type() const override { return "HardSwish"; }
  void forward(const OpContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) override;
  void backward(const OpContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                const Tensor& output_grad, std::span<Tensor* const> input_grads, bool want_param_grads) override;

 private:
  HardSwish() = default;
};

}  // namespace nl
