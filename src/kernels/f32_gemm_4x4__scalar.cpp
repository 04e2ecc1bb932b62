// f32 GEMM micro-kernel, 4x4 tile, plain C++: the portable fallback and the
// shape every SIMD kernel generalises. See f32_gemm.h for the operand layout.
// Written as small fixed-size loops over an accumulator array: compilers keep
// it in registers and may vectorise the j loop (same sums, same order per lane).
// GCC would rather vectorise the k loop with shuffles, 3x slower: not that loop.
#include "kernels/f32_gemm.h"
#include "kernels/f32_gemm_forms.h"

#if defined(__GNUC__) && !defined(__clang__)
#define NL_NO_LOOP_VECTORIZE __attribute__((optimize("no-tree-loop-vectorize")))
#else
#define NL_NO_LOOP_VECTORIZE
#endif

namespace nl {

namespace {

// The tile over kc steps; next_b() gives each step's 4 floats of B in turn
// (a pointer stepped along, not an index: wasm32 would multiply in 64 bits).
template <typename NextB>
NL_NO_LOOP_VECTORIZE inline void tile_4x4(int64_t kc, const float* const* rows, NextB next_b, float* c, int64_t ldc,
                                          bool load_c) {
  float acc[4][4] = {};
  for (int64_t k = 0; k < kc; ++k) {
    const float* b = next_b();
    for (int i = 0; i < 4; ++i) {
      const float ai = rows[i][k];
      for (int j = 0; j < 4; ++j) acc[i][j] += ai * b[j];
    }
  }
  for (int i = 0; i < 4; ++i, c += ldc)
    for (int j = 0; j < 4; ++j) c[j] = load_c ? c[j] + acc[i][j] : acc[i][j];
}

}  // namespace

NL_F32_GEMM_FORMS(f32_gemm_4x4__scalar, tile_4x4, 4, 4)

}  // namespace nl
