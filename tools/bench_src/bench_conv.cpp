// Convolution benchmark: ResNet-18's convolutions at batch 1, 'same' padding,
// through the built-in Conv2D and, natively, through XNNPACK, once per thread
// count; and the built-in input gradient (what a visualization step runs
// backward: dcol = dy W then col2im, or at stride 1 with at most 64 output
// channels a convolution of dy with the flipped weight; the same FLOPs as the
// forward either way). The 3x3 stages all cost 2 * H*W * C*C*9 = 231 MFLOP,
// but deep ones (7x7 pixels, a 9 MB weight) are bound by the weight's
// traffic, shallow ones by arithmetic. Names read
// conv<k>x<k>[s2]/<impl>/<cin>to<cout>_<size>x<size>, e.g.
// conv3x3/builtin/64to64_56x56, conv3x3/builtin_input_grad/64to64_56x56.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>

#include "bench.h"
#include "kernels/thread_pool.h"
#include "nn/graph.h"
#include "nn/ops/conv2d.h"
#if NL_XNNPACK
#include "backends/xnnpack_forward.h"
#endif

namespace nl::bench {
namespace {

struct ConvCase {
  int64_t size, in_channels, out_channels;
  int kernel, stride;
};
constexpr ConvCase kCases[] = {
    {56, 64, 64, 3, 1}, {28, 128, 128, 3, 1}, {14, 256, 256, 3, 1}, {7, 512, 512, 3, 1}, {224, 3, 64, 7, 2}};

std::string case_name(const ConvCase& c, const char* impl) {
  const std::string k = std::to_string(c.kernel);
  return "conv" + k + "x" + k + (c.stride > 1 ? "s" + std::to_string(c.stride) : "") + "/" + impl + "/" +
         std::to_string(c.in_channels) + "to" + std::to_string(c.out_channels) + "_" + std::to_string(c.size) + "x" +
         std::to_string(c.size);
}
// A longer budget than the default: on a shared machine a 2-thread run is
// often stalled by a descheduled worker, and the fastest of more runs is the
// steadier figure.
constexpr double kBudgetMs = 600.0;

void fill_uniform(Tensor& t, std::mt19937& rng, float scale) {
  std::uniform_real_distribution<float> uniform(-scale, scale);
  for (int64_t i = 0; i < t.elements(); ++i) t[i] = uniform(rng);
}

// Largest |a - b| relative to the largest |a|: the two paths must agree
// before their speeds are worth comparing.
double relative_difference(const Tensor& a, const Tensor& b) {
  double diff = 0, scale = 1e-30;
  for (int64_t i = 0; i < a.elements(); ++i) {
    diff = std::max(diff, static_cast<double>(std::fabs(a[i] - b[i])));
    scale = std::max(scale, static_cast<double>(std::fabs(a[i])));
  }
  return diff / scale;
}

bool selected(const Options& options, const std::string& name) {
  return options.filter.empty() || name.find(options.filter) != std::string::npos;
}

void run_case(const Options& options, const ConvCase& c) {
  if (!selected(options, case_name(c, "builtin")) && !selected(options, case_name(c, "xnnpack")) &&
      !selected(options, case_name(c, "builtin_input_grad")))
    return;
  Conv2DParams p;
  p.in_channels = c.in_channels;
  p.out_channels = c.out_channels;
  p.kernel_h = p.kernel_w = c.kernel;
  p.stride_h = p.stride_w = c.stride;
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = c.kernel / 2;
  auto created = Conv2D::create(p);
  if (!created.ok()) {
    std::fprintf(stderr, "conv: %s\n", created.status().message().c_str());
    return;
  }
  // The convolution lives in a one-node graph so the XNNPACK backend can plan it.
  Graph graph;
  const Shape shape{1, c.size, c.size, c.in_channels};
  if (!graph.set_input("x", shape).ok()) return;
  auto added = graph.add("conv", std::move(created.value()), {0});
  if (!added.ok()) {
    std::fprintf(stderr, "conv: %s\n", added.status().message().c_str());
    return;
  }
  auto& conv = static_cast<Conv2D&>(*graph.node(added.value()).op);
  std::mt19937 rng(7);
  fill_uniform(conv.weight, rng, 1.0f / std::sqrt(static_cast<float>(c.in_channels * c.kernel * c.kernel)));
  fill_uniform(conv.bias, rng, 0.1f);
  const Shape out_shape = graph.node(added.value()).shape;
  Tensor x(shape), y(out_shape), y_builtin(out_shape);
  fill_uniform(x, rng, 1.0f);
  const Tensor* inputs[] = {&x};
  const double flops = 2.0 * out_shape.h() * out_shape.w() * c.out_channels * c.in_channels * c.kernel * c.kernel;

  for (int threads : options.threads) {
    auto pool = std::make_unique<ThreadPool>(threads);
    const int actual_threads = pool->threads();  // 1 in single-threaded builds
    const OpContext ctx{pool.get()};
    const std::string builtin_name = case_name(c, "builtin");
    if (selected(options, builtin_name)) {
      const double ms = time_ms([&] { conv.forward(ctx, inputs, y_builtin); }, kBudgetMs);
      print_result(builtin_name, actual_threads, flops / (ms * 1e6), ms);
    } else {
      conv.forward(ctx, inputs, y_builtin);
    }
    const std::string grad_name = case_name(c, "builtin_input_grad");
    if (selected(options, grad_name)) {
      Tensor dy(out_shape), dx(shape);
      fill_uniform(dy, rng, 1.0f);
      Tensor* input_grads[] = {&dx};
      const double ms = time_ms(
          [&] {
            dx.fill(0.0f);  // backward adds into it, as the executor's zeroed gradients
            conv.backward(ctx, inputs, y_builtin, dy, input_grads, /*want_param_grads=*/false);
          },
          kBudgetMs);
      print_result(grad_name, actual_threads, flops / (ms * 1e6), ms);
    }
#if NL_XNNPACK
    const std::string xnn_name = case_name(c, "xnnpack");
    if (!selected(options, xnn_name)) continue;
    auto backend = XnnpackForward::create(graph, {.threads = threads});
    if (!backend.ok() || !backend.value()->handles(1)) {
      std::fprintf(stderr, "conv: XNNPACK does not run the convolution: %s\n",
                   backend.ok() ? backend.value()->describe().c_str() : backend.status().message().c_str());
      continue;
    }
    XnnpackForward& xnn = *backend.value();
    const double ms = time_ms([&] { xnn.forward_node(ctx, 1, inputs, y); }, kBudgetMs);
    print_result(xnn_name, threads, flops / (ms * 1e6), ms);
    if (const double d = relative_difference(y_builtin, y); d > 1e-4)
      std::fprintf(stderr, "conv: XNNPACK and built-in outputs differ by %.3g (relative)\n", d);
#endif
  }
}

void run_conv(const Options& options) {
  for (const ConvCase& c : kCases) run_case(options, c);
}

const Registrar registrar("conv3x3", run_conv);

}  // namespace
}  // namespace nl::bench
