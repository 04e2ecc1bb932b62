// f32 GEMM micro-kernel, 8x32 tile, AVX-512F: 16 zmm accumulators, 2 B vectors
// and one A broadcast (of 32 zmm registers), so each B load feeds 8 FMAs.
// Compiled with -mavx512f -mavx512vl -mfma (by file name): call nothing but
// intrinsics here, so no inline library function gets an AVX-512 copy.
#include <immintrin.h>

#include "kernels/f32_gemm.h"
#include "kernels/f32_gemm_forms.h"

namespace nl {

namespace {

// The tile over kc steps; next_b() gives each step's 32 floats of B in turn
// (a pointer stepped along, not an index: wasm32 would multiply in 64 bits).
template <typename NextB>
inline __attribute__((always_inline)) void tile_8x32(int64_t kc, const float* const* rows, NextB next_b, float* c,
                                                     int64_t ldc, bool load_c) {
  __m512 acc[8][2];
  for (int i = 0; i < 8; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int64_t k = 0; k < kc; ++k) {
    const float* b = next_b();
    const __m512 bl = _mm512_loadu_ps(b);
    const __m512 bh = _mm512_loadu_ps(b + 16);
    for (int i = 0; i < 8; ++i) {  // fully unrolled by the compiler: acc stays in registers
      const __m512 ak = _mm512_set1_ps(rows[i][k]);
      acc[i][0] = _mm512_fmadd_ps(ak, bl, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(ak, bh, acc[i][1]);
    }
  }
  for (int i = 0; i < 8; ++i, c += ldc) {
    __m512 lo = acc[i][0], hi = acc[i][1];
    if (load_c) {
      lo = _mm512_add_ps(_mm512_loadu_ps(c), lo);
      hi = _mm512_add_ps(_mm512_loadu_ps(c + 16), hi);
    }
    _mm512_storeu_ps(c, lo);
    _mm512_storeu_ps(c + 16, hi);
  }
}

}  // namespace

NL_F32_GEMM_FORMS(f32_gemm_8x32__avx512, tile_8x32, 8, 32)

}  // namespace nl
