#include "nn/ops/add.h"

#include <algorithm>

#include "nn/ops/run_parallel.h"

namespace nl {

Result<std::unique_ptr<Add>> Add::create() { return std::unique_ptr<Add>(new Add()); }

Status Add::output_shape(std::span<const Shape> inputs, Shape* output) const {
  if (inputs.size() < 2) return Status::Error("Add takes 2 or more inputs, got " + std::to_string(inputs.size()));
  for (size_t i = 1; i < inputs.size(); ++i)
    if (inputs[i] != inputs[0])
      return Status::Error("Add: every input must have the same shape, but input 0 is " + inputs[0].str() +
                           " and input " + std::to_string(i) + " is " + inputs[i].str());
  *output = inputs[0];
  return Status::Ok();
}

// x_i: [any], y: [same]
void Add::forward(const OpContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) {
  float* y = output.data();
  const int64_t n = output.elements();
  const float* x0 = inputs[0]->data();
  run_parallel_elements(ctx, n, [&](int64_t begin, int64_t end) {
    std::copy(x0 + begin, x0 + end, y + begin);
    for (size_t k = 1; k < inputs.size(); ++k) {
      const float* x = inputs[k]->data();
      for (int64_t i = begin; i < end; ++i) y[i] += x[i];
    }
  });
}

// dy, dx_i: [same]
void Add::backward(const OpContext& ctx, std::span<const Tensor* const>, const Tensor&, const Tensor& output_grad,
                   std::span<Tensor* const> input_grads, bool) {
  const float* dy = output_grad.data();
  const int64_t n = output_grad.elements();
  run_parallel_elements(ctx, n, [&](int64_t begin, int64_t end) {
    for (Tensor* g : input_grads) {
      if (!g) continue;
      float* dx = g->data();
      for (int64_t i = begin; i < end; ++i) dx[i] += dy[i];
    }
  });
}

}  // namespace nl
