// Optimizers: update trained tensors from their gradients, with PyTorch's
// semantics so that recipes and hyper-parameters carry over.
//
//   SGD (torch.optim.SGD), per element, g = grad:
//     g += weight_decay * p                              (L2 decay, coupled)
//     b  = g on the first step, else momentum * b + (1 - dampening) * g
//     g  = nesterov ? g + momentum * b : b               (when momentum != 0)
//     p -= lr * g
//   Adam (torch.optim.Adam / AdamW), step t = 1, 2, ...:
//     decoupled:  p *= 1 - lr * weight_decay             (AdamW)
//     otherwise:  g += weight_decay * p                  (Adam's L2 decay)
//     m = beta1 m + (1 - beta1) g;   v = beta2 v + (1 - beta2) g^2
//     p -= (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
//
// The learning rate is passed to every step (a schedule owns it). Tensors
// registered with decay = false (biases, BatchNorm scales and shifts, as
// recipes usually ask) skip weight decay.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tensor/status.h"
#include "tensor/tensor.h"

namespace nl {

// One tensor the optimizer updates in place.
struct TrainedTensor {
  std::string name;
  Tensor* value = nullptr;
  const Tensor* grad = nullptr;  // same shape as value when step() runs
  bool decay = true;             // apply weight decay to this tensor
};

struct SgdOptions {
  float momentum = 0.0f;
  float dampening = 0.0f;
  float weight_decay = 0.0f;
  bool nesterov = false;
};

struct AdamOptions {
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float weight_decay = 0.0f;
  bool decoupled_weight_decay = false;  // true: AdamW
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  virtual std::string type() const = 0;

  // Tensors to update; their state (momentum, moments) starts at zero.
  // Rejects null tensors and duplicate names.
  Status add(const TrainedTensor& tensor);

  // One update of every registered tensor with learning rate `lr`. Fails,
  // changing nothing, when a gradient is missing or its shape differs.
  Status step(float lr);

  int64_t steps_taken() const { return steps_; }
  const std::vector<TrainedTensor>& tensors() const { return tensors_; }

 protected:
  // Updates tensor `index` (state slot of the same index); `step` counts from 1.
  virtual void update(size_t index, float lr, int64_t step) = 0;
  // Called by add() so the optimizer can size its state.
  virtual void on_add(const TrainedTensor& tensor) = 0;

  std::vector<TrainedTensor> tensors_;

 private:
  int64_t steps_ = 0;
};

class Sgd : public Optimizer {
 public:
  // Checks the options: momentum in [0, 1), dampening in [0, 1], decay >= 0,
  // Nesterov only with momentum and no dampening (as PyTorch requires).
  static Result<std::unique_ptr<Sgd>> create(const SgdOptions& options);
  std::string type() const override { return "sgd"; }

 protected:
  void update(size_t index, float lr, int64_t step) override;
  void on_add(const TrainedTensor& tensor) override;

 private:
  explicit Sgd(const SgdOptions& o) : o_(o) {}
  SgdOptions o_;
  std::vector<Tensor> momentum_;  // the momentum buffer b, per tensor
};

class Adam : public Optimizer {
 public:
  // Checks the options: betas in [0, 1), eps > 0, decay >= 0.
  static Result<std::unique_ptr<Adam>> create(const AdamOptions& options);
  std::string type() const override { return o_.decoupled_weight_decay ? "adamw" : "adam"; }

 protected:
  void update(size_t index, float lr, int64_t step) override;
  void on_add(const TrainedTensor& tensor) override;

 private:
  explicit Adam(const AdamOptions& o) : o_(o) {}
  AdamOptions o_;
  std::vector<Tensor> first_moment_, second_moment_;  // m and v, per tensor
};

}  // namespace nl
