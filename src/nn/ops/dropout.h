// Dropout: in training, zeroes each element with probability p and scales the
// kept ones by 1 / (1 - p) (inverted dropout, so inference is the identity).
//   input  x: any shape
//   output y: the same shape
// The mask is a pure function of (OpContext::seed, element index), through a
// counter-based hash (SplitMix64): no state, the same mask on every platform
// and thread count, and backward regenerates exactly the forward's mask.
// Backward: dx += dy * mask / (1 - p) in training, dx += dy in inference.
#pragma once
#include <cstdint>
#include <memory>

#include "nn/ops/elementwise_op.h"

namespace nl {

class Dropout : public ElementwiseOp {
 public:
  // p in [0, 1).
  static Result<std::unique_ptr<Dropout>> create(float p);

  std::string type() const override { return "Dropout"; }
  void forward(const OpContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) override;
  void backward(const OpContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                const Tensor& output_grad, std::span<Tensor* const> input_grads, bool want_param_grads) override;

  float p() const { return p_; }

  // Whether element `index` is kept for this seed (exposed for tests).
  bool keeps(uint64_t seed, int64_t index) const;

 private:
  explicit Dropout(float p);
  float p_;
  uint32_t drop_below_;  // an element is dropped when its 32-bit hash is below this: p * 2^32
  float keep_scale_;     // 1 / (1 - p)
};

}  // namespace nl
