// The blocked GEMM driver and the kernel table.
//
// Sections:
//   1. the kernel table, filled once from f32_gemm.inc
//   2. packing op(B) into register-tile panels (and op(A) when transposed)
//   3. the blocked loop nest over one rectangle of C, and those of the
//      indirect forms (A's or B's rows by pointer)
//   4. the thread split and the public entry points
//
// Determinism: every C element is computed as C (+)= sum over K blocks of
// (sum over k in the block, in order), whatever tile or thread computes it, so
// the result does not depend on the thread count. Threads split C into disjoint
// rectangles; nothing is reduced across threads.
#include <algorithm>
#include <cassert>
#include <cstring>
#include <vector>

#include "kernels/copy_floats.h"
#include "kernels/cpu_features.h"
#include "kernels/f32_gemm.h"
#include "kernels/float4.h"
#include "kernels/thread_pool.h"
#include "tensor/tensor.h"

namespace nl {

// ---- 1. the kernel table ------------------------------------------------------

namespace {

std::vector<F32GemmKernel> make_kernel_table() {
  std::vector<F32GemmKernel> table;
#define NL_F32_GEMM_KERNEL(name, mr, nr, cpu_check) table.push_back({#name, mr, nr, &name, &name##_rows, &name##_brows, bool(cpu_check)});
#include "kernels/f32_gemm.inc"
#undef NL_F32_GEMM_KERNEL
  return table;
}

const std::vector<F32GemmKernel>& kernel_table() {
  static const std::vector<F32GemmKernel> table = make_kernel_table();
  return table;
}

const F32GemmKernel& choose_best_kernel() {
  const std::vector<F32GemmKernel>& table = kernel_table();
  for (auto it = table.rbegin(); it != table.rend(); ++it)
    if (it->supported) return *it;
  return table.front();  // the scalar kernel runs everywhere
}

// Largest register tile any kernel uses; partial tiles go through a buffer this big.
constexpr int kMaxTileElements = 16 * 64;

// The longest K block: an mr x kc tile of A stays in L1 and a kc x nc block of
// B in L2. K is cut into equal blocks no longer than this.
constexpr int64_t kMaxKc = 256;

// The longest K block when A is streamed: large (beyond L2, so it comes from
// memory), unpacked, and met by few columns of B. A weight-heavy convolution's
// transposed GEMM is such a case: W [512 x 4608] times 49 pixels. With blocks
// of 256 each row of A is fetched in 1 KB pieces far apart in time, which the
// hardware prefetcher follows poorly; with blocks of 1024 ResNet-18's 3x3
// 512 -> 512 convolutions at 7x7 took 2.15 instead of 2.6 ms with their
// weights in memory. (A's tile, mr x 1024, then stays in L1 only for the
// following panels of the same block, which few columns make few.)
constexpr int64_t kMaxStreamedKc = 1024;
constexpr int64_t kStreamedMaxColumns = 64;
constexpr int64_t kStreamedMinBytes = 1 << 20;

bool streams_a(const GemmArgs& g) {
  return !g.trans_a && g.n <= kStreamedMaxColumns && g.m * g.k * int64_t{sizeof(float)} > kStreamedMinBytes;
}

// Below this many flops per thread, one thread is quicker than waking the pool.
constexpr double kMinFlopsPerThread = 2.0 * 1024 * 1024;

// Rough costs, in flops of the fast kernels, of packing one float (a
// scattered copy) and of streaming one float of A from memory: used to choose
// how threads split the work. Measured on the benchmark shapes.
constexpr double kPackFlops = 32;
constexpr double kReadFlops = 8;

// ---- 2. packing ---------------------------------------------------------------
// Each packer stays a function of its own (noinline): V8 optimises a wasm
// function only between calls, and these loops are called once per block.

// Copies rows [m0, m0+mc) and columns [k0, k0+kc) of op(A) = A^T (A stored
// K x M) into row-major form, out[i * kc + k], with zero rows up to `rows_padded`.
// Works on 8 rows of A at a time (8 x mc floats, in L1), so each output row
// gets 8 consecutive stores instead of one store per cache line touched.
[[gnu::noinline]] void pack_transposed_a(const GemmArgs& g, int64_t m0, int64_t mc, int64_t k0, int64_t kc,
                                         int64_t rows_padded, float* out) {
  constexpr int64_t kRows = 8;
  const float* src = g.a + k0 * g.lda + m0;
  int64_t k = 0;
  for (; k + kRows <= kc; k += kRows) {
    const float* rows = src + k * g.lda;
    for (int64_t i = 0; i < mc; ++i) {
      float* dst = out + i * kc + k;
      for (int64_t r = 0; r < kRows; ++r) dst[r] = rows[r * g.lda + i];
    }
  }
  for (; k < kc; ++k)
    for (int64_t i = 0; i < mc; ++i) out[i * kc + k] = src[k * g.lda + i];
  std::fill(out + mc * kc, out + rows_padded * kc, 0.0f);
}

// Copies the last, partial row tile of an untransposed A (rows < mr) into a
// zero-padded mr x kc tile, so the kernel never reads past A.
[[gnu::noinline]] void pack_a_tail(const float* a, int64_t lda, int rows, int64_t kc, int mr, float* out) {
  for (int i = 0; i < rows; ++i) std::memcpy(out + i * kc, a + i * lda, sizeof(float) * kc);
  std::fill(out + rows * kc, out + mr * kc, 0.0f);
}

// out[i * out_stride + r] = rows[r][i] for r, i < 4: a 4x4 block transposed
// in registers.
inline void transpose_4x4(const float* const* rows, float* out, int64_t out_stride) {
  const Float4 a = load_float4(rows[0]), b = load_float4(rows[1]), c = load_float4(rows[2]), d = load_float4(rows[3]);
  const Float4 ab_low = __builtin_shufflevector(a, b, 0, 4, 1, 5), ab_high = __builtin_shufflevector(a, b, 2, 6, 3, 7);
  const Float4 cd_low = __builtin_shufflevector(c, d, 0, 4, 1, 5), cd_high = __builtin_shufflevector(c, d, 2, 6, 3, 7);
  store_float4(out, __builtin_shufflevector(ab_low, cd_low, 0, 1, 4, 5));
  store_float4(out + out_stride, __builtin_shufflevector(ab_low, cd_low, 2, 3, 6, 7));
  store_float4(out + 2 * out_stride, __builtin_shufflevector(ab_high, cd_high, 0, 1, 4, 5));
  store_float4(out + 3 * out_stride, __builtin_shufflevector(ab_high, cd_high, 2, 3, 6, 7));
}

// One panel of a transposed B: out[k * nr + j] = src[j * ld + k] for j < cols,
// zero for cols <= j < nr. Goes by 4x4 blocks transposed in registers: a
// float at a time, packing a 3x3 512-channel weight (9 MB, from memory) took
// about as long as its convolution.
[[gnu::noinline]] void pack_transposed_panel(const float* src, int64_t ld, int cols, int64_t kc, int nr, float* out) {
  constexpr int kMaxNr = 64;
  const float* rows[kMaxNr];
  for (int j = 0; j < cols; ++j) rows[j] = src + j * ld;
  const int block_cols = cols / 4 * 4;
  int64_t k = 0;
  for (; k + 4 <= kc; k += 4, out += 4 * nr) {
    for (int j = 0; j < block_cols; j += 4) {
      const float* block[4] = {rows[j] + k, rows[j + 1] + k, rows[j + 2] + k, rows[j + 3] + k};
      transpose_4x4(block, out + j, nr);
    }
    for (int i = 0; i < 4; ++i) {
      for (int j = block_cols; j < cols; ++j) out[i * nr + j] = rows[j][k + i];
      for (int j = cols; j < nr; ++j) out[i * nr + j] = 0.0f;
    }
  }
  for (; k < kc; ++k, out += nr) {
    for (int j = 0; j < cols; ++j) out[j] = rows[j][k];
    for (int j = cols; j < nr; ++j) out[j] = 0.0f;
  }
}

// One row of B into every full panel: src[q, q + nr) to dst + (q / nr) * nr * kc.
// The kernels' widths are template constants, so each copy is a few vector
// moves instead of a call to memcpy with a length unknown to the compiler (in
// wasm a call into the C library's memcpy per 8 floats).
template <int NR>
void copy_into_panels_fixed(const float* src, int64_t full_cols, int64_t kc, float* dst) {
  for (int64_t q = 0; q < full_cols; q += NR, dst += NR * kc)
    for (int j = 0; j < NR; ++j) dst[j] = src[q + j];
}

void copy_into_panels(const float* src, int64_t full_cols, int nr, int64_t kc, float* dst) {
  switch (nr) {
    case 8: copy_into_panels_fixed<8>(src, full_cols, kc, dst); return;
    case 16: copy_into_panels_fixed<16>(src, full_cols, kc, dst); return;
    case 32: copy_into_panels_fixed<32>(src, full_cols, kc, dst); return;
    default:
      for (int64_t q = 0; q < full_cols; q += nr, dst += nr * kc) std::memcpy(dst, src + q, sizeof(float) * nr);
  }
}

// Packs rows [k0, k0+kc) and columns [n0, n0+nc) of op(B) into ceil(nc/nr)
// panels of kc x nr (panel q at out + q*kc), zero-padding columns past nc.
// Reads B in storage order (rows of B), so the hardware prefetcher follows:
// walking a column strip instead costs more than the arithmetic when N is large.
[[gnu::noinline]] void pack_b(const GemmArgs& g, int64_t k0, int64_t kc, int64_t n0, int64_t nc, int nr, float* out) {
  const int64_t full_cols = nc / nr * nr;
  const int tail_cols = static_cast<int>(nc - full_cols);
  if (g.trans_b) {
    // B stored N x K: column j of op(B) is row j of B, contiguous in k. Each
    // panel is written in order, reading its nr rows side by side (writing
    // row by row instead scatters every store nr floats apart: 4x slower on
    // a 9 MB weight).
    for (int64_t q = 0; q < nc; q += nr) {
      const int cols = static_cast<int>(std::min<int64_t>(nr, nc - q));
      pack_transposed_panel(g.b + (n0 + q) * g.ldb + k0, g.ldb, cols, kc, nr, out + q * kc);
    }
  } else {
    // B stored K x N: row k of B spreads over every panel.
    for (int64_t k = 0; k < kc; ++k) {
      const float* src = g.b + (k0 + k) * g.ldb + n0;
      float* dst = out + k * nr;
      copy_into_panels(src, full_cols, nr, kc, dst);
      dst += full_cols * kc;
      if (tail_cols > 0) {
        std::memcpy(dst, src + full_cols, sizeof(float) * tail_cols);
        std::fill(dst + tail_cols, dst + nr, 0.0f);
      }
    }
  }
}

// ---- 3. the blocked loop nest -------------------------------------------------

struct Blocks {
  int64_t kc, mc, nc;
};

Blocks resolve_blocking(const F32GemmKernel& kernel, const F32GemmTuning& b, int64_t k,
                        int64_t max_kc = kMaxKc) {
  const auto round_up = [](int64_t x, int64_t unit) { return (x + unit - 1) / unit * unit; };
  Blocks r;
  if (b.kc > 0) {
    r.kc = b.kc;
  } else {
    const int64_t blocks = std::max<int64_t>((k + max_kc - 1) / max_kc, 1);
    r.kc = std::max<int64_t>((k + blocks - 1) / blocks, 1);
  }
  // Rows of op(A) per pass; only sizes the packed copy of a transposed A.
  r.mc = round_up(b.mc > 0 ? b.mc : 128, kernel.mr);
  // kc x nc of packed B: about 1 MB, half the L2 of the cores we measured.
  r.nc = round_up(b.nc > 0 ? b.nc : std::max<int64_t>(kernel.nr, (1 << 18) / r.kc), kernel.nr);
  return r;
}

// Packing buffers live per thread and grow to the largest request seen (at
// most (mc + nc) x kc floats, about 1.2 MB), so small repeated GEMMs (a
// convolution's per-image calls) do not allocate.
struct PackBuffers {
  FloatBuffer a, b;
};

PackBuffers& thread_pack_buffers() {
  thread_local PackBuffers buffers;
  return buffers;
}

// A tile at the bottom or right edge of C (rows < MR or cols < NR): the
// kernel computes the whole register tile into a buffer, tile_into(partial)
// (any of its three forms, with C's row stride NR), and only the part inside
// C is kept.
template <typename TileInto>
[[gnu::noinline]] void run_edge_tile(const F32GemmKernel& kernel, float* c, int64_t ldc, int rows, int cols,
                                     bool load_c, const TileInto& tile_into) {
  const int mr = kernel.mr, nr = kernel.nr;
  alignas(64) float partial[kMaxTileElements];
  if (load_c) {
    for (int i = 0; i < mr; ++i)
      for (int j = 0; j < nr; ++j) partial[i * nr + j] = (i < rows && j < cols) ? c[i * ldc + j] : 0.0f;
  }
  tile_into(partial);
  for (int i = 0; i < rows; ++i) copy_floats(c + i * ldc, partial + i * nr, cols);
}

// C[m_begin:m_end, n_begin:n_end] (+)= op(A) op(B) for that rectangle. k > 0.
// Loop order (XNNPACK's): per K block, each tile of A rows (mr x kc, in L1)
// meets every packed B panel of the N block (kc x nc, in L2).
void gemm_rectangle(const F32GemmKernel& kernel, const GemmArgs& g, const Blocks& blocks, int64_t m_begin,
                    int64_t m_end, int64_t n_begin, int64_t n_end) {
  const int mr = kernel.mr, nr = kernel.nr;
  const int64_t kc_max = std::min(blocks.kc, g.k);
  const int64_t mc_max = std::min(blocks.mc, (m_end - m_begin + mr - 1) / mr * mr);
  const int64_t nc_max = std::min(blocks.nc, (n_end - n_begin + nr - 1) / nr * nr);
  const int64_t a_size = (g.trans_a ? mc_max : mr) * kc_max;
  const int64_t b_size = g.packed_b ? 0 : nc_max * kc_max;
  PackBuffers& buffers = thread_pack_buffers();
  if (buffers.a.size() < static_cast<size_t>(a_size)) buffers.a.resize(static_cast<size_t>(a_size));
  if (buffers.b.size() < static_cast<size_t>(b_size)) buffers.b.resize(static_cast<size_t>(b_size));
  float* a_packed = buffers.a.data();
  for (int64_t jc = n_begin; jc < n_end; jc += blocks.nc) {
    const int64_t nc = std::min(blocks.nc, n_end - jc);
    for (int64_t pc = 0; pc < g.k; pc += blocks.kc) {
      const int64_t kc = std::min(blocks.kc, g.k - pc);
      const bool load_c = g.accumulate || pc > 0;
      // Panels of this block: kc x nr each, panel_stride apart.
      const float* b_packed;
      int64_t panel_stride;
      if (g.packed_b) {
        b_packed = g.packed_b + (jc / nr) * g.k * nr + pc * nr;
        panel_stride = g.k * nr;
      } else {
        pack_b(g, pc, kc, jc, nc, nr, buffers.b.data());
        b_packed = buffers.b.data();
        panel_stride = kc * nr;
      }
      for (int64_t ic = m_begin; ic < m_end; ic += blocks.mc) {
        const int64_t mc = std::min(blocks.mc, m_end - ic);
        const float* a_block = a_packed;  // op(A)[ic:ic+mc, pc:pc+kc], rows a_stride apart
        int64_t a_stride = kc;
        if (g.trans_a) {
          pack_transposed_a(g, ic, mc, pc, kc, (mc + mr - 1) / mr * mr, a_packed);
        } else {
          a_block = g.a + ic * g.lda + pc;
          a_stride = g.lda;
        }
        for (int64_t ir = 0; ir < mc; ir += mr) {
          const int rows = static_cast<int>(std::min<int64_t>(mr, mc - ir));
          const float* a_tile = a_block + ir * a_stride;
          int64_t a_tile_stride = a_stride;
          if (rows < mr && !g.trans_a) {
            pack_a_tail(a_tile, a_stride, rows, kc, mr, a_packed);
            a_tile = a_packed;
            a_tile_stride = kc;
          }
          float* c_row = g.c + (ic + ir) * g.ldc + jc;
          for (int64_t jr = 0; jr < nc; jr += nr) {
            const float* b_panel = b_packed + (jr / nr) * panel_stride;
            const int cols = static_cast<int>(std::min<int64_t>(nr, nc - jr));
            float* c = c_row + jr;
            if (rows == mr && cols == nr)
              kernel.tile(kc, a_tile, a_tile_stride, b_panel, c, g.ldc, load_c);
            else
              run_edge_tile(kernel, c, g.ldc, rows, cols, load_c, [&](float* partial) {
                kernel.tile(kc, a_tile, a_tile_stride, b_panel, partial, nr, load_c);
              });
          }
        }
      }
    }
  }
}

constexpr int kMaxMr = 16;

// C floats an indirect GEMM keeps in cache while the K blocks pass (see below).
constexpr int64_t kIndirectChunkFloats = int64_t{1} << 16;  // 256 KB

// Rows [m_begin, m_end) of an indirect GEMM's C (m_begin a multiple of mr), in
// chunks of rows whose C (chunk x n) stays in L2. Per chunk, each K block of
// every segment meets each tile of mr rows (its A rows in L1), and each tile
// all the B panels of that block (kc x n, in L2): the packed B is read once
// per chunk, not once per tile, which matters when it outgrows L2 (3x3 256 ->
// 256 is 2.4 MB).
void indirect_rectangle(const F32GemmKernel& kernel, const IndirectGemmArgs& g, int64_t kc_max, int64_t m_begin,
                        int64_t m_end) {
  const int mr = kernel.mr, nr = kernel.nr;
  const int64_t k = g.segments * g.segment_k;
  const int64_t chunk = std::max<int64_t>(1, kIndirectChunkFloats / (g.n * mr)) * mr;
  const float* tile[kMaxMr];
  for (int64_t ic = m_begin; ic < m_end; ic += chunk) {
    const int64_t ic_end = std::min(m_end, ic + chunk);
    for (int64_t s = 0; s < g.segments; ++s) {
      for (int64_t k0 = 0; k0 < g.segment_k; k0 += kc_max) {
        const int64_t kc = std::min(kc_max, g.segment_k - k0);
        const bool load_c = g.accumulate || s > 0 || k0 > 0;
        const float* b_block = g.packed_b + (s * g.segment_k + k0) * nr;
        for (int64_t ir = ic; ir < ic_end; ir += mr) {
          const int rows = static_cast<int>(std::min<int64_t>(mr, ic_end - ir));
          float* c_row = g.c + ir * g.ldc;
          const float* const* segment = g.rows + s * g.m + ir;
          // Rows past m repeat the last one; the edge tile drops their results.
          for (int i = 0; i < mr; ++i) tile[i] = segment[std::min(i, rows - 1)] + k0;
          for (int64_t jr = 0; jr < g.n; jr += nr) {
            const float* b_panel = b_block + (jr / nr) * k * nr;
            const int cols = static_cast<int>(std::min<int64_t>(nr, g.n - jr));
            if (rows == mr && cols == nr)
              kernel.rows_tile(kc, tile, b_panel, c_row + jr, g.ldc, load_c);
            else
              run_edge_tile(kernel, c_row + jr, g.ldc, rows, cols, load_c,
                            [&](float* partial) { kernel.rows_tile(kc, tile, b_panel, partial, nr, load_c); });
          }
        }
      }
    }
  }
}

// Step k's columns [n0, n0 + cols) of an indirect B, zero-padded to nr: the
// last, partial panel of a segment (reading nr floats in place would run past it).
[[gnu::noinline]] void pack_b_rows_tail(const float* const* b_rows, int64_t kc, int64_t n0, int cols, int nr,
                                        float* out) {
  for (int64_t k = 0; k < kc; ++k, out += nr) {
    copy_floats(out, b_rows[k] + n0, cols);
    std::fill(out + cols, out + nr, 0.0f);
  }
}

// One panel (columns [n0, n0 + cols) of segment `segment`) of one K block of
// an indirect-B GEMM, for every row tile of the packed A block.
void indirect_b_panel(const F32GemmKernel& kernel, const IndirectBGemmArgs& g, int64_t pc, int64_t kc,
                      const float* a_block, int64_t a_stride, int64_t segment, int64_t n0, bool load_c) {
  const int mr = kernel.mr, nr = kernel.nr;
  const float* const* b_rows = g.b_rows + segment * g.k + pc;
  const int cols = static_cast<int>(std::min<int64_t>(nr, g.segment_n - n0));
  float* c_col = g.c + segment * g.segment_n + n0;
  thread_local FloatBuffer tail;
  if (cols < nr) {
    if (tail.size() < static_cast<size_t>(kc * nr)) tail.resize(static_cast<size_t>(kc * nr));
    pack_b_rows_tail(b_rows, kc, n0, cols, nr, tail.data());
  }
  for (int64_t ir = 0; ir < g.m; ir += mr) {
    const int rows = static_cast<int>(std::min<int64_t>(mr, g.m - ir));
    const float* a_tile = a_block + ir * a_stride;
    float* c = c_col + ir * g.ldc;
    if (rows == mr && cols == nr) {
      kernel.brows_tile(kc, a_tile, a_stride, b_rows, n0, c, g.ldc, load_c);
    } else {
      run_edge_tile(kernel, c, g.ldc, rows, cols, load_c, [&](float* partial) {
        if (cols < nr) kernel.tile(kc, a_tile, a_stride, tail.data(), partial, nr, load_c);  // packed tail panel
        else kernel.brows_tile(kc, a_tile, a_stride, b_rows, n0, partial, nr, load_c);
      });
    }
  }
}

}  // namespace

// ---- 4. thread split and entry points -------------------------------------------

std::span<const F32GemmKernel> f32_gemm_kernels() { return kernel_table(); }

const F32GemmKernel& f32_gemm_best_kernel() {
  static const F32GemmKernel& best = choose_best_kernel();
  return best;
}

void gemm_f32_with_kernel(const F32GemmKernel& kernel, const GemmArgs& g, ThreadPool* pool,
                          const F32GemmTuning& tuning) {
  assert(kernel.supported && kernel.mr * kernel.nr <= kMaxTileElements);
  assert(g.m >= 0 && g.n >= 0 && g.k >= 0);
  if (g.m == 0 || g.n == 0) return;
  if (g.k == 0) {
    // op(A) op(B) is all zeros: C = 0, or C unchanged when accumulating.
    if (!g.accumulate)
      for (int64_t i = 0; i < g.m; ++i) std::fill(g.c + i * g.ldc, g.c + i * g.ldc + g.n, 0.0f);
    return;
  }
  const Blocks blocks = resolve_blocking(kernel, tuning, g.k, streams_a(g) ? kMaxStreamedKc : kMaxKc);
  const int threads = pool ? pool->threads() : 1;
  const int64_t m_tiles = (g.m + kernel.mr - 1) / kernel.mr;
  const int64_t n_tiles = (g.n + kernel.nr - 1) / kernel.nr;
  const double m = static_cast<double>(g.m), n = static_cast<double>(g.n), k = static_cast<double>(g.k);
  using Split = F32GemmTuning::Split;
  Split split = tuning.split;
  bool use_pool = threads > 1;
  if (split == Split::Auto) {
    if (2.0 * m * n * k < kMinFlopsPerThread * threads) {
      use_pool = false;
    } else {
      // Cost per thread, in flops: its share of the arithmetic (whole tiles),
      // plus the packing and reading of operands each split makes it do.
      const double rows_each = std::min(m, static_cast<double>((m_tiles + threads - 1) / threads * kernel.mr));
      const double cols_each = std::min(n, static_cast<double>((n_tiles + threads - 1) / threads * kernel.nr));
      const double a_copy = g.trans_a ? kPackFlops : kReadFlops;
      const double b_copy = g.packed_b ? kReadFlops : kPackFlops;
      const double cost_rows = 2 * rows_each * n * k + b_copy * k * n + a_copy * rows_each * k;
      const double cost_cols = 2 * m * cols_each * k + b_copy * k * cols_each + a_copy * m * k;
      split = cost_rows <= cost_cols ? Split::Rows : Split::Columns;
    }
  }
  if (!use_pool || (split == Split::Rows ? m_tiles : n_tiles) == 1) {
    gemm_rectangle(kernel, g, blocks, 0, g.m, 0, g.n);
  } else if (split == Split::Rows) {
    pool->parallel_for(m_tiles, [&](int64_t begin, int64_t end) {
      gemm_rectangle(kernel, g, blocks, begin * kernel.mr, std::min(g.m, end * kernel.mr), 0, g.n);
    });
  } else {
    pool->parallel_for(n_tiles, [&](int64_t begin, int64_t end) {
      gemm_rectangle(kernel, g, blocks, 0, g.m, begin * kernel.nr, std::min(g.n, end * kernel.nr));
    });
  }
}

void gemm_f32_indirect_with_kernel(const F32GemmKernel& kernel, const IndirectGemmArgs& g, ThreadPool* pool) {
  assert(kernel.supported && kernel.mr <= kMaxMr && kernel.mr * kernel.nr <= kMaxTileElements);
  assert(g.m >= 0 && g.n >= 0 && g.segments >= 0 && g.segment_k >= 0);
  if (g.m == 0 || g.n == 0) return;
  if (g.segments == 0 || g.segment_k == 0) {
    if (!g.accumulate)
      for (int64_t i = 0; i < g.m; ++i) std::fill(g.c + i * g.ldc, g.c + i * g.ldc + g.n, 0.0f);
    return;
  }
  // K blocks within a segment follow gemm_f32's rule (equal, at most kMaxKc).
  const int64_t kc = resolve_blocking(kernel, F32GemmTuning{}, g.segment_k).kc;
  const int64_t m_tiles = (g.m + kernel.mr - 1) / kernel.mr;
  const int threads = pool ? pool->threads() : 1;
  const double flops = 2.0 * static_cast<double>(g.m) * static_cast<double>(g.n) *
                       static_cast<double>(g.segments * g.segment_k);
  if (threads > 1 && m_tiles > 1 && flops >= kMinFlopsPerThread * threads) {
    pool->parallel_for(m_tiles, [&](int64_t begin, int64_t end) {
      indirect_rectangle(kernel, g, kc, begin * kernel.mr, std::min(g.m, end * kernel.mr));
    });
  } else {
    indirect_rectangle(kernel, g, kc, 0, g.m);
  }
}

void gemm_f32_indirect_b_with_kernel(const F32GemmKernel& kernel, const IndirectBGemmArgs& g, ThreadPool* pool) {
  assert(kernel.supported && kernel.mr * kernel.nr <= kMaxTileElements);
  assert(g.m >= 0 && g.k >= 0 && g.segments >= 0 && g.segment_n >= 0);
  const int64_t n = g.segments * g.segment_n;
  if (g.m == 0 || n == 0) return;
  if (g.k == 0) {
    if (!g.accumulate)
      for (int64_t i = 0; i < g.m; ++i) std::fill(g.c + i * g.ldc, g.c + i * g.ldc + n, 0.0f);
    return;
  }
  const int mr = kernel.mr, nr = kernel.nr;
  const int64_t kc_max = resolve_blocking(kernel, F32GemmTuning{}, g.k).kc;
  const int64_t rows_padded = (g.m + mr - 1) / mr * mr;
  const int64_t panels = (g.segment_n + nr - 1) / nr;  // per segment
  const int threads = pool ? pool->threads() : 1;
  const bool split = threads > 1 && g.segments * panels > 1 &&
                     2.0 * static_cast<double>(g.m) * static_cast<double>(n) * static_cast<double>(g.k) >=
                         kMinFlopsPerThread * threads;
  // The A block, all m rows of one K block, copied (transposed when A is
  // stored K x M) into rows of kc floats, zero rows up to a whole tile: every
  // panel of every segment then reads it from cache.
  FloatBuffer& a_packed = thread_pack_buffers().a;
  if (a_packed.size() < static_cast<size_t>(rows_padded * kc_max))
    a_packed.resize(static_cast<size_t>(rows_padded * kc_max));
  for (int64_t pc = 0; pc < g.k; pc += kc_max) {
    const int64_t kc = std::min(kc_max, g.k - pc);
    const bool load_c = g.accumulate || pc > 0;
    const float* a_block;
    int64_t a_stride;
    if (g.trans_a) {
      GemmArgs view;
      view.a = g.a;
      view.lda = g.lda;
      pack_transposed_a(view, 0, g.m, pc, kc, rows_padded, a_packed.data());
      a_block = a_packed.data();
      a_stride = kc;
    } else {
      for (int64_t i = 0; i < rows_padded; ++i) {
        float* dst = a_packed.data() + i * kc;
        if (i < g.m) copy_floats(dst, g.a + i * g.lda + pc, kc);
        else std::fill(dst, dst + kc, 0.0f);
      }
      a_block = a_packed.data();
      a_stride = kc;
    }
    auto run = [&](int64_t begin, int64_t end) {
      for (int64_t job = begin; job < end; ++job)
        indirect_b_panel(kernel, g, pc, kc, a_block, a_stride, job / panels, (job % panels) * nr, load_c);
    };
    if (split) pool->parallel_for(g.segments * panels, run);
    else run(0, g.segments * panels);
  }
}

void gemm_f32_indirect_b(const IndirectBGemmArgs& args, ThreadPool* pool) {
  gemm_f32_indirect_b_with_kernel(f32_gemm_best_kernel(), args, pool);
}

void gemm_f32_indirect(const IndirectGemmArgs& args, ThreadPool* pool) {
  gemm_f32_indirect_with_kernel(f32_gemm_best_kernel(), args, pool);
}

int64_t gemm_f32_packed_b_size_for(const F32GemmKernel& kernel, int64_t k, int64_t n) {
  return (n + kernel.nr - 1) / kernel.nr * kernel.nr * k;
}

void gemm_f32_pack_b_for(const F32GemmKernel& kernel, const GemmArgs& args, float* out, ThreadPool* pool) {
  if (args.k <= 0 || args.n <= 0) return;
  // A block spanning all of K has the whole-matrix layout, so each thread packs
  // a range of panels as one block at that range's place.
  const int nr = kernel.nr;
  const int64_t panels = (args.n + nr - 1) / nr;
  auto pack_panels = [&](int64_t begin, int64_t end) {
    const int64_t n0 = begin * nr, n1 = std::min(args.n, end * nr);
    pack_b(args, 0, args.k, n0, n1 - n0, nr, out + begin * nr * args.k);
  };
  const bool split = pool && pool->threads() > 1 && args.k * args.n >= (int64_t{1} << 16);
  if (split) pool->parallel_for(panels, pack_panels);
  else pack_panels(0, panels);
}

int gemm_f32_panel_width() { return f32_gemm_best_kernel().nr; }

int64_t gemm_f32_packed_b_size(int64_t k, int64_t n) { return gemm_f32_packed_b_size_for(f32_gemm_best_kernel(), k, n); }

void gemm_f32_pack_b(const GemmArgs& args, float* out, ThreadPool* pool) {
  gemm_f32_pack_b_for(f32_gemm_best_kernel(), args, out, pool);
}

void gemm_f32(const GemmArgs& args, ThreadPool* pool) { gemm_f32_with_kernel(f32_gemm_best_kernel(), args, pool); }

const char* gemm_f32_kernel_name() { return f32_gemm_best_kernel().name; }

}  // namespace nl
