// Conv2D and Dense benchmarks: forward, the input gradient alone (what
// feature visualization needs) and the parameter gradients alone (training),
// on layer shapes typical of the models NeuronLens shows. Names read
// conv/<layer>/<pass> and dense/<N>x<In>_<Out>/<pass>; GFLOP/s count the
// 2*MACs of the forward pass for every pass. Under Node, the first benchmark
// of a run can read low while V8 is still compiling the hot functions.
//   neuronlens_bench conv dense --threads 1,2   (the 64->64 56x56 case vs XNNPACK is bench_conv.cpp)
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>

#include "bench.h"
#include "kernels/thread_pool.h"
#include "nn/ops/conv2d.h"
#include "nn/ops/dense.h"

namespace nl::bench {
namespace {

void fill(Tensor& t, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (int64_t i = 0; i < t.elements(); ++i) t[i] = u(rng);
}

struct ConvCase {
  const char* name;
  Shape input;
  int64_t out_c;
  int kernel, stride, pad, groups;
};

constexpr int64_t kBatch = 1;  // one image, as feature visualization runs

// Times forward, input gradient and parameter gradients of `op` on input x.
void run_op(const Options& options, const std::string& layer, Op& op, const Tensor& x, double flops) {
  std::mt19937 rng(7);
  Shape out;
  (void)op.output_shape({&x.shape(), 1}, &out);
  Tensor y(out), dy(out), dx(x.shape());
  fill(dy, rng);
  const Tensor* in[] = {&x};
  for (int threads : options.threads) {
    std::unique_ptr<ThreadPool> pool = threads > 1 ? std::make_unique<ThreadPool>(threads) : nullptr;
    OpContext ctx;
    ctx.pool = pool.get();
    const int actual = pool ? pool->threads() : 1;
    op.zero_param_grads();
    Tensor* grads[] = {&dx};
    Tensor* none[] = {nullptr};
    struct Pass {
      const char* name;
      std::function<void()> fn;
    } passes[] = {
        {"forward", [&] { op.forward(ctx, in, y); }},
        {"input_grad", [&] { op.backward(ctx, in, y, dy, grads, false); }},
        {"weight_grad", [&] { op.backward(ctx, in, y, dy, none, true); }},
    };
    for (const Pass& p : passes) {
      const std::string name = layer + "/" + p.name;
      if (!options.filter.empty() && name.find(options.filter) == std::string::npos) continue;
      const double ms = time_ms(p.fn, 150.0);
      print_result(name, actual, flops / (ms * 1e6), ms);
    }
  }
}

void run_conv(const Options& options) {
  const ConvCase cases[] = {
      {"3x3_56x56x64_64", Shape{kBatch, 56, 56, 64}, 64, 3, 1, 1, 1},
      {"3x3s2_56x56x64_128", Shape{kBatch, 56, 56, 64}, 128, 3, 2, 1, 1},
      {"1x1_56x56x64_128", Shape{kBatch, 56, 56, 64}, 128, 1, 1, 0, 1},
      {"dw3x3_56x56x128", Shape{kBatch, 56, 56, 128}, 128, 3, 1, 1, 128},
      {"g4_3x3_28x28x128_128", Shape{kBatch, 28, 28, 128}, 128, 3, 1, 1, 4},
      {"5x5_28x28x1_32_b64", Shape{64, 28, 28, 1}, 32, 5, 1, 2, 1},
      // The clothing model's training step (batch 64): its two costliest convolutions.
      {"3x3_28x28x32_32_b64", Shape{64, 28, 28, 32}, 32, 3, 1, 1, 1},
      {"3x3_14x14x64_64_b64", Shape{64, 14, 14, 64}, 64, 3, 1, 1, 1},
      // CNN A's first layer (one input channel) and its third, at batch 64.
      {"3x3_28x28x1_32_b64", Shape{64, 28, 28, 1}, 32, 3, 1, 1, 1},
      {"3x3_14x14x32_64_b64", Shape{64, 14, 14, 32}, 64, 3, 1, 1, 1},
      // ResNet-18's middle and deepest stages and its stem: weight-bound and im2col-bound.
      {"3x3_28x28x128_128", Shape{kBatch, 28, 28, 128}, 128, 3, 1, 1, 1},
      {"3x3_14x14x256_256", Shape{kBatch, 14, 14, 256}, 256, 3, 1, 1, 1},
      {"3x3_7x7x512_512", Shape{kBatch, 7, 7, 512}, 512, 3, 1, 1, 1},
      {"7x7s2_224x224x3_64", Shape{kBatch, 224, 224, 3}, 64, 7, 2, 3, 1},
  };
  std::mt19937 rng(1);
  for (const ConvCase& c : cases) {
    Conv2DParams p;
    p.in_channels = c.input.c();
    p.out_channels = c.out_c;
    p.kernel_h = p.kernel_w = c.kernel;
    p.stride_h = p.stride_w = c.stride;
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = c.pad;
    p.groups = c.groups;
    auto conv = std::move(Conv2D::create(p).value());
    fill(conv->weight, rng);
    Tensor x(c.input);
    fill(x, rng);
    Shape out;
    (void)conv->output_shape({&c.input, 1}, &out);
    const double flops = 2.0 * out.elements() * c.kernel * c.kernel * (c.input.c() / c.groups);
    run_op(options, std::string("conv/") + c.name, *conv, x, flops);
  }
}

void run_dense(const Options& options) {
  std::mt19937 rng(2);
  // Batches on both sides of the direct-loop / GEMM switches (4 and 8 rows).
  struct DenseCase {
    const char* name;
    int64_t n, in, out;
  } cases[] = {{"64x3136_128", 64, 3136, 128},
               {"1x4096_1000", 1, 4096, 1000},
               {"4x4096_1000", 4, 4096, 1000},
               {"8x4096_1000", 8, 4096, 1000},
               {"16x4096_1000", 16, 4096, 1000}};
  for (const DenseCase& c : cases) {
    auto d = std::move(Dense::create(c.in, c.out).value());
    fill(d->weight, rng);
    Tensor x(Shape{c.n, c.in});
    fill(x, rng);
    run_op(options, std::string("dense/") + c.name, *d, x, 2.0 * c.n * c.in * c.out);
  }
}

const Registrar conv_registrar("conv", run_conv);
const Registrar dense_registrar("dense", run_dense);

}  // namespace
}  // namespace nl::bench
