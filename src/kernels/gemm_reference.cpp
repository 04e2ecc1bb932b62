// The slow twin of every GEMM kernel: plain loops accumulated in double.
#include "kernels/gemm.h"

namespace nl {

void gemm_f32_reference(const GemmArgs& g) {
  for (int64_t i = 0; i < g.m; ++i) {
    for (int64_t j = 0; j < g.n; ++j) {
      double sum = 0.0;
      for (int64_t p = 0; p < g.k; ++p) {
        const float a = g.trans_a ? g.a[p * g.lda + i] : g.a[i * g.lda + p];
        const float b = g.trans_b ? g.b[j * g.ldb + p] : g.b[p * g.ldb + j];
        sum += static_cast<double>(a) * b;
      }
      float& c = g.c[i * g.ldc + j];
      c = g.accumulate ? static_cast<float>(c + sum) : static_cast<float>(sum);
    }
  }
}

}  // namespace nl
