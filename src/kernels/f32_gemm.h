// The f32 GEMM micro-kernel family and the blocked driver that runs one of
// them. gemm.h is the public face (gemm_f32 picks the best kernel); this header
// is for the tests and the benchmark, which run every kernel by name.
//
// Three layers, as in XNNPACK:
//   gemm_f32 (gemm.cpp)          chooses the kernel once, at start-up
//   gemm_f32_with_kernel         splits over threads, blocks K and N (caches),
//                                packs B into register-tile panels
//   f32_gemm_<MR>x<NR>__<isa>    pure compute: one MR x NR tile of C over kc
#pragma once
#include <cstdint>
#include <span>

#include "kernels/gemm.h"

namespace nl {

// One register tile: C[MR x NR] (row stride ldc) = A_tile * B_panel, or
// C += A_tile * B_panel when load_c.
//   a: MR rows of kc values, row i at a + i * a_stride: op(A) in place when it
//      is not transposed (as XNNPACK does: packing A would cost as much as the
//      arithmetic when N is small), else a packed copy (a_stride = kc)
//   b: kc x NR packed by the driver, b[k * NR + j] = op(B)(k, j), zero past N
// kc >= 1. Each product is summed over k in order, then added to C once, so a
// C element's value depends on its row and column only, never on the tile or
// thread that computed it.
using F32GemmTileFn = void (*)(int64_t kc, const float* a, int64_t a_stride, const float* b, float* c, int64_t ldc,
                               bool load_c);
// The same tile with row i of A at rows[i] (MR pointers, kc floats each), for
// the indirect GEMM: a convolution's kernel rows read where they lie in the
// image. <name> is <name>_rows with rows a + i * a_stride.
using F32GemmRowsTileFn = void (*)(int64_t kc, const float* const* rows, const float* b, float* c, int64_t ldc,
                                   bool load_c);

// And with step k's NR floats of B at b_rows[k] + b_offset, for the indirect-B
// GEMM: a weight gradient's unfolded input read where it lies in the image.
using F32GemmBRowsTileFn = void (*)(int64_t kc, const float* a, int64_t a_stride, const float* const* b_rows,
                                    int64_t b_offset, float* c, int64_t ldc, bool load_c);

#define NL_F32_GEMM_KERNEL(name, mr, nr, cpu_check)                                                          \
  void name(int64_t kc, const float* a, int64_t a_stride, const float* b, float* c, int64_t ldc, bool load_c); \
  void name##_rows(int64_t kc, const float* const* rows, const float* b, float* c, int64_t ldc, bool load_c);  \
  void name##_brows(int64_t kc, const float* a, int64_t a_stride, const float* const* b_rows, int64_t b_offset,  \
                    float* c, int64_t ldc, bool load_c);
#include "kernels/f32_gemm.inc"
#undef NL_F32_GEMM_KERNEL

struct F32GemmKernel {
  const char* name;
  int mr;
  int nr;
  F32GemmTileFn tile;
  F32GemmRowsTileFn rows_tile;
  F32GemmBRowsTileFn brows_tile;
  bool supported;  // this CPU can run it (always true in wasm: the build decided)
};

// How the driver blocks and splits. Zero / Auto means "the driver's choice".
// Tests use tiny blocks (so small matrices cross every block boundary) and
// forced splits; the benchmark compares settings.
struct F32GemmTuning {
  int64_t kc = 0;  // K per pass: one tile of A rows (MR x kc) stays in L1
  int64_t mc = 0;  // rows of op(A) per pass (packed when transposed: mc x kc)
  int64_t nc = 0;  // columns of packed B per pass (kc x nc, in L2)
  enum class Split { Auto, Rows, Columns };
  // Threads take row tiles (each packs all of B) or column tiles (each packs
  // its share of B but reads all of A). A forced split is used even for
  // problems too small to be worth waking the pool.
  Split split = Split::Auto;
};

// Every kernel this build holds, in f32_gemm.inc order, with CPU support filled in.
std::span<const F32GemmKernel> f32_gemm_kernels();

// The kernel gemm_f32 uses: the last supported entry of f32_gemm_kernels().
const F32GemmKernel& f32_gemm_best_kernel();

// gemm_f32_packed_b_size and gemm_f32_pack_b for a chosen kernel: the packed
// layout depends on its NR (panel q of NR columns at q * k * NR, element
// (k, j) of the panel at k * NR + j, zero past n).
int64_t gemm_f32_packed_b_size_for(const F32GemmKernel& kernel, int64_t k, int64_t n);
void gemm_f32_pack_b_for(const F32GemmKernel& kernel, const GemmArgs& args, float* out, ThreadPool* pool);

// gemm_f32 with a chosen kernel (which must be supported; args.packed_b, if
// set, packed for this kernel). Results are
// bit-identical for any thread count, split, mc and nc: only kc changes them.
void gemm_f32_with_kernel(const F32GemmKernel& kernel, const GemmArgs& args, ThreadPool* pool,
                          const F32GemmTuning& tuning = {});

// gemm_f32_indirect and gemm_f32_indirect_b with a chosen kernel
// (args.packed_b packed for it). Results are bit-identical for any thread count.
void gemm_f32_indirect_with_kernel(const F32GemmKernel& kernel, const IndirectGemmArgs& args, ThreadPool* pool);
void gemm_f32_indirect_b_with_kernel(const F32GemmKernel& kernel, const IndirectBGemmArgs& args, ThreadPool* pool);

}  // namespace nl
