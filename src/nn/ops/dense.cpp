// Dense forward and backward:
//   y   = x W^T + b     [N, Out]  = [N, In] [In, Out] (+ b per row)
//   dx += dy W          [N, In]   = [N, Out] [Out, In]
//   dW += dy^T x        [Out, In] = [Out, N] [N, In]
//   db += column sums of dy
// The weight gradient, and the other two for batches above a few rows, go
// through gemm_f32 with the pool: its thread split never divides a
// sum, so every element comes out the same whatever the thread count. For
// smaller batches (feature visualization runs one image) y and dx are
// matrix-vector products that a GEMM serves badly (it packs all of W for a
// few rows of output), so they use direct loops over contiguous rows of W,
// split into fixed pieces; each element is still summed in one fixed order.
#include "nn/ops/dense.h"

#include <algorithm>
#include <functional>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/thread_pool.h"
#include "tensor/limits.h"

namespace nl {

namespace {

constexpr int64_t kMaxParams = limits::kMaxModelParameters;
// Batches up to these sizes skip the GEMM (crossovers measured natively and in Node).
constexpr int64_t kDirectForwardMaxBatch = 8;
constexpr int64_t kDirectInputGradMaxBatch = 4;
constexpr int64_t kRowBlock = 64;     // rows of W per task in the direct loops
constexpr int64_t kInputGradSlices = 4;  // partial input-gradient sums (a fixed count, not the thread count)

std::string str(int64_t v) { return std::to_string(v); }

// Runs fn(b) for every b in [0, blocks), spread over the pool.
void run_blocks(ThreadPool* pool, int64_t blocks, const std::function<void(int64_t)>& fn) {
  auto run = [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) fn(b);
  };
  if (pool && pool->threads() > 1) pool->parallel_for(blocks, run);
  else run(0, blocks);
}

// Runs fn(begin, end) over [0, n) in blocks of kRowBlock, spread over the pool.
void for_each_row_block(ThreadPool* pool, int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  run_blocks(pool, (n + kRowBlock - 1) / kRowBlock,
             [&](int64_t b) { fn(b * kRowBlock, std::min(n, (b + 1) * kRowBlock)); });
}

// The direct loops' kernels are kept out of line on purpose: V8 keeps a wasm
// function that is already running on its baseline compiler, so hot loops go
// in small, often-called functions (measured: 0.7 instead of 14-27 ms for a
// 4x4096 by 1000 layer, PLATFORM-NOTES.md).

// Dot product with 16 independent partial sums, added pairwise at the end:
// the compiler vectorizes it without reassociating, so every ISA (and wasm)
// sums in this same order.
__attribute__((noinline)) float dot(const float* a, const float* b, int64_t n) {
  float acc[16] = {};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int j = 0; j < 16; ++j) acc[j] += a[i + j] * b[i + j];
  for (int j = 0; i + j < n; ++j) acc[j] += a[i + j] * b[i + j];
  for (int width = 8; width >= 1; width /= 2)
    for (int j = 0; j < width; ++j) acc[j] += acc[j + width];
  return acc[0];
}

// out[i] += scale * row[i]
__attribute__((noinline)) void add_scaled(float* out, float scale, const float* row, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] += scale * row[i];
}

}  // namespace

Result<std::unique_ptr<Dense>> Dense::create(int64_t in_features, int64_t out_features, bool has_bias) {
  if (in_features <= 0 || out_features <= 0)
    return Status::Error("Dense: features must be positive, got in_features=" + str(in_features) +
                         " out_features=" + str(out_features));
  if (in_features > kMaxParams || out_features > kMaxParams || in_features * out_features > kMaxParams)
    return Status::Error("Dense: weight [" + str(out_features) + ", " + str(in_features) + "] has more than " +
                         str(kMaxParams) + " parameters");
  return std::unique_ptr<Dense>(new Dense(in_features, out_features, has_bias));
}

Dense::Dense(int64_t in, int64_t out, bool has_bias) : in_(in), out_(out), has_bias_(has_bias) {
  weight.resize(Shape{out_, in_});
  if (has_bias_) bias.resize(Shape{out_});
}

std::vector<Param> Dense::params() {
  std::vector<Param> out{{"weight", &weight, &weight_grad}};
  if (has_bias_) out.push_back({"bias", &bias, &bias_grad});
  return out;
}

Status Dense::output_shape(std::span<const Shape> inputs, Shape* output) const {
  if (inputs.size() != 1) return Status::Error("Dense: needs 1 input, got " + str(static_cast<int64_t>(inputs.size())));
  const Shape& x = inputs[0];
  if (x.rank() != 2)
    return Status::Error("Dense: input must be [N, " + str(in_) + "], got " + x.str() +
                         (x.rank() == 4 ? " (flatten NHWC activations first)" : ""));
  if (x[0] <= 0) return Status::Error("Dense: input " + x.str() + " has an empty batch");
  if (x[1] != in_)
    return Status::Error("Dense: input " + x.str() + " has " + str(x[1]) + " features, the layer expects " + str(in_));
  *output = Shape{x[0], out_};
  return Status::Ok();
}

void Dense::forward(const OpContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) {
  const Tensor& input = *inputs[0];  // [N, In]
  const int64_t batch = input.shape()[0];
  const float* x = input.data();
  const float* w = weight.data();  // [Out, In]
  float* y = output.data();        // [N, Out]
  const float* b = has_bias_ ? bias.data() : nullptr;
  if (batch <= kDirectForwardMaxBatch) {
    for_each_row_block(ctx.pool, out_, [&](int64_t o0, int64_t o1) {
      for (int64_t o = o0; o < o1; ++o)
        for (int64_t n = 0; n < batch; ++n) y[n * out_ + o] = (b ? b[o] : 0.0f) + dot(x + n * in_, w + o * in_, in_);
    });
    return;
  }
  if (b)
    for (int64_t n = 0; n < batch; ++n) std::copy(b, b + out_, y + n * out_);
  GemmArgs args;
  args.trans_b = true;  // W is [Out, In]
  args.m = batch;
  args.n = out_;
  args.k = in_;
  args.a = x;
  args.lda = in_;
  args.b = w;
  args.ldb = in_;
  args.c = y;
  args.ldc = out_;
  args.accumulate = b != nullptr;
  gemm_f32(args, ctx.pool);
}

void Dense::backward(const OpContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                     const Tensor& output_grad, std::span<Tensor* const> input_grads, bool want_param_grads) {
  const Tensor& input = *inputs[0];  // [N, In]
  Tensor* input_grad = input_grads.empty() ? nullptr : input_grads[0];  // [N, In], += into
  const int64_t batch = input.shape()[0];
  const float* x = input.data();
  const float* w = weight.data();        // [Out, In]
  const float* dy = output_grad.data();  // [N, Out]

  if (input_grad) {
    float* dx = input_grad->data();
    if (batch <= kDirectInputGradMaxBatch) {
      // Whole rows of W weighted by dy, summed over a fixed slice of outputs
      // into a buffer per slice (rows read contiguously: splitting them by
      // columns instead is several times slower), then the slices are added
      // onto dx in order.
      const int64_t slices = std::clamp<int64_t>(out_ / kRowBlock, 1, kInputGradSlices);
      std::vector<std::vector<float>> partial(static_cast<size_t>(slices));
      run_blocks(ctx.pool, slices, [&](int64_t s) {
        std::vector<float>& acc = partial[static_cast<size_t>(s)];
        acc.assign(static_cast<size_t>(batch * in_), 0.0f);
        for (int64_t o = out_ * s / slices; o < out_ * (s + 1) / slices; ++o) {
          const float* row = w + o * in_;
          for (int64_t n = 0; n < batch; ++n) add_scaled(acc.data() + n * in_, dy[n * out_ + o], row, in_);
        }
      });
      for (const std::vector<float>& acc : partial)
        for (int64_t i = 0; i < batch * in_; ++i) dx[i] += acc[static_cast<size_t>(i)];
    } else {
      GemmArgs args;
      args.m = batch;
      args.n = in_;
      args.k = out_;
      args.a = dy;
      args.lda = out_;
      args.b = w;
      args.ldb = in_;
      args.c = dx;
      args.ldc = in_;
      args.accumulate = true;
      gemm_f32(args, ctx.pool);
    }
  }

  if (!want_param_grads) return;
  if (weight_grad.shape() != weight.shape()) weight_grad.resize(weight.shape());
  GemmArgs args;
  args.trans_a = true;  // dy is stored [N, Out]
  args.m = out_;
  args.n = in_;
  args.k = batch;
  args.a = dy;
  args.lda = out_;
  args.b = x;
  args.ldb = in_;
  args.c = weight_grad.data();
  args.ldc = in_;
  args.accumulate = true;
  gemm_f32(args, ctx.pool);
  if (has_bias_) {
    if (bias_grad.shape() != bias.shape()) bias_grad.resize(bias.shape());
    std::vector<double> sum(static_cast<size_t>(out_), 0.0);
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t o = 0; o < out_; ++o) sum[static_cast<size_t>(o)] += dy[n * out_ + o];
    for (int64_t o = 0; o < out_; ++o) bias_grad[o] += static_cast<float>(sum[static_cast<size_t>(o)]);
  }
  (void)output;
}

}  // namespace nl
