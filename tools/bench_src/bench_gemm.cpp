// GEMM benchmarks.
//   gemm         every f32 GEMM kernel of f32_gemm.inc this CPU runs, on a
//                square problem and the three GEMMs of a 3x3 convolution,
//                once per thread count. Names: gemm/<kernel>/<M>x<N>x<K>/<op>,
//                op = nn, nt (B transposed) or tn (A transposed).
//   gemm_tuning  the dispatched kernel under forced thread splits and K block
//                sizes, to check the driver's choices.
#include <cstdint>
#include <memory>
#include <optional>
#include <random>

#include "bench.h"
#include "kernels/f32_gemm.h"
#include "kernels/thread_pool.h"
#include "tensor/tensor.h"

namespace nl::bench {
namespace {

struct GemmShape {
  int64_t m, n, k;
  bool trans_a, trans_b;
};

// A 3x3 convolution of 64 channels to 64 on 56x56 as im2col GEMMs
// (K = 3*3*64 = 576, weights stored [Cout][3][3][Cin]):
//   forward        out[3136 x 64]  = col[3136 x 576] W^T
//   input grad     dcol[3136 x 576] = dout[3136 x 64] W[64 x 576]
//   weight grad    dW[64 x 576]    = dout^T col
constexpr GemmShape kShapes[] = {
    {512, 512, 512, false, false},
    {3136, 64, 576, false, true},
    {3136, 576, 64, false, false},
    {64, 576, 3136, true, false},
};

// <M>x<N>x<K>/<op>
std::string shape_label(const GemmShape& s) {
  return std::to_string(s.m) + "x" + std::to_string(s.n) + "x" + std::to_string(s.k) + "/" + (s.trans_a ? "t" : "n") +
         (s.trans_b ? "t" : "n");
}

// Operands of one shape, filled with fixed random values.
struct GemmProblem {
  FloatBuffer a, b, c;
  GemmArgs args;

  explicit GemmProblem(const GemmShape& s) {
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    a.resize(static_cast<size_t>(s.m * s.k));
    b.resize(static_cast<size_t>(s.k * s.n));
    c.resize(static_cast<size_t>(s.m * s.n));
    for (float& x : a) x = uniform(rng);
    for (float& x : b) x = uniform(rng);
    args.m = s.m, args.n = s.n, args.k = s.k;
    args.trans_a = s.trans_a, args.trans_b = s.trans_b;
    args.a = a.data(), args.lda = s.trans_a ? s.m : s.k;
    args.b = b.data(), args.ldb = s.trans_b ? s.k : s.n;
    args.c = c.data(), args.ldc = s.n;
  }
  double flops() const { return 2.0 * args.m * args.n * args.k; }
};

std::unique_ptr<ThreadPool> make_pool(int threads) {
  return threads > 1 ? std::make_unique<ThreadPool>(threads) : nullptr;
}

void run_gemm(const Options& options) {
  for (const GemmShape& shape : kShapes) {
    std::optional<GemmProblem> problem;  // built on first use: filtered-out shapes cost nothing
    for (int threads : options.threads) {
      const std::unique_ptr<ThreadPool> pool = make_pool(threads);
      const int actual_threads = pool ? pool->threads() : 1;  // 1 in single-threaded builds
      if (actual_threads != threads) continue;  // this build cannot run that many threads: skip, not mislabel
      for (const F32GemmKernel& kernel : f32_gemm_kernels()) {
        if (!kernel.supported) continue;
        const std::string name = std::string("gemm/") + kernel.name + "/" + shape_label(shape);
        if (!options.filter.empty() && name.find(options.filter) == std::string::npos) continue;
        if (!problem) problem.emplace(shape);
        // The scalar kernel is slow: a smaller time budget keeps the run short.
        const double budget_ms = kernel.mr * kernel.nr <= 16 ? 40.0 : 100.0;
        const double ms = time_ms([&] { gemm_f32_with_kernel(kernel, problem->args, pool.get()); }, budget_ms);
        print_result(name, actual_threads, problem->flops() / (ms * 1e6), ms);
      }
    }
  }
}

void run_gemm_tuning(const Options& options) {
  const F32GemmKernel& kernel = f32_gemm_best_kernel();
  using Split = F32GemmTuning::Split;
  const struct {
    const char* label;
    F32GemmTuning tuning;
  } variants[] = {
      {"auto", {}},
      {"split_rows", {0, 0, 0, Split::Rows}},
      {"split_columns", {0, 0, 0, Split::Columns}},
      {"kc128", {128, 0, 0, Split::Auto}},
      {"kc512", {512, 0, 0, Split::Auto}},
  };
  for (const GemmShape& shape : kShapes) {
    std::optional<GemmProblem> problem;
    for (int threads : options.threads) {
      const std::unique_ptr<ThreadPool> pool = make_pool(threads);
      const int actual_threads = pool ? pool->threads() : 1;
      if (actual_threads != threads) continue;
      for (const auto& variant : variants) {
        if (actual_threads == 1 && variant.tuning.split != Split::Auto) continue;
        const std::string name =
            std::string("gemm_tuning/") + kernel.name + "/" + shape_label(shape) + "/" + variant.label;
        if (!options.filter.empty() && name.find(options.filter) == std::string::npos) continue;
        if (!problem) problem.emplace(shape);
        const double ms =
            time_ms([&] { gemm_f32_with_kernel(kernel, problem->args, pool.get(), variant.tuning); }, 100.0);
        print_result(name, actual_threads, problem->flops() / (ms * 1e6), ms);
      }
    }
  }
}

const Registrar gemm_registrar("gemm", run_gemm);
const Registrar gemm_tuning_registrar("gemm_tuning", run_gemm_tuning);

}  // namespace
}  // namespace nl::bench
