// Four floats as one vector, for the small transposes and transforms that sit
// beside the GEMM kernels (packing, Winograd): GCC and Clang vector
// extensions, so SSE natively and SIMD128 in wasm from the same code.
// Loads and stores go through memcpy, one unaligned vector move: a pointer
// cast would claim 16-byte alignment (Clang drops a lower alignment given on
// a vector typedef, and a template argument loses it).
#pragma once
#include <cstring>

namespace nl {

typedef float Float4 __attribute__((vector_size(16)));

inline Float4 load_float4(const float* p) {
  Float4 v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

inline void store_float4(float* p, Float4 v) { std::memcpy(p, &v, sizeof(v)); }

}  // namespace nl
