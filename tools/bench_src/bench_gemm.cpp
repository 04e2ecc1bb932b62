// GEMM benchmark: every f32 GEMM kernel of f32_gemm.inc that this CPU runs,
// on a square and a convolution-shaped problem, once per thread count.
// Names read gemm/<kernel>/<M>x<N>x<K>.
#include <cstdint>
#include <memory>
#include <random>

#include "bench.h"
#include "kernels/f32_gemm.h"
#include "kernels/thread_pool.h"
#include "tensor/tensor.h"

namespace nl::bench {
namespace {

struct Shape3 {
  int64_t m, n, k;
};

// 512^3: a plain square GEMM. 3136 x 64 x 576: a 3x3 convolution of 64
// channels on 56x56 as im2col (rows = pixels, K = 3*3*64).
constexpr Shape3 kShapes[] = {{512, 512, 512}, {3136, 64, 576}};

void run_gemm(const Options& options) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (const Shape3& s : kShapes) {
    FloatBuffer a(static_cast<size_t>(s.m * s.k)), b(static_cast<size_t>(s.k * s.n)), c(static_cast<size_t>(s.m * s.n));
    for (float& x : a) x = uniform(rng);
    for (float& x : b) x = uniform(rng);
    GemmArgs args;
    args.m = s.m, args.n = s.n, args.k = s.k;
    args.a = a.data(), args.lda = s.k;
    args.b = b.data(), args.ldb = s.n;
    args.c = c.data(), args.ldc = s.n;
    const double flops = 2.0 * s.m * s.n * s.k;
    for (int threads : options.threads) {
      std::unique_ptr<ThreadPool> pool = threads > 1 ? std::make_unique<ThreadPool>(threads) : nullptr;
      const int actual_threads = pool ? pool->threads() : 1;  // 1 in single-threaded builds
      for (const F32GemmKernel& kernel : f32_gemm_kernels()) {
        if (!kernel.supported) continue;
        const std::string name = std::string("gemm/") + kernel.name + "/" + std::to_string(s.m) + "x" +
                                 std::to_string(s.n) + "x" + std::to_string(s.k);
        if (!options.filter.empty() && name.find(options.filter) == std::string::npos) continue;
        // The scalar kernel is slow: give it a smaller budget.
        const double budget = kernel.mr * kernel.nr <= 16 ? 50.0 : 150.0;
        const double ms = time_ms([&] { gemm_f32_with_kernel(kernel, args, pool.get()); }, budget);
        print_result(name, actual_threads, flops / (ms * 1e6), ms);
      }
    }
  }
}

const Registrar registrar("gemm", run_gemm);

}  // namespace
}  // namespace nl::bench
