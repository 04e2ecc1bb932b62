// Dense forward and backward, all three products through gemm_f32:
//   y   = x W^T + b     [N, Out] = [N, In] [In, Out] (+ b per row)
//   dx += dy W          [N, In]  = [N, Out] [Out, In]
//   dW += dy^T x        [Out, In] = [Out, N] [N, In]
//   db += column sums of dy
// Each product is cut into fixed tiles of its output matrix (sizes that depend
// on the shapes only), computed one tile per task with the full reduction
// inside it, so results are the same for any thread count and no two tasks
// write the same element.
#include "nn/ops/dense.h"

#include <algorithm>
#include <functional>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/thread_pool.h"

namespace nl {

namespace {

constexpr int64_t kMaxParams = int64_t{1} << 28;
constexpr int64_t kTileRows = 64;    // output-matrix tile handed to one task
constexpr int64_t kTileCols = 256;

std::string str(int64_t v) { return std::to_string(v); }

// Runs tile(row_begin, row_end, col_begin, col_end) over a rows x cols matrix cut into fixed tiles.
void for_each_tile(ThreadPool* pool, int64_t rows, int64_t cols,
                   const std::function<void(int64_t, int64_t, int64_t, int64_t)>& tile) {
  const int64_t tr = (rows + kTileRows - 1) / kTileRows, tc = (cols + kTileCols - 1) / kTileCols;
  auto run = [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const int64_t r = t / tc, c = t % tc;
      tile(r * kTileRows, std::min(rows, (r + 1) * kTileRows), c * kTileCols, std::min(cols, (c + 1) * kTileCols));
    }
  };
  if (pool && pool->threads() > 1) pool->parallel_for(tr * tc, run);
  else run(0, tr * tc);
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
  float* y = output.data();  // [N, Out]
  const float* b = has_bias_ ? bias.data() : nullptr;
  for_each_tile(ctx.pool, batch, out_, [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
    if (b)
      for (int64_t r = r0; r < r1; ++r) std::copy(b + c0, b + c1, y + r * out_ + c0);
    GemmArgs args;
    args.trans_b = true;  // W is [Out, In]
    args.m = r1 - r0;
    args.n = c1 - c0;
    args.k = in_;
    args.a = x + r0 * in_;
    args.lda = in_;
    args.b = weight.data() + c0 * in_;
    args.ldb = in_;
    args.c = y + r0 * out_ + c0;
    args.ldc = out_;
    args.accumulate = b != nullptr;
    gemm_f32(args, nullptr);
  });
}

void Dense::backward(const OpContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                     const Tensor& output_grad, std::span<Tensor* const> input_grads, bool want_param_grads) {
  const Tensor& input = *inputs[0];  // [N, In]
  Tensor* input_grad = input_grads.empty() ? nullptr : input_grads[0];  // [N, In], += into
  const int64_t batch = input.shape()[0];
  const float* x = input.data();
  const float* dy = output_grad.data();  // [N, Out]

  if (input_grad) {
    float* dx = input_grad->data();
    for_each_tile(ctx.pool, batch, in_, [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
      GemmArgs args;
      args.m = r1 - r0;
      args.n = c1 - c0;
      args.k = out_;
      args.a = dy + r0 * out_;
      args.lda = out_;
      args.b = weight.data() + c0;
      args.ldb = in_;
      args.c = dx + r0 * in_ + c0;
      args.ldc = in_;
      args.accumulate = true;
      gemm_f32(args, nullptr);
    });
  }

  if (!want_param_grads) return;
  if (weight_grad.shape() != weight.shape()) weight_grad.resize(weight.shape());
  float* dw = weight_grad.data();
  for_each_tile(ctx.pool, out_, in_, [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
    GemmArgs args;
    args.trans_a = true;  // dy is stored [N, Out]
    args.m = r1 - r0;
    args.n = c1 - c0;
    args.k = batch;
    args.a = dy + r0;
    args.lda = out_;
    args.b = x + c0;
    args.ldb = in_;
    args.c = dw + r0 * in_ + c0;
    args.ldc = in_;
    args.accumulate = true;
    gemm_f32(args, nullptr);
  });
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
