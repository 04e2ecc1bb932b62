// Conv2D forward and backward (NHWC, weight [Cout, KH, KW, Cin/groups]).
//
// Sections:
//   1. creation and shape checks
//   2. work plan: bands of output rows, thread-count-independent splits
//   3. forward      (3x3 stride 1 with enough channels and tiles by Winograd's F(2x2, 3x3);
//                    else an indirect GEMM over the image in place where kernel rows are long
//                    enough, else im2col + GEMM, transposed in weight-heavy layers; 1x1 as a
//                    plain GEMM; depthwise by direct loops)
//   4. backward     (input: GEMM with W then col2im, or at stride 1 a convolution of dy with the
//                    flipped weight, by Winograd's method or the forward's GEMM routes; weight:
//                    GEMM with the unfolded input; bias: sums)
//
// Notation: P output pixels of a band, G groups, Cg = Cin/G, Mg = Cout/G,
// K = KH*KW*Cg (one group's receptive field). Per group, y_g[P, Mg] =
// col_g[P, K] * W_g[Mg, K]^T, so
//   d col_g = dy_g * W_g           -> folded back onto dx by col2im
//   d W_g  += dy_g^T * col_g
//   d b    += sum over pixels of dy.
//
// Determinism: all work is cut into pieces whose bounds depend only on the
// shapes, never on the thread count. Pieces run on one thread each or, when
// there are fewer pieces than threads, one after another with the GEMMs split
// over the pool (gemm_f32 never divides a sum between threads). Where pieces
// would add into the same memory (col2im of neighbouring bands, weight-gradient
// sums) they are either separated into two passes that never overlap, or summed
// into per-slice buffers that are then added in a fixed order. So results are
// bitwise the same for any pool size.
#include "nn/ops/conv2d.h"

#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <functional>
#include <vector>

#include "kernels/copy_floats.h"
#include "kernels/gemm.h"
#include "kernels/im2col.h"
#include "kernels/winograd_3x3.h"
#include "kernels/thread_pool.h"
#include "nn/ops/run_parallel.h"
#include "tensor/limits.h"

namespace nl {

namespace {

constexpr int64_t kMaxParams = limits::kMaxModelParameters;  // weights of one conv: 1 GiB of floats
constexpr int64_t kMaxDim = int64_t{1} << 24;      // any single size or step
constexpr int64_t kBandColFloats = int64_t{1} << 16;     // least target size of one band's column matrix (256 KiB)
constexpr int64_t kMaxBandColFloats = int64_t{1} << 20;  // and its largest (4 MiB)
constexpr int64_t kWeightGradSlices = 4;               // partial weight-gradient sums (fixed, see above)
constexpr int64_t kWeightGradBudget = int64_t{1} << 24;  // floats for those partial sums
constexpr int64_t kWeightGradChunkPixels = 256;          // pixels per weight-gradient GEMM (one K block)
constexpr int64_t kTransposedInputGradMaxOutChannels = 64;  // see input_grad_by_transposed_conv
constexpr int64_t kMinIndirectSegment = 64;                // see indirect_applies
constexpr int64_t kMaxIndirectWeightFloats = int64_t{1} << 20;  // 4 MB
constexpr int64_t kMaxIndirectWeightGradFloats = int64_t{1} << 18;  // 1 MB: see the weight gradient

std::string str(int64_t v) { return std::to_string(v); }

// Runs fn(begin, end, gemm_pool) over units [0, n): split over the pool when
// there are at least as many units as threads (each GEMM then runs on its
// thread: gemm_pool is null), else all on this thread with the pool handed to
// the GEMMs. Either way every element is computed the same way, since
// gemm_f32 never splits a sum across threads.
void run_units(ThreadPool* pool, int64_t n, const std::function<void(int64_t, int64_t, ThreadPool*)>& fn) {
  if (n <= 0) return;
  const int threads = pool ? pool->threads() : 1;
  if (threads > 1 && n >= threads) pool->parallel_for(n, [&](int64_t begin, int64_t end) { fn(begin, end, nullptr); });
  else fn(0, n, threads > 1 ? pool : nullptr);
}

// Per-thread scratch matrices, kept between calls and never cleared: each use
// writes all it reads (a band's column matrix, the transposed output of a
// weight-heavy band, a band's column gradient; the weight gradient's column
// matrices reuse the first). A zeroed vector per call cost
// a memset of up to 2 MB per thread and band loop, and page faults.
enum class Scratch { kColumns, kTransposedOutput, kColumnGrad, kCount };
float* thread_scratch(Scratch which, int64_t floats) {
  thread_local FloatBuffer buffers[static_cast<int>(Scratch::kCount)];
  FloatBuffer& buffer = buffers[static_cast<int>(which)];
  if (buffer.size() < static_cast<size_t>(floats)) buffer.resize(static_cast<size_t>(floats));
  return buffer.data();
}

// im2col_nhwc of rows [r0, r1), split over `pool` by rows when one is given:
// a band that has the pool to itself (deep layers at batch 1 are one band)
// would otherwise unfold on one thread while the other waits for the GEMM.
void im2col_rows(const ConvGeometry& g, const float* image, int64_t r0, int64_t r1, float* col, ThreadPool* pool) {
  run_parallel(pool, r1 - r0, g.out_w * g.col_width(), [&](int64_t begin, int64_t end) {
    im2col_nhwc(g, image, r0 + begin, r0 + end, col + begin * g.out_w * g.col_width());
  });
}

// The indirect route: gemm_f32_indirect reads each output pixel's kernel rows
// where they lie in the image (im2col_row_pointers) instead of unfolding them.
// It needs one group and no horizontal dilation (a kernel row is then KW*Cin
// adjacent floats). It pays where that row is long enough to amortise the
// load and store of each C tile per kernel row. The weight is packed per call
// and read once per chunk of output rows (gemm_f32_indirect): up to 3x3 256 ->
// 256 channels (2.4 MB) this beats unfolding (64 channels at 56x56: wasm 8.3
// -> 6.0 ms, natively 2.4 -> 2.1 ms). A 512-channel weight (9 MB) costs more
// to pack from memory than the transposed route loses to its partial tiles.
bool indirect_applies(const ConvGeometry& g, int64_t out_c) {
  return g.groups == 1 && g.dilation_w == 1 && g.kernel_w * g.in_c >= kMinIndirectSegment &&
         g.col_width() * out_c <= kMaxIndirectWeightFloats;
}

// Winograd F(2x2, 3x3) (kernels/winograd_3x3.h) for 3x3, stride-1
// convolutions of one group with enough channels and enough 2x2 output tiles
// to pay for transforming the weight each call (it costs like the GEMMs of
// about kMinWinogradTiles tiles). Measured, 1 thread (2 threads alike):
//   native  64 -> 64 at 56x56 (784 tiles) 1.43 -> 0.81 ms; 128 at 28x28 (196)
//           1.30 -> 0.85-0.90; 256 at 14x14 (49) 1.47 -> 1.41 but 0.86 -> 0.89
//           on 2 threads; 512 at 7x7 (16) 2.2 -> 3.7
//   wasm    64 at 56x56 5.3 -> 2.8; 128 at 28x28 5.3 -> 2.6; 256 at 14x14
//           5.4 -> 3.2; 512 at 7x7 6.4 -> 6.1 but 3.4 -> 3.7 on 2 threads;
//           CNN A's 32 -> 32 at 28x28, batch 64, 23.8 -> 13.7
// (wasm has no fused multiply-add, so each multiply saved saves more there).
#if defined(__wasm__)
constexpr int64_t kMinWinogradTiles = 32;
#else
constexpr int64_t kMinWinogradTiles = 128;
#endif
constexpr int64_t kMinWinogradChannels = 16;
// Its transformed weight takes 16 floats per channel pair, twice (plain and
// packed): up to 512 x 512 channels, 32 MB.
constexpr int64_t kMaxWinogradChannelPairs = int64_t{512} * 512;

bool winograd_applies(const ConvGeometry& g, int64_t batch, int64_t out_c) {
  const int64_t tiles = batch * ((g.out_h + 1) / 2) * ((g.out_w + 1) / 2);
  return g.groups == 1 && g.kernel_h == 3 && g.kernel_w == 3 && g.stride_h == 1 && g.stride_w == 1 &&
         g.dilation_h == 1 && g.dilation_w == 1 && g.in_c >= kMinWinogradChannels &&
         out_c >= kMinWinogradChannels && g.in_c * out_c <= kMaxWinogradChannelPairs && tiles >= kMinWinogradTiles;
}

// The arguments of conv3x3_winograd for convolution geometry g over `batch`
// images (y = conv(x, weight) + bias).
Winograd3x3Args winograd_args(const ConvGeometry& g, int64_t batch, int64_t out_c, const float* x, const float* weight,
                              const float* bias, float* y) {
  Winograd3x3Args args;
  args.batch = batch;
  args.in_h = g.in_h;
  args.in_w = g.in_w;
  args.in_c = g.in_c;
  args.out_h = g.out_h;
  args.out_w = g.out_w;
  args.out_c = out_c;
  args.pad_top = g.pad_top;
  args.pad_left = g.pad_left;
  args.x = x;
  args.weight = weight;
  args.bias = bias;
  args.y = y;
  return args;
}

// This thread's tables for im2col_row_pointers: room for `pixels` pixels'
// kernel-row pointers, and a zero kernel row (kept between calls; the zeros
// are never written).
struct RowPointerScratch {
  const float** rows;
  const float* zeros;
};
RowPointerScratch row_pointer_scratch(const ConvGeometry& g, int64_t pixels) {
  thread_local std::vector<const float*> rows;
  thread_local std::vector<float> zeros;
  const size_t pointers = static_cast<size_t>(g.kernel_h * pixels), segment = static_cast<size_t>(g.kernel_w * g.in_c);
  if (rows.size() < pointers) rows.resize(pointers);
  if (zeros.size() < segment) zeros.resize(segment, 0.0f);
  return {rows.data(), zeros.data()};
}

// out [pixels, out_c] (+)= the convolution of output rows [r0, r1) of one
// image with the packed weight (panels of [col_width(), out_c]).
void indirect_band(const ConvGeometry& g, const float* image, int64_t r0, int64_t r1, const float* packed,
                   int64_t out_c, float* out, bool accumulate, ThreadPool* gemm_pool) {
  const int64_t pixels = (r1 - r0) * g.out_w, segment = int64_t{g.kernel_w} * g.in_c;
  const RowPointerScratch table = row_pointer_scratch(g, pixels);
  float* edge = thread_scratch(Scratch::kColumns, pixels * g.col_width());
  im2col_row_pointers(g, image, r0, r1, table.zeros, edge, table.rows, pixels);
  IndirectGemmArgs args;
  args.m = pixels;
  args.n = out_c;
  args.segments = g.kernel_h;
  args.segment_k = segment;
  args.rows = table.rows;
  args.packed_b = packed;
  args.c = out;
  args.ldc = out_c;
  args.accumulate = accumulate;
  gemm_f32_indirect(args, gemm_pool);
}

}  // namespace

// ---- 1. creation and shape checks ---------------------------------------------

Result<std::unique_ptr<Conv2D>> Conv2D::create(const Conv2DParams& p) {
  auto fail = [](const std::string& what) { return Status::Error("Conv2D: " + what); };
  if (p.in_channels <= 0 || p.in_channels > kMaxDim || p.out_channels <= 0 || p.out_channels > kMaxDim)
    return fail("channels must be in 1.." + str(kMaxDim) + ", got in_channels=" + str(p.in_channels) +
                " out_channels=" + str(p.out_channels));
  if (p.kernel_h <= 0 || p.kernel_w <= 0 || p.kernel_h > kMaxDim || p.kernel_w > kMaxDim)
    return fail("kernel must be in 1.." + str(kMaxDim) + ", got " + str(p.kernel_h) + "x" + str(p.kernel_w));
  if (p.stride_h <= 0 || p.stride_w <= 0 || p.stride_h > kMaxDim || p.stride_w > kMaxDim)
    return fail("stride must be in 1.." + str(kMaxDim) + ", got " + str(p.stride_h) + "x" + str(p.stride_w));
  if (p.dilation_h <= 0 || p.dilation_w <= 0 || p.dilation_h > kMaxDim || p.dilation_w > kMaxDim)
    return fail("dilation must be in 1.." + str(kMaxDim) + ", got " + str(p.dilation_h) + "x" + str(p.dilation_w));
  if (p.pad_top < 0 || p.pad_left < 0 || p.pad_bottom < 0 || p.pad_right < 0 || p.pad_top > kMaxDim ||
      p.pad_left > kMaxDim || p.pad_bottom > kMaxDim || p.pad_right > kMaxDim)
    return fail("padding must be in 0.." + str(kMaxDim) + ", got top=" + str(p.pad_top) + " left=" + str(p.pad_left) +
                " bottom=" + str(p.pad_bottom) + " right=" + str(p.pad_right));
  if (p.groups <= 0) return fail("groups must be positive, got " + str(p.groups));
  if (p.in_channels % p.groups != 0 || p.out_channels % p.groups != 0)
    return fail("in_channels=" + str(p.in_channels) + " and out_channels=" + str(p.out_channels) +
                " must both be divisible by groups=" + str(p.groups));
  // Every factor is below 2^24, so the product fits a double's exact range up to 2^53 and cannot overflow.
  const double count = static_cast<double>(p.out_channels) * p.kernel_h * p.kernel_w * (p.in_channels / p.groups);
  if (count > static_cast<double>(kMaxParams))
    return fail("weight [" + str(p.out_channels) + ", " + str(p.kernel_h) + ", " + str(p.kernel_w) + ", " +
                str(p.in_channels / p.groups) + "] has more than " + str(kMaxParams) + " parameters");
  return std::unique_ptr<Conv2D>(new Conv2D(p));
}

Conv2D::Conv2D(const Conv2DParams& params) : p_(params) {
  weight.resize(Shape{p_.out_channels, p_.kernel_h, p_.kernel_w, p_.in_channels / p_.groups});
  if (p_.has_bias) bias.resize(Shape{p_.out_channels});
}

std::vector<Param> Conv2D::params() {
  std::vector<Param> out{{"weight", &weight, &weight_grad}};
  if (p_.has_bias) out.push_back({"bias", &bias, &bias_grad});
  return out;
}

Status Conv2D::output_shape(std::span<const Shape> inputs, Shape* output) const {
  if (inputs.size() != 1) return Status::Error("Conv2D: needs 1 input, got " + str(static_cast<int64_t>(inputs.size())));
  const Shape& x = inputs[0];
  if (x.rank() != 4)
    return Status::Error("Conv2D: input must be NHWC (rank 4), got " + x.str());
  if (x.n() <= 0 || x.h() <= 0 || x.w() <= 0)
    return Status::Error("Conv2D: input " + x.str() + " has an empty dimension");
  if (x.c() != p_.in_channels)
    return Status::Error("Conv2D: input " + x.str() + " has " + str(x.c()) + " channels, the layer expects " +
                         str(p_.in_channels));
  const int64_t oh = conv_output_size(x.h(), p_.kernel_h, p_.stride_h, p_.dilation_h, p_.pad_top, p_.pad_bottom);
  const int64_t ow = conv_output_size(x.w(), p_.kernel_w, p_.stride_w, p_.dilation_w, p_.pad_left, p_.pad_right);
  if (oh < 1 || ow < 1)
    return Status::Error("Conv2D: kernel " + str(p_.kernel_h) + "x" + str(p_.kernel_w) + " with dilation " +
                         str(p_.dilation_h) + "x" + str(p_.dilation_w) + " does not fit input " + str(x.h()) + "x" +
                         str(x.w()) + " padded by top=" + str(p_.pad_top) + " bottom=" + str(p_.pad_bottom) +
                         " left=" + str(p_.pad_left) + " right=" + str(p_.pad_right) + " (output would be " +
                         str(oh) + "x" + str(ow) + ")");
  *output = Shape{x.n(), oh, ow, p_.out_channels};
  return Status::Ok();
}

// ---- 2. work plan ---------------------------------------------------------------

namespace {

// How one call cuts its work: bands of `band_rows` output rows of one image.
// The split depends only on the shapes, so results do not depend on the pool.
struct ConvPlan {
  ConvGeometry geo;
  int64_t batch = 0, out_c = 0;
  int64_t mg = 0, k = 0;           // output channels and receptive field of one group
  bool pointwise = false;          // 1x1, stride 1, no padding: the input is already the column matrix
  bool depthwise = false;          // one input and one output channel per group: direct loops
  bool weight_heavy = false;       // more output channels per group than pixels in the batch (see forward)
  int64_t band_rows = 1, bands = 1;  // bands per image

  int64_t units() const { return batch * bands; }
  int64_t row_begin(int64_t band) const { return band * band_rows; }
  int64_t row_end(int64_t band) const { return std::min(geo.out_h, (band + 1) * band_rows); }
};

// The dilated kernel's reach beyond its first tap along one axis, d * (K - 1):
// how far apart the first and last input rows (or columns) of one output are.
int64_t dilated_extent(int dilation, int kernel) { return int64_t{dilation} * (kernel - 1); }

// Rows per band for a single image, near `rows` (half to twice it, never below
// min_rows, nor a band's column matrix above kMaxBandColFloats unless min_rows
// demands it), chosen so that splitting the bands in two halves (the pool's
// chunks with 2 threads) gives both halves as equal a number of rows as
// possible: 28 rows in bands of 4 are 7 bands, 3 + 4 for two threads (12 + 16
// rows); bands of 7 are 4, 14 + 14 rows. Depends only on the shapes.
int64_t balanced_band_rows(int64_t out_h, int64_t rows, int64_t min_rows, int64_t floats_per_row) {
  if (rows >= out_h) return rows;
  const int64_t most = std::max(min_rows, std::min(2 * rows, kMaxBandColFloats / std::max<int64_t>(floats_per_row, 1)));
  int64_t best = rows, best_cost = out_h + 1;
  for (int64_t r = std::max(min_rows, rows / 2); r <= std::min(most, out_h); ++r) {
    const int64_t bands = (out_h + r - 1) / r;
    const int64_t first_half = std::min(out_h, bands / 2 * r);
    const int64_t cost = std::max(first_half, out_h - first_half);
    if (cost < best_cost || (cost == best_cost && std::abs(r - rows) < std::abs(best - rows))) {
      best = r;
      best_cost = cost;
    }
  }
  return best;
}

ConvPlan make_plan(const Conv2DParams& p, const Shape& x) {
  ConvPlan plan;
  ConvGeometry& g = plan.geo;
  g.in_h = x.h();
  g.in_w = x.w();
  g.in_c = x.c();
  g.out_h = conv_output_size(x.h(), p.kernel_h, p.stride_h, p.dilation_h, p.pad_top, p.pad_bottom);
  g.out_w = conv_output_size(x.w(), p.kernel_w, p.stride_w, p.dilation_w, p.pad_left, p.pad_right);
  g.kernel_h = p.kernel_h;
  g.kernel_w = p.kernel_w;
  g.stride_h = p.stride_h;
  g.stride_w = p.stride_w;
  g.dilation_h = p.dilation_h;
  g.dilation_w = p.dilation_w;
  g.pad_top = p.pad_top;
  g.pad_left = p.pad_left;
  g.groups = p.groups;
  plan.batch = x.n();
  plan.out_c = p.out_channels;
  plan.mg = p.out_channels / p.groups;
  plan.k = g.group_col_width();
  plan.depthwise = g.group_channels() == 1 && plan.mg == 1;
  plan.pointwise = !plan.depthwise && p.kernel_h == 1 && p.kernel_w == 1 && p.stride_h == 1 && p.stride_w == 1 &&
                   p.pad_top == 0 && p.pad_left == 0 && p.pad_bottom == 0 && p.pad_right == 0;
  // Each band's GEMM streams the whole weight, and its column matrix should
  // stay in cache between im2col and the GEMM: so a band holds about as much
  // column matrix as the weight has floats (deep layers, where the weight is
  // large and the image small, get one band per image), but at least
  // kBandColFloats and at most kMaxBandColFloats. Bands are also tall enough
  // that band b and band b+2 never read the same input row (band_rows*stride >
  // the kernel's dilated extent - 1), which lets col2im run even bands, then odd ones.
  const int64_t band_floats = std::clamp(plan.mg * plan.k * int64_t{g.groups}, kBandColFloats, kMaxBandColFloats);
  const int64_t min_rows = dilated_extent(p.dilation_h, p.kernel_h) / p.stride_h + 1;
  const int64_t per_row = g.out_w * (plan.pointwise ? g.in_c : g.col_width());
  // (An image shorter than min_rows is a single band, so the overlap rule holds there too.)
  plan.band_rows = std::min(std::max(band_floats / std::max<int64_t>(per_row, 1), min_rows), g.out_h);
  plan.band_rows = std::max<int64_t>(plan.band_rows, 1);
  if (plan.batch == 1) plan.band_rows = balanced_band_rows(g.out_h, plan.band_rows, min_rows, per_row);
  plan.bands = (g.out_h + plan.band_rows - 1) / plan.band_rows;
  // Packing W_g^T once per call costs Mg x K; packing every band's column
  // matrix instead costs (pixels of the whole batch) x K: the smaller one is
  // packed. (A batch of 64 7x7 images packs the weight: 1.7x faster than
  // packing each image, and no transposed output.)
  plan.weight_heavy = plan.mg > plan.batch * g.out_h * g.out_w;
  return plan;
}

// out[i] += a[i] * b[i]: the innermost loop of the depthwise paths. Kept out
// of line on purpose: V8 runs a wasm function that is already executing on its
// baseline compiler, so hot loops must live in small functions that are
// called often (2-7x slower otherwise, PLATFORM-NOTES.md).
__attribute__((noinline)) void multiply_add(float* out, const float* a, const float* b, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] += a[i] * b[i];
}

// out[p * ldo + m] = in[m * cols + p] for m < rows, p < cols.
__attribute__((noinline)) void transpose_into(const float* in, int64_t rows, int64_t cols, float* out, int64_t ldo) {
  for (int64_t m = 0; m < rows; ++m)
    for (int64_t p = 0; p < cols; ++p) out[p * ldo + m] = in[m * cols + p];
}

// The weight transposed to [KH, KW, C] for the depthwise loops, so that the
// innermost loop runs over contiguous channels of input, weight and output.
std::vector<float> depthwise_taps(const Tensor& weight, int64_t channels, int64_t taps) {
  std::vector<float> t(static_cast<size_t>(channels * taps));
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t k = 0; k < taps; ++k) t[static_cast<size_t>(k * channels + c)] = weight[c * taps + k];
  return t;
}

// Output rows [row_begin, row_end) of one image as a matrix [pixels, Cout].
float* output_band(float* y, const ConvPlan& plan, int64_t n, int64_t row_begin) {
  return y + ((n * plan.geo.out_h + row_begin) * plan.geo.out_w) * plan.out_c;
}
const float* output_band(const float* y, const ConvPlan& plan, int64_t n, int64_t row_begin) {
  return y + ((n * plan.geo.out_h + row_begin) * plan.geo.out_w) * plan.out_c;
}

// op(B) of one group's GEMM: W_g^T for the forward pass (y_g = col_g * W_g^T,
// W_g stored [Mg, K]), W_g for the input gradient (dcol_g = dy_g * W_g).
GemmArgs group_weight_operand(const ConvPlan& plan, bool for_input_grad) {
  GemmArgs b;
  b.trans_b = !for_input_grad;
  b.k = for_input_grad ? plan.mg : plan.k;
  b.n = for_input_grad ? plan.k : plan.mg;
  b.ldb = plan.k;
  return b;
}

int64_t packed_group_size(const ConvPlan& plan, bool for_input_grad) {
  const GemmArgs b = group_weight_operand(plan, for_input_grad);
  return gemm_f32_packed_b_size(b.k, b.n);
}

// Packs every group's weight ([G * Mg, K]) for the GEMMs of every band
// (gemm_f32_pack_b); group g's panels start at g * packed_group_size().
// Without it each band's GEMM packs the weight again: in deep layers (a
// 3x3x512 weight against 49 pixels) that costs more than the arithmetic.
void pack_group_weights(const ConvPlan& plan, const float* weight, bool for_input_grad, ThreadPool* pool,
                        FloatBuffer& out) {
  const int64_t group_size = packed_group_size(plan, for_input_grad);
  if (out.size() < static_cast<size_t>(group_size * plan.geo.groups))
    out.resize(static_cast<size_t>(group_size * plan.geo.groups));
  for (int grp = 0; grp < plan.geo.groups; ++grp) {
    GemmArgs b = group_weight_operand(plan, for_input_grad);
    b.b = weight + grp * plan.mg * plan.k;
    gemm_f32_pack_b(b, out.data() + grp * group_size, pool);
  }
}

}  // namespace

// ---- 3. forward ---------------------------------------------------------------

namespace {

//   x: [N, H, W, C]   w_taps: [KH, KW, C]   bias: [C] or null   y: [N, OH, OW, C]
void depthwise_forward(const ConvPlan& plan, const float* x, const float* w_taps, const float* bias, float* y,
                       ThreadPool* pool) {
  const ConvGeometry& g = plan.geo;
  const int64_t c = g.in_c;
  run_parallel(pool, plan.batch * g.out_h, g.out_w * c * g.kernel_h * g.kernel_w, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / g.out_h, oh = row % g.out_h;
      const float* image = x + n * g.in_h * g.in_w * c;
      for (int64_t ow = 0; ow < g.out_w; ++ow) {
        float* out = y + (row * g.out_w + ow) * c;
        for (int64_t ch = 0; ch < c; ++ch) out[ch] = bias ? bias[ch] : 0.0f;
        for (int kh = 0; kh < g.kernel_h; ++kh) {
          const int64_t ih = oh * g.stride_h - g.pad_top + int64_t{kh} * g.dilation_h;
          if (ih < 0 || ih >= g.in_h) continue;
          for (int kw = 0; kw < g.kernel_w; ++kw) {
            const int64_t iw = ow * g.stride_w - g.pad_left + int64_t{kw} * g.dilation_w;
            if (iw < 0 || iw >= g.in_w) continue;
            const float* in = image + (ih * g.in_w + iw) * c;
            const float* wt = w_taps + (int64_t{kh} * g.kernel_w + kw) * c;
            multiply_add(out, in, wt, c);
          }
        }
      }
    }
  });
}

}  // namespace

void Conv2D::forward(const OpContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) {
  const Tensor& input = *inputs[0];  // [N, H, W, Cin]
  const ConvPlan plan = make_plan(p_, input.shape());
  const ConvGeometry& g = plan.geo;
  assert(output.shape() == (Shape{plan.batch, g.out_h, g.out_w, plan.out_c}));
  const float* x = input.data();
  float* y = output.data();  // [N, OH, OW, Cout]
  const float* b = p_.has_bias ? bias.data() : nullptr;
  const float* w = weight.data();  // [G * Mg, K]

  if (plan.depthwise) {
    const std::vector<float> taps = depthwise_taps(weight, g.in_c, int64_t{g.kernel_h} * g.kernel_w);
    depthwise_forward(plan, x, taps.data(), b, y, ctx.pool);
    return;
  }
  if (winograd_applies(g, plan.batch, plan.out_c)) {
    conv3x3_winograd(winograd_args(g, plan.batch, plan.out_c, x, w, b, y), ctx.pool);
    return;
  }

  // y_g = col_g * W_g^T needs W_g transposed into panels: packed once per call
  // for all bands. Weight-heavy layers (deep stages: 512 channels, 49 pixels)
  // outside the indirect route compute y_g^T = W_g * col_g^T instead, so the
  // GEMM reads the weight in place and packs only the smaller column matrix;
  // y_g^T is then transposed into y. (Packing a 9 MB weight costs as much as
  // its arithmetic: in ResNet-18 the indirect route took each 3x3 512 -> 512
  // conv at 7x7 from 2.3-2.8 to 2.8-3.5 ms natively, while 256 -> 256 at
  // 14x14, a quarter of the weight, gains.)
  const bool indirect = !plan.pointwise && indirect_applies(g, plan.out_c);
  const bool transposed = plan.weight_heavy && !indirect;
  thread_local FloatBuffer packed_buffer;
  if (!transposed) pack_group_weights(plan, w, /*for_input_grad=*/false, ctx.pool, packed_buffer);
  // A plain pointer: lambdas running on pool threads would see their own thread_local.
  const float* packed = packed_buffer.data();
  const int64_t packed_group = packed_group_size(plan, /*for_input_grad=*/false);
  const int64_t cg = g.group_channels(), width = g.col_width();
  run_units(ctx.pool, plan.units(), [&](int64_t begin, int64_t end, ThreadPool* gemm_pool) {
    float* col = plan.pointwise || indirect ? nullptr
                                            : thread_scratch(Scratch::kColumns, plan.band_rows * g.out_w * width);
    float* y_t = transposed ? thread_scratch(Scratch::kTransposedOutput, plan.mg * plan.band_rows * g.out_w)
                            : nullptr;
    for (int64_t unit = begin; unit < end; ++unit) {
      const int64_t n = unit / plan.bands, band = unit % plan.bands;
      const int64_t r0 = plan.row_begin(band), r1 = plan.row_end(band);
      const int64_t pixels = (r1 - r0) * g.out_w;
      float* out = output_band(y, plan, n, r0);  // [pixels, Cout]
      if (b && !transposed)
        for (int64_t i = 0; i < pixels; ++i) copy_floats(out + i * plan.out_c, b, plan.out_c);
      if (indirect) {
        indirect_band(g, x + n * g.in_h * g.in_w * g.in_c, r0, r1, packed, plan.out_c, out, b != nullptr, gemm_pool);
        continue;
      }
      // col_g: [pixels, K] per group, from the input itself or from its unfolding.
      const float* a;
      int64_t lda;
      if (plan.pointwise) {
        a = x + ((n * g.in_h + r0) * g.in_w) * g.in_c;
        lda = g.in_c;
      } else {
        im2col_rows(g, x + n * g.in_h * g.in_w * g.in_c, r0, r1, col, gemm_pool);
        a = col;
        lda = width;
      }
      for (int grp = 0; grp < g.groups; ++grp) {
        const float* col_g = a + grp * (plan.pointwise ? cg : plan.k);
        GemmArgs args;
        args.k = plan.k;
        args.accumulate = b != nullptr;
        if (transposed) {
          // y_t: [Mg, pixels], starting from the bias as the other path's C does.
          if (b)
            for (int64_t m = 0; m < plan.mg; ++m)
              std::fill_n(y_t + m * pixels, pixels, b[grp * plan.mg + m]);
          args.m = plan.mg;
          args.n = pixels;
          args.a = w + grp * plan.mg * plan.k;  // W_g: [Mg, K]
          args.lda = plan.k;
          args.trans_b = true;  // col_g is [pixels, K]
          args.b = col_g;
          args.ldb = lda;
          if (gemm_pool) {
            // The GEMM splits W_g's rows over the pool, and each thread would
            // pack all of col_g^T for itself: pack it once, together.
            // (gemm_pool is only given on the calling thread, so the buffer is its own.)
            thread_local FloatBuffer col_packed;
            const size_t size = static_cast<size_t>(gemm_f32_packed_b_size(args.k, args.n));
            if (col_packed.size() < size) col_packed.resize(size);
            gemm_f32_pack_b(args, col_packed.data(), gemm_pool);
            args.packed_b = col_packed.data();
          }
          args.c = y_t;
          args.ldc = pixels;
          gemm_f32(args, gemm_pool);
          transpose_into(y_t, plan.mg, pixels, out + grp * plan.mg, plan.out_c);
        } else {
          args.m = pixels;
          args.n = plan.mg;
          args.a = col_g;
          args.lda = lda;
          args.packed_b = packed + grp * packed_group;  // W_g^T
          args.c = out + grp * plan.mg;
          args.ldc = plan.out_c;
          gemm_f32(args, gemm_pool);
        }
      }
    }
  });
}

// ---- 4. backward --------------------------------------------------------------

namespace {

// dx += d(loss)/dx for a depthwise conv, gathered per input row so that no two
// threads write the same element.
//   dy: [N, OH, OW, C]   w_taps: [KH, KW, C]   dx: [N, H, W, C]
void depthwise_input_grad(const ConvPlan& plan, const float* dy, const float* w_taps, float* dx, ThreadPool* pool) {
  const ConvGeometry& g = plan.geo;
  const int64_t c = g.in_c;
  run_parallel(pool, plan.batch * g.in_h, g.in_w * c * g.kernel_h * g.kernel_w, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / g.in_h, ih = row % g.in_h;
      for (int kh = 0; kh < g.kernel_h; ++kh) {
        const int64_t t = ih + g.pad_top - int64_t{kh} * g.dilation_h;  // = oh * stride_h
        if (t < 0 || t % g.stride_h != 0 || t / g.stride_h >= g.out_h) continue;
        const float* dy_row = dy + ((n * g.out_h + t / g.stride_h) * g.out_w) * c;
        for (int64_t iw = 0; iw < g.in_w; ++iw) {
          float* out = dx + (row * g.in_w + iw) * c;
          for (int kw = 0; kw < g.kernel_w; ++kw) {
            const int64_t u = iw + g.pad_left - int64_t{kw} * g.dilation_w;  // = ow * stride_w
            if (u < 0 || u % g.stride_w != 0 || u / g.stride_w >= g.out_w) continue;
            const float* grad = dy_row + (u / g.stride_w) * c;
            const float* wt = w_taps + (int64_t{kh} * g.kernel_w + kw) * c;
            multiply_add(out, grad, wt, c);
          }
        }
      }
    }
  });
}

// Splits `units` into `slices` contiguous ranges fixed by the shapes alone,
// accumulates each range into its own buffer of `size` floats (slice 0 straight
// into `out`), in parallel, then adds the other slices into `out` in order.
// accumulate_range(begin, end, buffer, gemm_pool) adds the contributions of
// units [begin, end) (gemm_pool as in run_units).
void sum_in_fixed_slices(ThreadPool* pool, int64_t units, int64_t slices, int64_t size, float* out,
                         const std::function<void(int64_t, int64_t, float*, ThreadPool*)>& accumulate_range) {
  slices = std::clamp<int64_t>(slices, 1, std::max<int64_t>(units, 1));
  std::vector<std::vector<float>> partial(static_cast<size_t>(slices - 1));
  run_units(pool, slices, [&](int64_t begin, int64_t end, ThreadPool* gemm_pool) {
    for (int64_t s = begin; s < end; ++s) {
      float* buffer = out;
      if (s > 0) {
        partial[static_cast<size_t>(s - 1)].assign(static_cast<size_t>(size), 0.0f);
        buffer = partial[static_cast<size_t>(s - 1)].data();
      }
      accumulate_range(units * s / slices, units * (s + 1) / slices, buffer, gemm_pool);
    }
  });
  for (const std::vector<float>& part : partial)
    for (int64_t i = 0; i < size; ++i) out[i] += part[static_cast<size_t>(i)];
}

// Whether dx is the mirrored convolution of dy (transposed_conv_params): at
// stride 1 with one group, each padding within the kernel's extent.
bool input_grad_is_mirrored_conv(const Conv2DParams& p) {
  const int64_t extent_h = dilated_extent(p.dilation_h, p.kernel_h);
  const int64_t extent_w = dilated_extent(p.dilation_w, p.kernel_w);
  return p.stride_h == 1 && p.stride_w == 1 && p.groups == 1 && p.pad_top <= extent_h && p.pad_bottom <= extent_h &&
         p.pad_left <= extent_w && p.pad_right <= extent_w;
}

// At stride 1 the input gradient is itself a convolution: dx = conv(dy, W'),
// W'[ci][kh][kw][co] = W[co][KH-1-kh][KW-1-kw][ci], with the padding mirrored
// (d*(K-1) - pad on each side) so that its output is the input's size. Its GEMM
// sums over K' = KH*KW*Cout instead of Cout, and it writes each dx row once
// instead of folding a column gradient back (col2im, two passes). With few
// output channels the direct route's K = Cout is too short to amortise each
// tile's loads and stores: 32 -> 32 channels at 28x28, batch 64, native, 1
// thread, 12.3-14.7 -> 10.8-11.8 ms (2 threads 7.4-7.6 -> 6.1-6.4; 64 -> 64
// at 14x14: 5-10% less). Only with one group, padding within the kernel's
// extent (so the mirrored padding is not negative) and enough input channels
// to fill a GEMM panel (Cin is the mirrored convolution's output width).
bool input_grad_by_transposed_conv(const Conv2DParams& p, const ConvPlan& plan) {
  return input_grad_is_mirrored_conv(p) && !plan.pointwise && !plan.depthwise &&
         p.out_channels <= kTransposedInputGradMaxOutChannels && p.in_channels >= gemm_f32_panel_width();
}

// The settings of that mirrored convolution (from dy, Cout channels, to dx, Cin).
Conv2DParams transposed_conv_params(const Conv2DParams& p) {
  Conv2DParams t = p;
  std::swap(t.in_channels, t.out_channels);
  // Within int: here each padding is at most its extent, and an output exists
  // only if the extent is below the padded input's size (an input of at most
  // 2^28 elements, paddings below 2^24 each).
  const int64_t extent_h = dilated_extent(p.dilation_h, p.kernel_h);
  const int64_t extent_w = dilated_extent(p.dilation_w, p.kernel_w);
  t.pad_top = static_cast<int>(extent_h - p.pad_top);
  t.pad_bottom = static_cast<int>(extent_h - p.pad_bottom);
  t.pad_left = static_cast<int>(extent_w - p.pad_left);
  t.pad_right = static_cast<int>(extent_w - p.pad_right);
  t.has_bias = false;
  return t;
}

// dx += conv(dy, W') by bands of dx rows (see input_grad_by_transposed_conv),
// `plan` being that mirrored convolution's. Bands write disjoint rows of dx,
// and every element is one GEMM's sum, so the result does not depend on the pool.
void input_grad_transposed(const Conv2DParams& p, const ConvPlan& plan, const Tensor& weight, const Tensor& dy,
                           float* dx, ThreadPool* pool) {
  const ConvGeometry& g = plan.geo;  // input dy [N, OH, OW, Cout], output dx [N, H, W, Cin]
  const int64_t cout = p.out_channels, cin = p.in_channels;
  const int64_t taps = int64_t{p.kernel_h} * p.kernel_w, k = taps * cout;
  // op(B) = W' as [K', Cin]: row (tap', co) is W[co][tap][0, Cin), tap = taps-1-tap'.
  FloatBuffer flipped(static_cast<size_t>(k * cin));
  for (int64_t t = 0; t < taps; ++t)
    for (int64_t co = 0; co < cout; ++co)
      copy_floats(flipped.data() + ((taps - 1 - t) * cout + co) * cin, weight.data() + (co * taps + t) * cin, cin);
  GemmArgs b;
  b.k = k;
  b.n = cin;
  b.b = flipped.data();
  b.ldb = cin;
  FloatBuffer packed(static_cast<size_t>(gemm_f32_packed_b_size(k, cin)));
  gemm_f32_pack_b(b, packed.data(), pool);
  const int64_t image_size = g.in_h * g.in_w * cout, width = g.col_width();
  const bool indirect = indirect_applies(g, cin);
  run_units(pool, plan.units(), [&](int64_t begin, int64_t end, ThreadPool* gemm_pool) {
    float* col = indirect ? nullptr : thread_scratch(Scratch::kColumns, plan.band_rows * g.out_w * width);
    for (int64_t unit = begin; unit < end; ++unit) {
      const int64_t n = unit / plan.bands, band = unit % plan.bands;
      const int64_t r0 = plan.row_begin(band), r1 = plan.row_end(band);
      if (indirect) {
        indirect_band(g, dy.data() + n * image_size, r0, r1, packed.data(), cin, output_band(dx, plan, n, r0),
                      /*accumulate=*/true, gemm_pool);
        continue;
      }
      im2col_rows(g, dy.data() + n * image_size, r0, r1, col, gemm_pool);
      GemmArgs args;
      args.m = (r1 - r0) * g.out_w;
      args.n = cin;
      args.k = k;
      args.a = col;
      args.lda = width;
      args.packed_b = packed.data();
      args.c = output_band(dx, plan, n, r0);
      args.ldc = cin;
      args.accumulate = true;
      gemm_f32(args, gemm_pool);
    }
  });
}

int64_t weight_grad_slices(int64_t weight_size) {
  return std::clamp<int64_t>(kWeightGradBudget / std::max<int64_t>(weight_size, 1), 1, kWeightGradSlices);
}

}  // namespace

void Conv2D::backward(const OpContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                      const Tensor& output_grad, std::span<Tensor* const> input_grads, bool want_param_grads) {
  const Tensor& input = *inputs[0];  // [N, H, W, Cin]
  Tensor* input_grad = input_grads.empty() ? nullptr : input_grads[0];  // [N, H, W, Cin], += into
  const ConvPlan plan = make_plan(p_, input.shape());
  const ConvGeometry& g = plan.geo;
  const float* x = input.data();
  const float* dy = output_grad.data();  // [N, OH, OW, Cout]
  const int64_t cg = g.group_channels(), width = g.col_width();
  const int64_t image_size = g.in_h * g.in_w * g.in_c;
  const int64_t taps = int64_t{g.kernel_h} * g.kernel_w;

  if (want_param_grads) {
    if (weight_grad.shape() != weight.shape()) weight_grad.resize(weight.shape());
    if (p_.has_bias && bias_grad.shape() != bias.shape()) bias_grad.resize(bias.shape());
  }

  // ---- bias: db[c] += sum over all pixels of dy[.., c], summed in double in pixel order.
  if (want_param_grads && p_.has_bias) {
    std::vector<double> sum(static_cast<size_t>(plan.out_c), 0.0);
    const int64_t pixels = plan.batch * g.out_h * g.out_w;
    for (int64_t i = 0; i < pixels; ++i)
      for (int64_t c = 0; c < plan.out_c; ++c) sum[static_cast<size_t>(c)] += dy[i * plan.out_c + c];
    for (int64_t c = 0; c < plan.out_c; ++c) bias_grad[c] += static_cast<float>(sum[static_cast<size_t>(c)]);
  }

  if (plan.depthwise) {
    const int64_t c = g.in_c;
    if (input_grad) {
      const std::vector<float> w_taps = depthwise_taps(weight, c, taps);
      depthwise_input_grad(plan, dy, w_taps.data(), input_grad->data(), ctx.pool);
    }
    if (want_param_grads) {
      // Per slice, dW in [KH, KW, C] order (contiguous channels), over rows of output.
      std::vector<float> grad_taps(static_cast<size_t>(taps * c), 0.0f);
      sum_in_fixed_slices(ctx.pool, plan.batch * g.out_h, weight_grad_slices(taps * c), taps * c, grad_taps.data(),
                          [&](int64_t begin, int64_t end, float* acc, ThreadPool*) {
                            for (int64_t row = begin; row < end; ++row) {
                              const int64_t n = row / g.out_h, oh = row % g.out_h;
                              for (int64_t ow = 0; ow < g.out_w; ++ow) {
                                const float* grad = dy + (row * g.out_w + ow) * c;
                                for (int kh = 0; kh < g.kernel_h; ++kh) {
                                  const int64_t ih = oh * g.stride_h - g.pad_top + int64_t{kh} * g.dilation_h;
                                  if (ih < 0 || ih >= g.in_h) continue;
                                  for (int kw = 0; kw < g.kernel_w; ++kw) {
                                    const int64_t iw = ow * g.stride_w - g.pad_left + int64_t{kw} * g.dilation_w;
                                    if (iw < 0 || iw >= g.in_w) continue;
                                    const float* in = x + n * image_size + (ih * g.in_w + iw) * c;
                                    float* a = acc + (int64_t{kh} * g.kernel_w + kw) * c;
                                    multiply_add(a, grad, in, c);
                                  }
                                }
                              }
                            }
                          });
      for (int64_t ch = 0; ch < c; ++ch)
        for (int64_t k = 0; k < taps; ++k) weight_grad[ch * taps + k] += grad_taps[static_cast<size_t>(k * c + ch)];
    }
    return;
  }

  // ---- input, at stride 1: a convolution of dy, by Winograd's method where
  // the mirrored convolution suits it (its weight is W rotated, which the
  // Winograd transform takes as it is stored), else with few output channels
  // as a GEMM (see input_grad_by_transposed_conv).
  const bool mirrored_conv = input_grad && input_grad_is_mirrored_conv(p_);
  const ConvPlan mirrored = mirrored_conv ? make_plan(transposed_conv_params(p_), output_grad.shape()) : ConvPlan{};
  if (mirrored_conv && winograd_applies(mirrored.geo, plan.batch, p_.in_channels)) {
    Winograd3x3Args args =
        winograd_args(mirrored.geo, plan.batch, p_.in_channels, dy, weight.data(), nullptr, input_grad->data());
    args.accumulate = true;
    args.flipped = true;
    conv3x3_winograd(args, ctx.pool);
  } else if (mirrored_conv && input_grad_by_transposed_conv(p_, plan)) {
    input_grad_transposed(p_, mirrored, weight, output_grad, input_grad->data(), ctx.pool);
  } else if (input_grad) {
    // ---- input otherwise: per band, dcol_g = dy_g * W_g, then col2im onto dx. Bands
    // b and b+2 never touch the same input rows, so even bands run in parallel, then odd.
    float* dx = input_grad->data();
    // W_g packed once per call for all bands and images (freed after: in deep
    // layers it is the size of the weight); a single band packs it in its GEMM.
    FloatBuffer packed_buffer;
    if (plan.units() > 1) pack_group_weights(plan, weight.data(), /*for_input_grad=*/true, ctx.pool, packed_buffer);
    const float* packed = plan.units() > 1 ? packed_buffer.data() : nullptr;
    const int64_t packed_group = packed_group_size(plan, /*for_input_grad=*/true);
    auto input_grad_band = [&](int64_t n, int64_t band, float* dcol, ThreadPool* gemm_pool) {
      const int64_t r0 = plan.row_begin(band), r1 = plan.row_end(band);
      const int64_t pixels = (r1 - r0) * g.out_w;
      const float* grad = output_band(dy, plan, n, r0);  // [pixels, Cout]
      for (int grp = 0; grp < g.groups; ++grp) {
        GemmArgs args;
        args.m = pixels;
        args.n = plan.k;
        args.k = plan.mg;
        args.a = grad + grp * plan.mg;
        args.lda = plan.out_c;
        args.b = weight.data() + grp * plan.mg * plan.k;  // W_g: [Mg, K]
        args.ldb = plan.k;
        if (packed) args.packed_b = packed + grp * packed_group;
        if (plan.pointwise) {  // dx rows are the column matrix: add straight into them
          args.c = dx + ((n * g.in_h + r0) * g.in_w) * g.in_c + grp * cg;
          args.ldc = g.in_c;
          args.accumulate = true;
        } else {
          args.c = dcol + grp * plan.k;
          args.ldc = width;
        }
        gemm_f32(args, gemm_pool);
      }
      if (!plan.pointwise) col2im_nhwc_add(g, dcol, r0, r1, dx + n * image_size);
    };
    // Pointwise bands never overlap: one pass over all of them.
    const int passes = plan.pointwise ? 1 : 2;
    for (int parity = 0; parity < passes; ++parity) {
      const int64_t step = passes;
      const int64_t per_image = (plan.bands - parity + step - 1) / step;
      run_units(ctx.pool, plan.batch * per_image, [&](int64_t begin, int64_t end, ThreadPool* gemm_pool) {
        float* dcol = plan.pointwise ? nullptr : thread_scratch(Scratch::kColumnGrad, plan.band_rows * g.out_w * width);
        for (int64_t unit = begin; unit < end; ++unit)
          input_grad_band(unit / per_image, parity + step * (unit % per_image), dcol, gemm_pool);
      });
    }
  }

  // ---- weight: dW_g += dy_g^T * col_g, summed over bands in fixed slices.
  // With one group the column matrix is unfolded straight into the GEMM's
  // packed-B panels (im2col_nhwc_panels): one copy of it instead of two
  // (im2col, then gemm_f32 packing it). And since consecutive bands, across
  // images too, are consecutive rows of dy, small bands are unfolded side by
  // side into one GEMM of up to kWeightGradChunkPixels pixels, so that dW is
  // read and written once per chunk rather than once per band (a 7x7 image
  // is a 49-pixel band). Chunks depend on the shapes and slices only.
  if (want_param_grads && !plan.pointwise && g.groups == 1) {
    const int nr = gemm_f32_panel_width();
    const int64_t padded_width = (width + nr - 1) / nr * nr;
    const int64_t band_pixels = plan.band_rows * g.out_w;
    const int64_t chunk_pixels = std::max(band_pixels, kWeightGradChunkPixels);
    auto pixels_of = [&](int64_t unit) {
      const int64_t band = unit % plan.bands;
      return (plan.row_end(band) - plan.row_begin(band)) * g.out_w;
    };
    // Calls fn(first, last, pixels) for chunks of units [first, last) covering [begin, end).
    auto for_each_chunk = [&](int64_t begin, int64_t end, auto&& fn) {
      for (int64_t first = begin; first < end;) {
        int64_t last = first + 1, pixels = pixels_of(first);
        while (last < end && pixels + pixels_of(last) <= chunk_pixels) pixels += pixels_of(last++);
        fn(first, last, pixels);
        first = last;
      }
    };
    auto chunk_grad = [&](int64_t first) {  // dy rows of the chunk: [pixels, Cout]
      return output_band(dy, plan, first / plan.bands, plan.row_begin(first % plan.bands));
    };
    // Fewer columns than a panel holds (a first layer on 1 or 3 channels: 9
    // or 27) would leave most of each B panel zero: such layers compute
    // dW^T = col^T * dy instead, which fills the panels with output channels.
    const bool transposed = width < nr;
    // With kernel rows long enough for the indirect route, the GEMM reads
    // them where they lie in the image (gemm_f32_indirect_b), one table of
    // row pointers per chunk, and nothing is unfolded. Natively, 1 thread:
    // 32 -> 32 channels at 28x28, batch 64, 77 -> 83-88 GFLOP/s; 64 -> 64 at
    // 56x56, 85 -> 88-96; 128 channels even; 256 channels lost 2-11% (the
    // packed dy block, Cout x 256, is read once per panel of B), hence the
    // smaller weight limit than the forward's.
    const bool indirect = indirect_applies(g, plan.out_c) && weight.elements() <= kMaxIndirectWeightGradFloats;
    sum_in_fixed_slices(
        ctx.pool, plan.units(), weight_grad_slices(weight.elements()), weight.elements(), weight_grad.data(),
        [&](int64_t begin, int64_t end, float* acc, ThreadPool* gemm_pool) {
          // The unfolded chunk, or the indirect route's zero-padded edge copies.
          float* col = thread_scratch(Scratch::kColumns, chunk_pixels * (transposed ? width : padded_width));
          const RowPointerScratch table = indirect ? row_pointer_scratch(g, chunk_pixels) : RowPointerScratch{};
          std::vector<float> acc_t(transposed ? static_cast<size_t>(width * plan.out_c) : 0, 0.0f);
          for_each_chunk(begin, end, [&](int64_t first, int64_t last, int64_t pixels) {
            int64_t row = 0, used = 0;
            for (int64_t unit = first; unit < last; ++unit) {
              const int64_t n = unit / plan.bands, band = unit % plan.bands;
              const int64_t r0 = plan.row_begin(band), r1 = plan.row_end(band);
              if (indirect)
                used += im2col_row_pointers(g, x + n * image_size, r0, r1, table.zeros, col + used, table.rows + row,
                                            pixels);
              else if (transposed) im2col_nhwc(g, x + n * image_size, r0, r1, col + row * width);
              else im2col_nhwc_panels(g, x + n * image_size, r0, r1, nr, pixels * nr, col + row * nr);
              row += (r1 - r0) * g.out_w;
            }
            if (indirect) {
              IndirectBGemmArgs args;  // acc [Cout, K] += dy^T [Cout, pixels] * col [pixels, K]
              args.trans_a = true;
              args.m = plan.out_c;
              args.k = pixels;
              args.segments = g.kernel_h;
              args.segment_n = int64_t{g.kernel_w} * g.in_c;
              args.a = chunk_grad(first);
              args.lda = plan.out_c;
              args.b_rows = table.rows;
              args.c = acc;
              args.ldc = width;
              args.accumulate = true;
              gemm_f32_indirect_b(args, gemm_pool);
              return;
            }
            GemmArgs args;
            args.trans_a = true;
            args.k = pixels;
            args.accumulate = true;
            if (transposed) {  // acc_t [K, Cout] += col^T [K, pixels] * dy [pixels, Cout]
              args.m = width;
              args.n = plan.out_c;
              args.a = col;
              args.lda = width;
              args.b = chunk_grad(first);
              args.ldb = plan.out_c;
              args.c = acc_t.data();
              args.ldc = plan.out_c;
            } else {  // acc [Cout, K] += dy^T [Cout, pixels] * col [pixels, K]
              args.m = plan.out_c;
              args.n = width;
              args.a = chunk_grad(first);
              args.lda = plan.out_c;
              args.packed_b = col;
              args.c = acc;
              args.ldc = width;
            }
            gemm_f32(args, gemm_pool);
          });
          if (transposed)
            for (int64_t o = 0; o < plan.out_c; ++o)
              for (int64_t j = 0; j < width; ++j) acc[o * width + j] += acc_t[static_cast<size_t>(j * plan.out_c + o)];
        });
  } else if (want_param_grads) {
    sum_in_fixed_slices(
        ctx.pool, plan.units(), weight_grad_slices(weight.elements()), weight.elements(), weight_grad.data(),
        [&](int64_t begin, int64_t end, float* acc, ThreadPool* gemm_pool) {
          float* col = plan.pointwise ? nullptr : thread_scratch(Scratch::kColumns, plan.band_rows * g.out_w * width);
          for (int64_t unit = begin; unit < end; ++unit) {
            const int64_t n = unit / plan.bands, band = unit % plan.bands;
            const int64_t r0 = plan.row_begin(band), r1 = plan.row_end(band);
            const int64_t pixels = (r1 - r0) * g.out_w;
            const float* grad = output_band(dy, plan, n, r0);  // [pixels, Cout]
            const float* b;
            int64_t ldb;
            if (plan.pointwise) {
              b = x + ((n * g.in_h + r0) * g.in_w) * g.in_c;
              ldb = g.in_c;
            } else {
              im2col_nhwc(g, x + n * image_size, r0, r1, col);
              b = col;
              ldb = width;
            }
            for (int grp = 0; grp < g.groups; ++grp) {
              GemmArgs args;
              args.trans_a = true;  // dy_g is stored [pixels, Mg]
              args.m = plan.mg;
              args.n = plan.k;
              args.k = pixels;
              args.a = grad + grp * plan.mg;
              args.lda = plan.out_c;
              args.b = b + grp * (plan.pointwise ? cg : plan.k);
              args.ldb = ldb;
              args.c = acc + grp * plan.mg * plan.k;
              args.ldc = plan.k;
              args.accumulate = true;
              gemm_f32(args, gemm_pool);
            }
          }
        });
  }
  (void)output;
}

}  // namespace nl
