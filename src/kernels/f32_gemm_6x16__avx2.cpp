// f32 GEMM micro-kernel, 6x16 tile, AVX2 + FMA: 12 ymm accumulators, 2 B
// vectors and one A broadcast fill the 16 ymm registers.
// Compiled with -mavx2 -mfma (by file name): call nothing but intrinsics
// here, so no inline library function gets an AVX2 copy that the linker could
// pick for code running on older CPUs.
#include <immintrin.h>

#include "kernels/f32_gemm.h"
#include "kernels/f32_gemm_forms.h"

namespace nl {

namespace {

// The tile over kc steps; next_b() gives each step's 16 floats of B in turn
// (a pointer stepped along, not an index: wasm32 would multiply in 64 bits).
template <typename NextB>
inline __attribute__((always_inline)) void tile_6x16(int64_t kc, const float* const* rows, NextB next_b, float* c,
                                                     int64_t ldc, bool load_c) {
  const float* a0 = rows[0];
  const float* a1 = rows[1];
  const float* a2 = rows[2];
  const float* a3 = rows[3];
  const float* a4 = rows[4];
  const float* a5 = rows[5];
  __m256 c0l = _mm256_setzero_ps(), c0h = c0l, c1l = c0l, c1h = c0l, c2l = c0l, c2h = c0l;
  __m256 c3l = c0l, c3h = c0l, c4l = c0l, c4h = c0l, c5l = c0l, c5h = c0l;
  for (int64_t k = 0; k < kc; ++k) {
    const float* b = next_b();
    const __m256 bl = _mm256_loadu_ps(b);
    const __m256 bh = _mm256_loadu_ps(b + 8);
    __m256 ak = _mm256_broadcast_ss(a0 + k);
    c0l = _mm256_fmadd_ps(ak, bl, c0l);
    c0h = _mm256_fmadd_ps(ak, bh, c0h);
    ak = _mm256_broadcast_ss(a1 + k);
    c1l = _mm256_fmadd_ps(ak, bl, c1l);
    c1h = _mm256_fmadd_ps(ak, bh, c1h);
    ak = _mm256_broadcast_ss(a2 + k);
    c2l = _mm256_fmadd_ps(ak, bl, c2l);
    c2h = _mm256_fmadd_ps(ak, bh, c2h);
    ak = _mm256_broadcast_ss(a3 + k);
    c3l = _mm256_fmadd_ps(ak, bl, c3l);
    c3h = _mm256_fmadd_ps(ak, bh, c3h);
    ak = _mm256_broadcast_ss(a4 + k);
    c4l = _mm256_fmadd_ps(ak, bl, c4l);
    c4h = _mm256_fmadd_ps(ak, bh, c4h);
    ak = _mm256_broadcast_ss(a5 + k);
    c5l = _mm256_fmadd_ps(ak, bl, c5l);
    c5h = _mm256_fmadd_ps(ak, bh, c5h);
  }
  const __m256 acc[6][2] = {{c0l, c0h}, {c1l, c1h}, {c2l, c2h}, {c3l, c3h}, {c4l, c4h}, {c5l, c5h}};
  for (int i = 0; i < 6; ++i, c += ldc) {
    __m256 lo = acc[i][0], hi = acc[i][1];
    if (load_c) {
      lo = _mm256_add_ps(_mm256_loadu_ps(c), lo);
      hi = _mm256_add_ps(_mm256_loadu_ps(c + 8), hi);
    }
    _mm256_storeu_ps(c, lo);
    _mm256_storeu_ps(c + 8, hi);
  }
}

}  // namespace

NL_F32_GEMM_FORMS(f32_gemm_6x16__avx2, tile_6x16, 6, 16)

}  // namespace nl
