// GEMM: C[M x N] = A[M x K] * B[K x N] (or C += when accumulate), row-major.
// op(A) is A or A^T, op(B) is B or B^T, as flagged; lda/ldb/ldc are the row
// strides of the matrices as stored. Convolution (im2col) and dense layers,
// forward and backward, all go through here.
#pragma once
#include <cstdint>

namespace nl {

class ThreadPool;

struct GemmArgs {
  bool trans_a = false;  // A is stored K x M
  bool trans_b = false;  // B is stored N x K
  int64_t m = 0, n = 0, k = 0;
  const float* a = nullptr;
  int64_t lda = 0;
  const float* b = nullptr;
  int64_t ldb = 0;
  float* c = nullptr;
  int64_t ldc = 0;
  bool accumulate = false;  // C += op(A) op(B) instead of C = op(A) op(B)
  // op(B) already packed by gemm_f32_pack_b (then b, ldb and trans_b are not
  // read). A convolution multiplies the same weight with every band of its
  // image; packing it once per call instead of once per band saves a pass
  // over the weight each time (as much work as the arithmetic in deep layers).
  const float* packed_b = nullptr;
};

// The fastest kernel this build and CPU have, split over the pool's threads
// (pool may be null: one thread).
void gemm_f32(const GemmArgs& args, ThreadPool* pool);

// Columns per panel of the packed op(B) layout (the kernel's NR): panel q
// holds columns [q * nr, q * nr + nr) at q * k * nr, element (k, j) of the
// panel at k * nr + j, zero past n. Lets a producer write that layout itself
// (im2col_nhwc_panels) instead of having gemm_f32 copy its output again.
int gemm_f32_panel_width();

// Floats needed to hold op(B) (k x n) packed for gemm_f32's kernel.
int64_t gemm_f32_packed_b_size(int64_t k, int64_t n);

// Packs op(B) of `args` (b, ldb, trans_b, k, n) into `out`
// (gemm_f32_packed_b_size floats), for args.packed_b of later gemm_f32 calls
// with the same k and n, split over the pool's threads (pool may be null).
// The results are bit-identical to unpacked calls.
void gemm_f32_pack_b(const GemmArgs& args, float* out, ThreadPool* pool);

// The indirect GEMM: C[m x n] (+)= A * op(B), where A's K = segments *
// segment_k columns are given per row and segment by pointer: segment s of row
// i is the segment_k floats at rows[s * m + i]. A convolution names the kernel
// rows of each output pixel where they lie in the image, so nothing is
// unfolded (im2col writes each input float KH*KW times). op(B) [K x n] is
// packed by gemm_f32_pack_b. Each C element is summed segment by segment, in
// order, whatever thread computes it.
struct IndirectGemmArgs {
  int64_t m = 0, n = 0;
  int64_t segments = 0, segment_k = 0;
  const float* const* rows = nullptr;
  const float* packed_b = nullptr;
  float* c = nullptr;
  int64_t ldc = 0;
  bool accumulate = false;
};
void gemm_f32_indirect(const IndirectGemmArgs& args, ThreadPool* pool);

// The indirect-B GEMM: C[m x segments * segment_n] (+)= op(A) * B, where B
// has K rows and row p of its column segment s is the segment_n floats at
// b_rows[s * k + p]. A weight gradient dW += dy^T * col names each pixel's
// kernel rows where they lie in the image instead of unfolding them.
struct IndirectBGemmArgs {
  bool trans_a = false;  // A is stored K x M
  int64_t m = 0, k = 0;
  int64_t segments = 0, segment_n = 0;
  const float* a = nullptr;
  int64_t lda = 0;
  const float* const* b_rows = nullptr;
  float* c = nullptr;
  int64_t ldc = 0;
  bool accumulate = false;
};
void gemm_f32_indirect_b(const IndirectBGemmArgs& args, ThreadPool* pool);

// Plain loops, accumulated in double: the oracle the fast kernels are tested against.
void gemm_f32_reference(const GemmArgs& args);

// Name of the micro-kernel gemm_f32 dispatches to, e.g. "f32_gemm_4x8__wasmsimd".
const char* gemm_f32_kernel_name();

}  // namespace nl
