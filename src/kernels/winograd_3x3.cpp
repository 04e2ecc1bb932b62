// Winograd F(2x2, 3x3); see winograd_3x3.h. The transforms work on 4
// channels at a time (NHWC keeps a pixel's channels together), the products
// go through gemm_f32 in blocks of tiles whose transformed input and products
// stay in L2.
#include "kernels/winograd_3x3.h"

#include <algorithm>

#include "kernels/float4.h"
#include "kernels/gemm.h"
#include "kernels/thread_pool.h"
#include "tensor/tensor.h"

namespace nl {

namespace {

constexpr int kPositions = 16;  // of the 4x4 transformed tile

// Transformed input and products of one block of tiles: about 256 KB.
constexpr int64_t kBlockFloats = int64_t{1} << 16;
constexpr int64_t kMinBlockTiles = 64;
constexpr int64_t kMaxBlockTiles = 128;
constexpr int64_t kMinThreadTiles = 16;
constexpr int64_t kCacheLineFloats = 16;
// Channel pairs from which the weight transform is worth splitting over threads.
constexpr int64_t kMinParallelWeightPairs = 64 * 64;

// A lane-generic load and store, so each transform is written once for 4
// channels and once for the scalar tail.
template <typename T>
inline T load(const float* p) {
  if constexpr (sizeof(T) == sizeof(Float4)) return load_float4(p);
  else return *p;
}
template <typename T>
inline void store(float* p, T v) {
  if constexpr (sizeof(T) == sizeof(Float4)) store_float4(p, v);
  else *p = v;
}

// V = B^T d B at channels [c, c + lanes): d[i * 4 + j] is the tile's input
// pixel (i, j); position p of V goes to v + p * stride. B^T has the rows
// (1, 0, -1, 0), (0, 1, 1, 0), (0, -1, 1, 0), (0, 1, 0, -1).
template <typename T>
inline void transform_input_at(const float* const* d, int64_t c, float* v, int64_t stride) {
  T t[4][4];
  for (int j = 0; j < 4; ++j) {
    const T d0 = load<T>(d[j] + c), d1 = load<T>(d[4 + j] + c);
    const T d2 = load<T>(d[8 + j] + c), d3 = load<T>(d[12 + j] + c);
    t[0][j] = d0 - d2;
    t[1][j] = d1 + d2;
    t[2][j] = d2 - d1;
    t[3][j] = d1 - d3;
  }
  for (int i = 0; i < 4; ++i) {
    store<T>(v + (i * 4 + 0) * stride + c, t[i][0] - t[i][2]);
    store<T>(v + (i * 4 + 1) * stride + c, t[i][1] + t[i][2]);
    store<T>(v + (i * 4 + 2) * stride + c, t[i][2] - t[i][1]);
    store<T>(v + (i * 4 + 3) * stride + c, t[i][1] - t[i][3]);
  }
}

[[gnu::noinline]] void transform_input(const float* const* d, int64_t channels, float* v, int64_t stride) {
  int64_t c = 0;
  for (; c + 4 <= channels; c += 4) transform_input_at<Float4>(d, c, v, stride);
  for (; c < channels; ++c) transform_input_at<float>(d, c, v, stride);
}

// Y = A^T M A + bias at channels [k, k + lanes): position p of M at
// m + p * stride; out[i * 2 + j] is output pixel (i, j) of the tile, or null
// past the image's edge. A^T has the rows (1, 1, 1, 0), (0, 1, -1, -1).
template <typename T, bool kAccumulate>
inline void transform_output_at(const float* m, int64_t stride, int64_t k, const float* bias, float* const* out) {
  T r[2][4];
  for (int j = 0; j < 4; ++j) {
    const T m0 = load<T>(m + (0 * 4 + j) * stride + k), m1 = load<T>(m + (1 * 4 + j) * stride + k);
    const T m2 = load<T>(m + (2 * 4 + j) * stride + k), m3 = load<T>(m + (3 * 4 + j) * stride + k);
    r[0][j] = m0 + m1 + m2;
    r[1][j] = m1 - m2 - m3;
  }
  const T b = bias ? load<T>(bias + k) : T{};
  const T y[4] = {r[0][0] + r[0][1] + r[0][2] + b, r[0][1] - r[0][2] - r[0][3] + b, r[1][0] + r[1][1] + r[1][2] + b,
                  r[1][1] - r[1][2] - r[1][3] + b};
  for (int i = 0; i < 4; ++i)
    if (out[i]) store<T>(out[i] + k, kAccumulate ? load<T>(out[i] + k) + y[i] : y[i]);
}

template <bool kAccumulate>
[[gnu::noinline]] void transform_output(const float* m, int64_t stride, int64_t channels, const float* bias,
                                        float* const* out) {
  int64_t k = 0;
  for (; k + 4 <= channels; k += 4) transform_output_at<Float4, kAccumulate>(m, stride, k, bias, out);
  for (; k < channels; ++k) transform_output_at<float, kAccumulate>(m, stride, k, bias, out);
}

// U = G g G^T at input channels [c, c + lanes) of output channel k's taps g
// (tap (kh, kw) at g + (kh * 3 + kw) * cin); position p of U goes to
// u + p * stride. G has the rows (1, 0, 0), (1/2, 1/2, 1/2), (1/2, -1/2, 1/2),
// (0, 0, 1).
template <typename T>
inline void transform_weight_at(const float* g, int64_t cin, int64_t c, float* u, int64_t stride) {
  const T half = T{} + 0.5f;
  T gg[4][3];  // G g
  for (int kw = 0; kw < 3; ++kw) {
    const T g0 = load<T>(g + kw * cin + c), g1 = load<T>(g + (3 + kw) * cin + c);
    const T g2 = load<T>(g + (6 + kw) * cin + c);
    gg[0][kw] = g0;
    gg[1][kw] = half * (g0 + g1 + g2);
    gg[2][kw] = half * (g0 - g1 + g2);
    gg[3][kw] = g2;
  }
  for (int i = 0; i < 4; ++i) {
    store<T>(u + (i * 4 + 0) * stride + c, gg[i][0]);
    store<T>(u + (i * 4 + 1) * stride + c, half * (gg[i][0] + gg[i][1] + gg[i][2]));
    store<T>(u + (i * 4 + 2) * stride + c, half * (gg[i][0] - gg[i][1] + gg[i][2]));
    store<T>(u + (i * 4 + 3) * stride + c, gg[i][2]);
  }
}

// Rows [k0, k1) of the 16 matrices U_p: U_p[k][c] = (G g G^T)_p, at
// u + p * stride + k * cin + c, for the weight's output channel k and input
// channel c (cin of them).
[[gnu::noinline]] void transform_weight(const float* weight, int64_t cin, int64_t k0, int64_t k1, float* u,
                                        int64_t stride) {
  for (int64_t k = k0; k < k1; ++k) {
    const float* g = weight + k * 9 * cin;
    float* row = u + k * cin;
    int64_t c = 0;
    for (; c + 4 <= cin; c += 4) transform_weight_at<Float4>(g, cin, c, row, stride);
    for (; c < cin; ++c) transform_weight_at<float>(g, cin, c, row, stride);
  }
}

}  // namespace

void conv3x3_winograd(const Winograd3x3Args& a, ThreadPool* pool) {
  const int64_t cin = a.in_c, cout = a.out_c;
  if (a.batch <= 0 || a.out_h <= 0 || a.out_w <= 0 || cout <= 0) return;
  // The 16 matrices of each layout here lie a cache line more than their size
  // apart: at a multiple of 4 KB (64 tiles of 32 channels; 256 x 256 channel
  // pairs) the transforms' 16 streams would fall into one L1 set (the input
  // transform ran at half speed, the weight transform of 256 channels at a third).
  // U_p of the stored weight, [weight_out, weight_in]:
  const int64_t weight_out = a.flipped ? cin : cout, weight_in = a.flipped ? cout : cin;
  const int64_t u_stride = cin * cout + kCacheLineFloats;
  const int64_t packed_stride = gemm_f32_packed_b_size(cin, cout) + kCacheLineFloats;
  thread_local FloatBuffer u, packed_buffer;
  if (u.size() < static_cast<size_t>(kPositions * u_stride)) u.resize(static_cast<size_t>(kPositions * u_stride));
  if (packed_buffer.size() < static_cast<size_t>(kPositions * packed_stride))
    packed_buffer.resize(static_cast<size_t>(kPositions * packed_stride));
  float* u_data = u.data();
  if (pool && pool->threads() > 1 && cin * cout >= kMinParallelWeightPairs)
    pool->parallel_for(weight_out, [&](int64_t k0, int64_t k1) {
      transform_weight(a.weight, weight_in, k0, k1, u_data, u_stride);
    });
  else
    transform_weight(a.weight, weight_in, 0, weight_out, u_data, u_stride);
  // Each position's GEMM operand [in_c, out_c], packed. Flipped: the rotated
  // kernel's G g G^T is G g G^T with rows and columns 0 and 3 swapped (G
  // with its columns reversed is G with rows 0 and 3 swapped), and the swapped
  // channel roles make U_p itself, unmirrored, the operand.
  for (int p = 0; p < kPositions; ++p) {
    constexpr int kSwap03[4] = {3, 1, 2, 0};
    const int source = a.flipped ? kSwap03[p / 4] * 4 + kSwap03[p % 4] : p;
    GemmArgs b;
    b.trans_b = !a.flipped;  // U_p^T of the unflipped weight's [out_c, in_c]
    b.k = cin;
    b.n = cout;
    b.b = u_data + source * u_stride;
    b.ldb = weight_in;
    gemm_f32_pack_b(b, packed_buffer.data() + p * packed_stride, pool);
  }
  // Plain pointers: lambdas running on pool threads would see their own thread_locals.
  const float* packed = packed_buffer.data();
  const FloatBuffer zeros(static_cast<size_t>(cin), 0.0f);  // input pixels in the padding
  const float* zero = zeros.data();

  const int64_t tiles_h = (a.out_h + 1) / 2, tiles_w = (a.out_w + 1) / 2;
  const int64_t tiles = a.batch * tiles_h * tiles_w;
  // Tiles per block: as many as keep a block's transformed input and products
  // in L2, but at least kMinBlockTiles, for each GEMM reads all of its U_p
  // (256 KB for 256 channels) once per block. The blocks are made equal and a
  // multiple of the threads in number, and every thread gets one once there
  // are kMinThreadTiles tiles each: one block's GEMMs are too small to split
  // (49 tiles of 64 channels: 0.4 MFLOP each). A tile's result does not depend
  // on its block, so neither does it on the thread count.
  const int threads = pool ? pool->threads() : 1;
  const int64_t target = std::clamp<int64_t>(kBlockFloats / (kPositions * (cin + cout)), kMinBlockTiles, kMaxBlockTiles);
  int64_t blocks = (tiles + target - 1) / target;
  if (blocks > 1 || tiles >= threads * kMinThreadTiles) blocks = (blocks + threads - 1) / threads * threads;
  const int64_t block = (tiles + blocks - 1) / blocks;
  blocks = (tiles + block - 1) / block;
  const bool split_blocks = threads > 1 && blocks > 1;

  const int64_t v_stride = block * cin + kCacheLineFloats, m_stride = block * cout + kCacheLineFloats;
  auto run_blocks = [&](int64_t begin, int64_t end) {
    thread_local FloatBuffer v_buffer, m_buffer;
    if (v_buffer.size() < static_cast<size_t>(kPositions * v_stride))
      v_buffer.resize(static_cast<size_t>(kPositions * v_stride));
    if (m_buffer.size() < static_cast<size_t>(kPositions * m_stride))
      m_buffer.resize(static_cast<size_t>(kPositions * m_stride));
    float* v = v_buffer.data();  // position p, tile t: v + p * v_stride + t * cin
    float* m = m_buffer.data();  // position p, tile t: m + p * m_stride + t * cout
    for (int64_t blk = begin; blk < end; ++blk) {
      const int64_t t0 = blk * block, count = std::min(block, tiles - t0);
      for (int64_t t = 0; t < count; ++t) {
        const int64_t tile = t0 + t, n = tile / (tiles_h * tiles_w), ty = tile / tiles_w % tiles_h, tx = tile % tiles_w;
        const float* d[16];
        for (int i = 0; i < 4; ++i) {
          const int64_t ih = ty * 2 - a.pad_top + i;
          for (int j = 0; j < 4; ++j) {
            const int64_t iw = tx * 2 - a.pad_left + j;
            const bool inside = ih >= 0 && ih < a.in_h && iw >= 0 && iw < a.in_w;
            d[i * 4 + j] = inside ? a.x + ((n * a.in_h + ih) * a.in_w + iw) * cin : zero;
          }
        }
        transform_input(d, cin, v + t * cin, v_stride);
      }
      for (int p = 0; p < kPositions; ++p) {
        GemmArgs g;
        g.m = count;
        g.n = cout;
        g.k = cin;
        g.a = v + p * v_stride;
        g.lda = cin;
        g.packed_b = packed + p * packed_stride;
        g.c = m + p * m_stride;
        g.ldc = cout;
        gemm_f32(g, nullptr);
      }
      for (int64_t t = 0; t < count; ++t) {
        const int64_t tile = t0 + t, n = tile / (tiles_h * tiles_w), ty = tile / tiles_w % tiles_h, tx = tile % tiles_w;
        float* out[4];
        for (int i = 0; i < 2; ++i)
          for (int j = 0; j < 2; ++j) {
            const int64_t oh = ty * 2 + i, ow = tx * 2 + j;
            out[i * 2 + j] = oh < a.out_h && ow < a.out_w ? a.y + ((n * a.out_h + oh) * a.out_w + ow) * cout : nullptr;
          }
        if (a.accumulate) transform_output<true>(m + t * cout, m_stride, cout, a.bias, out);
        else transform_output<false>(m + t * cout, m_stride, cout, a.bias, out);
      }
    }
  };
  if (split_blocks) pool->parallel_for(blocks, run_blocks);
  else run_blocks(0, blocks);
}

}  // namespace nl
