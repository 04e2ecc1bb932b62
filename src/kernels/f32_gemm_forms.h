// The three entry points every micro-kernel file defines (declared in
// f32_gemm.h), from its one tile body
//   tile(kc, rows, next_b, c, ldc, load_c)
// where rows are A's MR row pointers and next_b() yields each step's NR
// floats of B in turn:
//   name_rows   A's rows by pointer, B packed (the indirect GEMM)
//   name_brows  A strided, B's rows by pointer plus an offset (the indirect-B GEMM)
//   name        A strided, B packed (the plain GEMM)
// Expanded inside the kernel's own file, so everything compiles with that
// file's instruction set.
#pragma once

#define NL_F32_GEMM_FORMS(name, tile, MR, NR)                                                                    \
  void name##_rows(int64_t kc, const float* const* rows, const float* b, float* c, int64_t ldc, bool load_c) {   \
    tile(                                                                                                        \
        kc, rows,                                                                                                \
        [b]() mutable {                                                                                          \
          const float* step = b;                                                                                 \
          b += NR;                                                                                               \
          return step;                                                                                           \
        },                                                                                                       \
        c, ldc, load_c);                                                                                         \
  }                                                                                                              \
  void name##_brows(int64_t kc, const float* a, int64_t a_stride, const float* const* b_rows, int64_t b_offset, \
                    float* c, int64_t ldc, bool load_c) {                                                        \
    const float* rows[MR];                                                                                       \
    for (int i = 0; i < MR; ++i) rows[i] = a + i * a_stride;                                                     \
    tile(kc, rows, [b_rows, b_offset]() mutable { return *b_rows++ + b_offset; }, c, ldc, load_c);               \
  }                                                                                                              \
  void name(int64_t kc, const float* a, int64_t a_stride, const float* b, float* c, int64_t ldc, bool load_c) {  \
    const float* rows[MR];                                                                                       \
    for (int i = 0; i < MR; ++i) rows[i] = a + i * a_stride;                                                     \
    name##_rows(kc, rows, b, c, ldc, load_c);                                                                    \
  }
