// f32 GEMM micro-kernel, 4x8 tile, WebAssembly SIMD128. 4x8 is the measured
// best in V8 (16 xmm registers: 8 accumulators, 2 B vectors, 4 A splats);
// wasm has no FMA, so each step is a multiply then an add.
// Kept a small function the driver calls per tile: V8 optimises a function
// only between calls, so one long-running loop would stay on its baseline tier.
#include <wasm_simd128.h>

#include "kernels/f32_gemm.h"
#include "kernels/f32_gemm_forms.h"

namespace nl {

namespace {

// The tile over kc steps; next_b() gives each step's 8 floats of B in turn
// (a pointer stepped along, not an index: wasm32 would multiply in 64 bits).
template <typename NextB>
inline __attribute__((always_inline)) void tile_4x8(int64_t kc, const float* const* rows, NextB next_b, float* c,
                                                    int64_t ldc, bool load_c) {
  const float* a0 = rows[0];
  const float* a1 = rows[1];
  const float* a2 = rows[2];
  const float* a3 = rows[3];
  v128_t c0l = wasm_f32x4_splat(0.0f), c0h = c0l, c1l = c0l, c1h = c0l;
  v128_t c2l = c0l, c2h = c0l, c3l = c0l, c3h = c0l;
  for (int64_t k = 0; k < kc; ++k) {
    const float* b = next_b();
    const v128_t bl = wasm_v128_load(b);
    const v128_t bh = wasm_v128_load(b + 4);
    const v128_t va0 = wasm_v128_load32_splat(a0 + k);
    c0l = wasm_f32x4_add(c0l, wasm_f32x4_mul(va0, bl));
    c0h = wasm_f32x4_add(c0h, wasm_f32x4_mul(va0, bh));
    const v128_t va1 = wasm_v128_load32_splat(a1 + k);
    c1l = wasm_f32x4_add(c1l, wasm_f32x4_mul(va1, bl));
    c1h = wasm_f32x4_add(c1h, wasm_f32x4_mul(va1, bh));
    const v128_t va2 = wasm_v128_load32_splat(a2 + k);
    c2l = wasm_f32x4_add(c2l, wasm_f32x4_mul(va2, bl));
    c2h = wasm_f32x4_add(c2h, wasm_f32x4_mul(va2, bh));
    const v128_t va3 = wasm_v128_load32_splat(a3 + k);
    c3l = wasm_f32x4_add(c3l, wasm_f32x4_mul(va3, bl));
    c3h = wasm_f32x4_add(c3h, wasm_f32x4_mul(va3, bh));
  }
  const v128_t acc[4][2] = {{c0l, c0h}, {c1l, c1h}, {c2l, c2h}, {c3l, c3h}};
  for (int i = 0; i < 4; ++i, c += ldc) {
    v128_t lo = acc[i][0], hi = acc[i][1];
    if (load_c) {
      lo = wasm_f32x4_add(wasm_v128_load(c), lo);
      hi = wasm_f32x4_add(wasm_v128_load(c + 4), hi);
    }
    wasm_v128_store(c, lo);
    wasm_v128_store(c + 4, hi);
  }
}

}  // namespace

NL_F32_GEMM_FORMS(f32_gemm_4x8__wasmsimd, tile_4x8, 4, 8)

}  // namespace nl
