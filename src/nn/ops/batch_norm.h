// BatchNorm: per-channel normalisation over the last dimension.
//   input  x: [N, H, W, C], [N, L, C] or [N, C]   (M = elements / C values per channel)
//   weight (gamma), bias (beta), running_mean, running_var: [C]
//   output y: the shape of x
// Inference: y = (x - running_mean) / sqrt(running_var + eps) * gamma + beta.
// Training (OpContext::training): the batch's mean and biased variance replace
// the running ones, and the running statistics move towards the batch's:
//   running = (1 - momentum) * running + momentum * batch   (unbiased variance, as PyTorch)
// With M == 1 the unbiased variance is undefined: running_var is then left as it is.
// Backward (training) goes through the batch statistics:
//   dx = gamma / sigma * (dy - mean(dy) - xhat * mean(dy * xhat)),  xhat = (x - mu) / sigma
//   dgamma = sum(dy * xhat), dbeta = sum(dy)   (sums over the M values of each channel)
// The batch statistics are recomputed from x in backward (cheap, and always
// consistent with the x given), never cached between calls.
// Sums run in double over fixed blocks of rows: the same bits for any thread count.
#pragma once
#include <memory>

#include "nn/op.h"

namespace nl {

class BatchNorm : public Op {
 public:
  static constexpr int64_t kMaxChannels = int64_t{1} << 20;

  // channels in [1, kMaxChannels], eps > 0 and finite, momentum in [0, 1].
  // Starts as the identity: gamma = 1, beta = 0, running mean 0, running variance 1.
  static Result<std::unique_ptr<BatchNorm>> create(int64_t channels, float eps = 1e-5f, float momentum = 0.1f);

  std::string type() const override { return "BatchNorm"; }
  Status output_shape(std::span<const Shape> inputs, Shape* output) const override;
  void forward(const OpContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) override;
  void backward(const OpContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                const Tensor& output_grad, std::span<Tensor* const> input_grads, bool want_param_grads) override;
  // "weight" (gamma) and "bias" (beta) with gradients; "running_mean" and
  // "running_var" without (grad == nullptr). PyTorch's state-dict names.
  std::vector<Param> params() override;

  int64_t channels() const { return channels_; }
  float eps() const { return eps_; }
  float momentum() const { return momentum_; }

  Tensor weight, bias, running_mean, running_var;  // [C] each
  Tensor weight_grad, bias_grad;                   // [C], allocated by zero_param_grads()

 private:
  BatchNorm(int64_t channels, float eps, float momentum);
  int64_t channels_;
  float eps_, momentum_;
};

}  // namespace nl
