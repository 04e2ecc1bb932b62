#include "nn/ops/softmax.h"

#include <cmath>

#include "kernels/exp_f32.h"

namespace nl {

Result<std::unique_ptr<Softmax>> Softmax::create() { return std::unique_ptr<Softmax>(new Softmax()); }

Status Softmax::output_shape(std::span<const Shape> inputs, Shape* output) const {
  if (inputs.size() != 1) return Status::Error("Softmax takes 1 input, got " + std::to_string(inputs.size()));
  const Shape& x = inputs[0];
  if (x.rank() < 1 || x[x.rank() - 1] < 1)
    return Status::Error("Softmax: input needs a last dimension of size >= 1, got " + x.str());
  for (int i = 0; i < x.rank(); ++i)
    if (x[i] < 0) return Status::Error("Softmax: input has a negative size " + x.str());
  *output = x;
  return Status::Ok();
}

// x, y: [rows, K] viewed flat
void Softmax::forward(const OpContext&, std::span<const Tensor* const> inputs, Tensor& output) {
  const Shape& s = output.shape();
  const int64_t K = s[s.rank() - 1];
  const int64_t rows = output.elements() / K;
  const float* xd = inputs[0]->data();
  float* yd = output.data();
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = xd + r * K;
    float* y = yd + r * K;
    float m = x[0];
    for (int64_t j = 1; j < K; ++j) m = x[j] > m ? x[j] : m;
    for (int64_t j = 0; j < K; ++j) y[j] = exp_f32(x[j] - m);
    float sum = 0.0f;
    for (int64_t j = 0; j < K; ++j) sum += y[j];
    for (int64_t j = 0; j < K; ++j) y[j] /= sum;
  }
}

// y, dy, dx: [rows, K] viewed flat
void Softmax::backward(const OpContext&, std::span<const Tensor* const>, const Tensor& output,
                       const Tensor& output_grad, std::span<Tensor* const> input_grads, bool) {
  if (!input_grads[0]) return;
  const Shape& s = output.shape();
  const int64_t K = s[s.rank() - 1];
  const int64_t rows = output.elements() / K;
  for (int64_t r = 0; r < rows; ++r) {
    const float* y = output.data() + r * K;
    const float* dy = output_grad.data() + r * K;
    float* dx = input_grads[0]->data() + r * K;
    float dot = 0.0f;
    for (int64_t j = 0; j < K; ++j) dot += dy[j] * y[j];
    for (int64_t j = 0; j < K; ++j) dx[j] += y[j] * (dy[j] - dot);
  }
}

}  // namespace nl
