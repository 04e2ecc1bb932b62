// dst[0, n) = src[0, n) for the short copies of hot loops (an im2col tap, a
// bias row, the kept part of an edge tile): a few dozen to a few hundred floats.
// Emscripten 3.1.6 builds without bulk memory, so in wasm std::memcpy is a
// call into the C library's word-by-word loop per copy; this copies a vector
// at a time inline instead (a 7x7 stem on 3 channels unfolded at a third of
// its GEMM's speed through memcpy). Natively the C library's memcpy is the
// quick one, except for the few floats of a tap on one to three channels
// (a 5x5 convolution of one channel, batch 64: forward 29-30 -> 34 GFLOP/s,
// weight gradient 16-22 -> 25).
#pragma once

#include <cstdint>
#include <cstring>
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

namespace nl {

inline void copy_floats(float* dst, const float* src, int64_t n) {
#if defined(__wasm_simd128__)
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(dst + i, wasm_v128_load(src + i));
  for (; i < n; ++i) dst[i] = src[i];
#else
  if (n > 16) {
    std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
    return;
  }
  // Fixed-size moves rather than a call.
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) std::memcpy(dst + i, src + i, 4 * sizeof(float));
  for (; i < n; ++i) dst[i] = src[i];
#endif
}

}  // namespace nl
