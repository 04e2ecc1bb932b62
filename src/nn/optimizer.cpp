// SGD and Adam updates; the formulas are in optimizer.h. Arithmetic is in
// float, in the order PyTorch's single-tensor (non-foreach) kernels use, with
// bias corrections computed in double as Python does.
#include "nn/optimizer.h"

#include <cmath>

namespace nl {

namespace {

std::string str(float v) { return std::to_string(v); }

}  // namespace

// ---- Optimizer -----------------------------------------------------------------

Status Optimizer::add(const TrainedTensor& t) {
  if (!t.value) return Status::Error(type() + " optimizer: tensor '" + t.name + "' has no value");
  for (const TrainedTensor& existing : tensors_)
    if (existing.name == t.name) return Status::Error(type() + " optimizer: tensor '" + t.name + "' added twice");
  tensors_.push_back(t);
  on_add(t);
  return Status::Ok();
}

Status Optimizer::step(float lr) {
  if (!(lr >= 0.0f) || !std::isfinite(lr))
    return Status::Error(type() + " optimizer: learning rate must be finite and >= 0, got " + str(lr));
  for (const TrainedTensor& t : tensors_) {
    if (!t.grad) return Status::Error(type() + " optimizer: tensor '" + t.name + "' has no gradient");
    if (t.grad->shape() != t.value->shape())
      return Status::Error(type() + " optimizer: gradient of '" + t.name + "' has shape " + t.grad->shape().str() +
                           ", the tensor " + t.value->shape().str());
  }
  ++steps_;
  for (size_t i = 0; i < tensors_.size(); ++i) update(i, lr, steps_);
  return Status::Ok();
}

// ---- SGD -----------------------------------------------------------------------

Result<std::unique_ptr<Sgd>> Sgd::create(const SgdOptions& o) {
  if (!(o.momentum >= 0.0f && o.momentum < 1.0f))
    return Status::Error("sgd optimizer: momentum must be in [0, 1), got " + str(o.momentum));
  if (!(o.dampening >= 0.0f && o.dampening <= 1.0f))
    return Status::Error("sgd optimizer: dampening must be in [0, 1], got " + str(o.dampening));
  if (!(o.weight_decay >= 0.0f) || !std::isfinite(o.weight_decay))
    return Status::Error("sgd optimizer: weight_decay must be finite and >= 0, got " + str(o.weight_decay));
  if (o.nesterov && (o.momentum <= 0.0f || o.dampening != 0.0f))
    return Status::Error("sgd optimizer: Nesterov momentum needs momentum > 0 and dampening 0, got momentum " +
                         str(o.momentum) + ", dampening " + str(o.dampening));
  return std::unique_ptr<Sgd>(new Sgd(o));
}

void Sgd::on_add(const TrainedTensor& t) { momentum_.emplace_back(t.value->shape()); }

void Sgd::update(size_t index, float lr, int64_t step) {
  const TrainedTensor& t = tensors_[index];
  float* p = t.value->data();
  const float* grad = t.grad->data();
  float* buf = momentum_[index].data();
  const float decay = t.decay ? o_.weight_decay : 0.0f;
  const float mu = o_.momentum, keep = 1.0f - o_.dampening;
  const int64_t count = t.value->elements();
  for (int64_t i = 0; i < count; ++i) {
    float g = grad[i];
    if (decay != 0.0f) g = g + decay * p[i];
    if (mu != 0.0f) {
      buf[i] = step == 1 ? g : mu * buf[i] + keep * g;
      g = o_.nesterov ? g + mu * buf[i] : buf[i];
    }
    p[i] = p[i] - lr * g;
  }
}

// ---- Adam ----------------------------------------------------------------------

Result<std::unique_ptr<Adam>> Adam::create(const AdamOptions& o) {
  if (!(o.beta1 >= 0.0f && o.beta1 < 1.0f)) return Status::Error("adam optimizer: beta1 must be in [0, 1), got " + str(o.beta1));
  if (!(o.beta2 >= 0.0f && o.beta2 < 1.0f)) return Status::Error("adam optimizer: beta2 must be in [0, 1), got " + str(o.beta2));
  if (!(o.eps > 0.0f) || !std::isfinite(o.eps)) return Status::Error("adam optimizer: eps must be finite and > 0, got " + str(o.eps));
  if (!(o.weight_decay >= 0.0f) || !std::isfinite(o.weight_decay))
    return Status::Error("adam optimizer: weight_decay must be finite and >= 0, got " + str(o.weight_decay));
  return std::unique_ptr<Adam>(new Adam(o));
}

void Adam::on_add(const TrainedTensor& t) {
  first_moment_.emplace_back(t.value->shape());
  second_moment_.emplace_back(t.value->shape());
}

void Adam::update(size_t index, float lr, int64_t step) {
  const TrainedTensor& t = tensors_[index];
  float* p = t.value->data();
  const float* grad = t.grad->data();
  float* m = first_moment_[index].data();
  float* v = second_moment_[index].data();
  const float decay = t.decay ? o_.weight_decay : 0.0f;
  const double correction1 = 1.0 - std::pow(static_cast<double>(o_.beta1), static_cast<double>(step));
  const double correction2 = 1.0 - std::pow(static_cast<double>(o_.beta2), static_cast<double>(step));
  const float step_size = static_cast<float>(static_cast<double>(lr) / correction1);
  const float correction2_sqrt = static_cast<float>(std::sqrt(correction2));
  const float shrink = 1.0f - lr * decay;  // AdamW's decoupled decay
  const float b1 = o_.beta1, b2 = o_.beta2;
  const int64_t count = t.value->elements();
  for (int64_t i = 0; i < count; ++i) {
    float g = grad[i];
    if (decay != 0.0f) {
      if (o_.decoupled_weight_decay) p[i] = p[i] * shrink;
      else g = g + decay * p[i];
    }
    m[i] = b1 * m[i] + (1.0f - b1) * g;
    v[i] = b2 * v[i] + (1.0f - b2) * g * g;
    const float denom = std::sqrt(v[i]) / correction2_sqrt + o_.eps;
    p[i] = p[i] - step_size * (m[i] / denom);
  }
}

}  // namespace nl
