#include "nn/ops/dropout.h"

#include <cmath>

namespace nl {

namespace {

// SplitMix64's output function on the counter seed + (index + 1) * golden ratio:
// a well-mixed 64-bit value per element, independent for every index.
inline uint64_t element_hash(uint64_t seed, uint64_t index) {
  uint64_t z = seed + (index + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

Dropout::Dropout(float p)
    : p_(p),
      drop_below_(static_cast<uint32_t>(static_cast<double>(p) * 4294967296.0)),
      keep_scale_(static_cast<float>(1.0 / (1.0 - static_cast<double>(p)))) {}

Result<std::unique_ptr<Dropout>> Dropout::create(float p) {
  if (!(p >= 0.0f && p < 1.0f)) return Status::Error("Dropout: p must be in [0, 1), got " + std::to_string(p));
  return std::unique_ptr<Dropout>(new Dropout(p));
}

bool Dropout::keeps(uint64_t seed, int64_t index) const {
  return static_cast<uint32_t>(element_hash(seed, static_cast<uint64_t>(index)) >> 32) >= drop_below_;
}

// x: [any], y: [same]
void Dropout::forward(const OpContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) {
  const float* x = inputs[0]->data();
  float* y = output.data();
  const int64_t n = output.elements();
  if (!ctx.training) {
    for (int64_t i = 0; i < n; ++i) y[i] = x[i];
    return;
  }
  const float s = keep_scale_;
  for (int64_t i = 0; i < n; ++i) y[i] = keeps(ctx.seed, i) ? x[i] * s : 0.0f;
}

// dy, dx: [same as x]
void Dropout::backward(const OpContext& ctx, std::span<const Tensor* const>, const Tensor&, const Tensor& output_grad,
                       std::span<Tensor* const> input_grads, bool) {
  if (!input_grads[0]) return;
  const float* dy = output_grad.data();
  float* dx = input_grads[0]->data();
  const int64_t n = output_grad.elements();
  if (!ctx.training) {
    for (int64_t i = 0; i < n; ++i) dx[i] += dy[i];
    return;
  }
  const float s = keep_scale_;
  for (int64_t i = 0; i < n; ++i) dx[i] += keeps(ctx.seed, i) ? dy[i] * s : 0.0f;
}

}  // namespace nl
