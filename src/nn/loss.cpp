#include "nn/loss.h"

#include <cmath>
#include <string>

#include "kernels/exp_f32.h"

namespace nl {

// logits, logits_grad: [N, C]
Result<float> softmax_cross_entropy(const Tensor& logits, std::span<const int> labels, Tensor* logits_grad) {
  const Shape& s = logits.shape();
  if (s.rank() != 2 || s[0] < 1 || s[1] < 1)
    return Status::Error("softmax_cross_entropy: logits must be [N, C] with N, C >= 1, got " + s.str());
  const int64_t N = s[0], C = s[1];
  if (static_cast<int64_t>(labels.size()) != N)
    return Status::Error("softmax_cross_entropy: " + std::to_string(labels.size()) + " labels for a batch of " +
                         std::to_string(N) + " (logits " + s.str() + ")");
  for (int64_t n = 0; n < N; ++n)
    if (labels[static_cast<size_t>(n)] < 0 || labels[static_cast<size_t>(n)] >= C)
      return Status::Error("softmax_cross_entropy: label " + std::to_string(labels[static_cast<size_t>(n)]) +
                           " of sample " + std::to_string(n) + " is outside [0, " + std::to_string(C) + ")");

  if (logits_grad) logits_grad->resize(s);
  double total = 0.0;
  for (int64_t n = 0; n < N; ++n) {
    const float* z = logits.data() + n * C;
    float m = z[0];
    for (int64_t k = 1; k < C; ++k) m = z[k] > m ? z[k] : m;
    double sum = 0.0;
    for (int64_t k = 0; k < C; ++k) sum += static_cast<double>(exp_f32(z[k] - m));
    const int label = labels[static_cast<size_t>(n)];
    total += static_cast<double>(m) + std::log(sum) - static_cast<double>(z[label]);
    if (logits_grad) {
      float* g = logits_grad->data() + n * C;
      // In double, so that p - 1 keeps its digits when p is close to 1.
      for (int64_t k = 0; k < C; ++k) {
        const double p = static_cast<double>(exp_f32(z[k] - m)) / sum;
        g[k] = static_cast<float>((p - (k == label ? 1.0 : 0.0)) / static_cast<double>(N));
      }
    }
  }
  return static_cast<float>(total / static_cast<double>(N));
}

}  // namespace nl
