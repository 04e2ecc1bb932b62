// dst[0, n) = src[0, n) for the short copies of hot loops (an im2col tap, a
// bias row, the kept part of an edge tile): a few dozen to a few hundred floats.
// Emscripten 3.1.6 builds without bulk memory, so in wasm std::memcpy is a
// call into the C library's word-by-word loop per copy; this copies a vector
// at a time inline instead (a 7x7 stem on 3 channels unfolded at a third of
// its GEMM's speed through memcpy). Natively the C library's memcpy is the
// quick one.
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
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
#endif
}

}  // namespace nl
