// Convolution benchmark: a 3x3 convolution, 64 -> 64 channels, on a 56x56
// image, batch 1, 'same' padding (2 * 56*56 * 64*64*9 = 231 MFLOP), through the
// built-in Conv2D and, natively, through XNNPACK, once per thread count.
// Names read conv3x3/<impl>/64to64_56x56.
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

constexpr int64_t kSize = 56, kChannels = 64;
constexpr char kCase[] = "64to64_56x56";
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

void run_conv3x3(const Options& options) {
  Conv2DParams p;
  p.in_channels = p.out_channels = kChannels;
  p.kernel_h = p.kernel_w = 3;
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
  auto created = Conv2D::create(p);
  if (!created.ok()) {
    std::fprintf(stderr, "conv3x3: %s\n", created.status().message().c_str());
    return;
  }
  // The convolution lives in a one-node graph so the XNNPACK backend can plan it.
  Graph graph;
  const Shape shape{1, kSize, kSize, kChannels};
  if (!graph.set_input("x", shape).ok()) return;
  auto added = graph.add("conv", std::move(created.value()), {0});
  if (!added.ok()) {
    std::fprintf(stderr, "conv3x3: %s\n", added.status().message().c_str());
    return;
  }
  auto& conv = static_cast<Conv2D&>(*graph.node(added.value()).op);
  std::mt19937 rng(7);
  fill_uniform(conv.weight, rng, 1.0f / 24.0f);  // about 1/sqrt(fan_in)
  fill_uniform(conv.bias, rng, 0.1f);
  Tensor x(shape), y(shape), y_builtin(shape);
  fill_uniform(x, rng, 1.0f);
  const Tensor* inputs[] = {&x};
  const double flops = 2.0 * kSize * kSize * kChannels * kChannels * 9;

  for (int threads : options.threads) {
    auto pool = std::make_unique<ThreadPool>(threads);
    const int actual_threads = pool->threads();  // 1 in single-threaded builds
    const OpContext ctx{pool.get()};
    const std::string builtin_name = std::string("conv3x3/builtin/") + kCase;
    if (options.filter.empty() || builtin_name.find(options.filter) != std::string::npos) {
      const double ms = time_ms([&] { conv.forward(ctx, inputs, y_builtin); }, kBudgetMs);
      print_result(builtin_name, actual_threads, flops / (ms * 1e6), ms);
    } else {
      conv.forward(ctx, inputs, y_builtin);
    }
#if NL_XNNPACK
    const std::string xnn_name = std::string("conv3x3/xnnpack/") + kCase;
    if (!options.filter.empty() && xnn_name.find(options.filter) == std::string::npos) continue;
    auto backend = XnnpackForward::create(graph, {.threads = threads});
    if (!backend.ok() || !backend.value()->handles(1)) {
      std::fprintf(stderr, "conv3x3: XNNPACK does not run the convolution: %s\n",
                   backend.ok() ? backend.value()->describe().c_str() : backend.status().message().c_str());
      continue;
    }
    XnnpackForward& xnn = *backend.value();
    const double ms = time_ms([&] { xnn.forward_node(ctx, 1, inputs, y); }, kBudgetMs);
    print_result(xnn_name, threads, flops / (ms * 1e6), ms);
    if (const double d = relative_difference(y_builtin, y); d > 1e-4)
      std::fprintf(stderr, "conv3x3: XNNPACK and built-in outputs differ by %.3g (relative)\n", d);
#endif
  }
}

const Registrar registrar("conv3x3", run_conv3x3);

}  // namespace
}  // namespace nl::bench
