#include "nn/ops/concat.h"

#include <algorithm>

namespace nl {

Result<std::unique_ptr<Concat>> Concat::create() { return std::unique_ptr<Concat>(new Concat()); }

Status Concat::output_shape(std::span<const Shape> inputs, Shape* output) const {
  if (inputs.empty()) return Status::Error("Concat takes 1 or more inputs, got 0");
  const Shape& first = inputs[0];
  const int rank = first.rank();
  if (rank < 1) return Status::Error("Concat: inputs need at least 1 dimension, input 0 is " + first.str());
  Shape out = first;
  out[rank - 1] = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Shape& s = inputs[i];
    bool same_outer = s.rank() == rank;
    for (int d = 0; same_outer && d < rank - 1; ++d) same_outer = s[d] == first[d];
    if (!same_outer)
      return Status::Error("Concat: inputs must match in every dimension but the last, but input 0 is " + first.str() +
                           " and input " + std::to_string(i) + " is " + s.str());
    if (s[rank - 1] < 0) return Status::Error("Concat: input " + std::to_string(i) + " has a negative size " + s.str());
    out[rank - 1] += s[rank - 1];
  }
  *output = out;
  return Status::Ok();
}

// x_i: [rows, C_i] viewed flat, y: [rows, sum C_i]
void Concat::forward(const OpContext&, std::span<const Tensor* const> inputs, Tensor& output) {
  const int rank = output.shape().rank();
  const int64_t out_c = output.shape()[rank - 1];
  if (out_c == 0) return;
  const int64_t rows = output.elements() / out_c;
  float* y = output.data();
  int64_t offset = 0;
  for (const Tensor* in : inputs) {
    const int64_t c = in->shape()[rank - 1];
    const float* x = in->data();
    for (int64_t r = 0; r < rows; ++r) std::copy(x + r * c, x + (r + 1) * c, y + r * out_c + offset);
    offset += c;
  }
}

// dy: [rows, sum C_i], dx_i: [rows, C_i]
void Concat::backward(const OpContext&, std::span<const Tensor* const> inputs, const Tensor&, const Tensor& output_grad,
                      std::span<Tensor* const> input_grads, bool) {
  const int rank = output_grad.shape().rank();
  const int64_t out_c = output_grad.shape()[rank - 1];
  if (out_c == 0) return;
  const int64_t rows = output_grad.elements() / out_c;
  const float* dy = output_grad.data();
  int64_t offset = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const int64_t c = inputs[i]->shape()[rank - 1];
    if (input_grads[i]) {
      float* dx = input_grads[i]->data();
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t k = 0; k < c; ++k) dx[r * c + k] += dy[r * out_c + offset + k];
    }
    offset += c;
  }
}

}  // namespace nl
