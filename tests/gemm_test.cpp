// f32 GEMM: every kernel of f32_gemm.inc this build and CPU can run, against
// gemm_f32_reference (plain loops in double). Sweeps sizes across the register
// tile tails, all transpose combinations, accumulate, padded strides, tiny
// cache blocks (so small matrices cross every block boundary), and checks that
// one and two threads give bit-identical results.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/f32_gemm.h"
#include "kernels/thread_pool.h"

namespace {

using nl::F32GemmKernel;
using nl::F32GemmTuning;
using nl::GemmArgs;

// A GEMM problem with its own storage. Matrices are stored with leading
// dimensions padded by `pad`; C's padding holds a sentinel the kernels must
// not touch.
struct Problem {
  GemmArgs args;
  std::vector<float> a, b, c_initial;
  int64_t c_rows = 0, c_cols = 0;

  static constexpr float kSentinel = -12345.0f;

  Problem(int64_t m, int64_t n, int64_t k, bool trans_a, bool trans_b, bool accumulate, int64_t pad, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    args.m = m, args.n = n, args.k = k;
    args.trans_a = trans_a, args.trans_b = trans_b, args.accumulate = accumulate;
    const int64_t a_rows = trans_a ? k : m, a_cols = trans_a ? m : k;
    const int64_t b_rows = trans_b ? n : k, b_cols = trans_b ? k : n;
    args.lda = a_cols + pad, args.ldb = b_cols + pad, args.ldc = n + pad;
    a.assign(static_cast<size_t>(a_rows * args.lda + 1), 0.0f);
    b.assign(static_cast<size_t>(b_rows * args.ldb + 1), 0.0f);
    c_initial.assign(static_cast<size_t>(m * args.ldc + 1), kSentinel);
    for (int64_t i = 0; i < a_rows; ++i)
      for (int64_t j = 0; j < a_cols; ++j) a[i * args.lda + j] = uniform(rng);
    for (int64_t i = 0; i < b_rows; ++i)
      for (int64_t j = 0; j < b_cols; ++j) b[i * args.ldb + j] = uniform(rng);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) c_initial[i * args.ldc + j] = uniform(rng);
    args.a = a.data(), args.b = b.data();
    c_rows = m, c_cols = n;
  }

  float op_a(int64_t i, int64_t p) const { return args.trans_a ? a[p * args.lda + i] : a[i * args.lda + p]; }
  float op_b(int64_t p, int64_t j) const { return args.trans_b ? b[j * args.ldb + p] : b[p * args.ldb + j]; }

  // Runs gemm into a fresh copy of the initial C.
  template <typename Gemm>
  std::vector<float> run(Gemm gemm) const {
    std::vector<float> c = c_initial;
    GemmArgs run_args = args;
    run_args.c = c.data();
    gemm(run_args);
    return c;
  }
};

// Checks `got` against the reference, element by element, with a bound that
// grows with K: |error| <= 2 (K + 2) eps (sum_k |a b| + |c0|), the worst-case
// float rounding of a K-term sum (the reference itself sums in double).
void check_against_reference(const Problem& p, const std::vector<float>& got, const std::string& what) {
  const std::vector<float> want = p.run([](const GemmArgs& g) { nl::gemm_f32_reference(g); });
  const GemmArgs& g = p.args;
  int failures = 0;
  double worst_ratio = 0;
  for (int64_t i = 0; i < g.m; ++i) {
    for (int64_t j = 0; j < g.ldc; ++j) {
      const size_t at = static_cast<size_t>(i * g.ldc + j);
      if (j >= g.n) {  // row padding: must be untouched
        if (got[at] != Problem::kSentinel && failures++ < 5)
          FAIL_CHECK(what << ": padding C[" << i << "][" << j << "] overwritten with " << got[at]);
        continue;
      }
      double magnitude = g.accumulate ? std::fabs(p.c_initial[at]) : 0.0;
      for (int64_t q = 0; q < g.k; ++q) magnitude += std::fabs(static_cast<double>(p.op_a(i, q)) * p.op_b(q, j));
      const double tolerance = 2.0 * (g.k + 2) * FLT_EPSILON * magnitude + 1e-30;
      const double error = std::fabs(static_cast<double>(got[at]) - want[at]);
      worst_ratio = std::max(worst_ratio, error / tolerance);
      if (!(error <= tolerance) && failures++ < 5)
        FAIL_CHECK(what << ": C[" << i << "][" << j << "] = " << got[at] << ", reference " << want[at] << ", error "
                        << error << " > tolerance " << tolerance);
    }
  }
  if (p.c_initial.size() > static_cast<size_t>(g.m * g.ldc) && got.back() != Problem::kSentinel)
    FAIL_CHECK(what << ": wrote past the end of C");
  if (failures > 0) FAIL(what << ": " << failures << " wrong elements (worst error/tolerance " << worst_ratio << ")");
}

std::string describe(const F32GemmKernel& kernel, const Problem& p, const char* extra = "") {
  const GemmArgs& g = p.args;
  return std::string(kernel.name) + " M=" + std::to_string(g.m) + " N=" + std::to_string(g.n) +
         " K=" + std::to_string(g.k) + (g.trans_a ? " trans_a" : "") + (g.trans_b ? " trans_b" : "") +
         (g.accumulate ? " accumulate" : "") + " lda=" + std::to_string(g.lda) + " ldb=" + std::to_string(g.ldb) +
         " ldc=" + std::to_string(g.ldc) + extra;
}

std::vector<const F32GemmKernel*> runnable_kernels() {
  std::vector<const F32GemmKernel*> kernels;
  for (const F32GemmKernel& kernel : nl::f32_gemm_kernels())
    if (kernel.supported) kernels.push_back(&kernel);
  return kernels;
}

// Sizes below, at and above every tile dimension of the family (4, 6, 8, 16, 32).
const int64_t kTailSizes[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 16, 17, 31, 33};

}  // namespace

TEST_CASE("gemm kernel list names a runnable kernel", "[gemm]") {
  REQUIRE(!nl::f32_gemm_kernels().empty());
  CHECK(std::string(nl::f32_gemm_kernels().front().name) == "f32_gemm_4x4__scalar");
  const F32GemmKernel& best = nl::f32_gemm_best_kernel();
  CHECK(best.supported);
  CHECK(std::string(nl::gemm_f32_kernel_name()) == best.name);
  for (const F32GemmKernel& kernel : nl::f32_gemm_kernels()) {
    INFO(kernel.name);
    CHECK(std::string(kernel.name).find(std::to_string(kernel.mr) + "x" + std::to_string(kernel.nr) + "__") !=
          std::string::npos);
  }
#if defined(__EMSCRIPTEN__)
  CHECK(std::string(best.name) == "f32_gemm_4x8__wasmsimd");
#endif
}

TEST_CASE("gemm kernels match the reference across tile tails", "[gemm]") {
  const int64_t ks[] = {1, 2, 3, 8, 17};
  for (const F32GemmKernel* kernel : runnable_kernels()) {
    uint32_t seed = 1;
    for (int64_t m : kTailSizes)
      for (int64_t n : kTailSizes)
        for (int64_t k : ks) {
          const Problem p(m, n, k, false, false, false, 0, seed++);
          check_against_reference(p, p.run([&](const GemmArgs& g) { nl::gemm_f32_with_kernel(*kernel, g, nullptr); }),
                                  describe(*kernel, p));
        }
  }
}

TEST_CASE("gemm kernels handle transposes, accumulate and strides", "[gemm]") {
  const int64_t sizes[] = {1, 3, 7, 9, 17, 33};
  const int64_t ks[] = {1, 5, 16, 37};
  for (const F32GemmKernel* kernel : runnable_kernels()) {
    uint32_t seed = 100;
    for (int combo = 0; combo < 8; ++combo) {
      const bool trans_a = combo & 1, trans_b = combo & 2, accumulate = combo & 4;
      for (int64_t m : sizes)
        for (int64_t n : sizes)
          for (int64_t k : ks) {
            const int64_t pad = (m + n + k) % 3 == 0 ? 0 : 3;  // mix packed and padded strides
            const Problem p(m, n, k, trans_a, trans_b, accumulate, pad, seed++);
            check_against_reference(p, p.run([&](const GemmArgs& g) { nl::gemm_f32_with_kernel(*kernel, g, nullptr); }),
                                    describe(*kernel, p));
          }
    }
  }
}

TEST_CASE("gemm kernels cross cache-block boundaries", "[gemm]") {
  // Tiny blocks make every loop of the driver take several, partial steps.
  for (const F32GemmKernel* kernel : runnable_kernels()) {
    const F32GemmTuning tiny_blocks[] = {
        {3, kernel->mr, kernel->nr},
        {8, 2 * kernel->mr, 2 * kernel->nr},
        {5, 3 * kernel->mr, kernel->nr},
    };
    uint32_t seed = 500;
    for (const F32GemmTuning& blocks : tiny_blocks)
      for (int combo = 0; combo < 8; ++combo) {
        const bool trans_a = combo & 1, trans_b = combo & 2, accumulate = combo & 4;
        const Problem p(3 * kernel->mr + 1, 3 * kernel->nr - 1, 23, trans_a, trans_b, accumulate, 2, seed++);
        const std::string what = describe(*kernel, p, (" kc=" + std::to_string(blocks.kc)).c_str());
        check_against_reference(
            p, p.run([&](const GemmArgs& g) { nl::gemm_f32_with_kernel(*kernel, g, nullptr, blocks); }), what);
      }
  }
}

TEST_CASE("gemm kernels on default blocks with K past one block", "[gemm]") {
  // The default cuts K into equal blocks of at most 256: K = 300 into two of
  // 150, K = 577 into three of 193 with a last one of 191, K = 513 into three
  // of 171, K = 256 into one.
  for (const F32GemmKernel* kernel : runnable_kernels()) {
    for (int64_t k : {256, 300, 513, 577}) {
      for (int combo = 0; combo < 4; ++combo) {
        const Problem p(2 * kernel->mr + 3, 2 * kernel->nr + 5, k, combo & 1, combo & 2, combo == 3, 1, 900 + combo);
        check_against_reference(p, p.run([&](const GemmArgs& g) { nl::gemm_f32_with_kernel(*kernel, g, nullptr); }),
                                describe(*kernel, p));
      }
    }
  }
  // An unpacked A of over 1 MB met by at most 64 columns is streamed in K
  // blocks of at most 1024: K = 2500 in three of 834, 834 and 832; N = 49
  // leaves a partial panel. (A transposed A keeps the blocks of 256.)
  for (const F32GemmKernel* kernel : runnable_kernels())
    for (int combo = 0; combo < 4; ++combo) {
      const Problem p(300, 49, 2500, false, combo & 1, combo & 2, 1, 950 + combo);
      check_against_reference(p, p.run([&](const GemmArgs& g) { nl::gemm_f32_with_kernel(*kernel, g, nullptr); }),
                              describe(*kernel, p));
    }
}

TEST_CASE("gemm with an empty dimension", "[gemm]") {
  for (const F32GemmKernel* kernel : runnable_kernels()) {
    for (bool accumulate : {false, true}) {
      // K = 0: C = 0, or C unchanged when accumulating.
      const Problem p(5, 7, 0, false, true, accumulate, 2, 77);
      const std::vector<float> c = p.run([&](const GemmArgs& g) { nl::gemm_f32_with_kernel(*kernel, g, nullptr); });
      for (int64_t i = 0; i < 5; ++i)
        for (int64_t j = 0; j < 7; ++j) {
          const size_t at = static_cast<size_t>(i * p.args.ldc + j);
          REQUIRE(c[at] == (accumulate ? p.c_initial[at] : 0.0f));
        }
      // M = 0 or N = 0: nothing is touched.
      for (auto [m, n] : {std::pair<int64_t, int64_t>{0, 7}, {5, 0}}) {
        const Problem q(m, n, 4, false, false, accumulate, 2, 78);
        REQUIRE(q.run([&](const GemmArgs& g) { nl::gemm_f32_with_kernel(*kernel, g, nullptr); }) == q.c_initial);
      }
    }
  }
}

TEST_CASE("gemm results are bit-identical for 1 and 2 threads", "[gemm]") {
  nl::ThreadPool pool(2);
  // Shapes with many row tiles, few row tiles, a single tile, a single
  // column; each under the driver's own choice and under both forced splits
  // (the driver only splits above a few million flops by itself).
  struct Shape {
    int64_t m, n, k;
  };
  // (300 x 49 x 2500 streams A in K blocks of up to 1024.)
  const Shape shapes[] = {{131, 67, 300}, {9, 600, 400}, {45, 37, 29}, {5, 5, 5}, {37, 1, 513}, {300, 49, 2500}};
  using Split = F32GemmTuning::Split;
  for (const F32GemmKernel* kernel : runnable_kernels()) {
    uint32_t seed = 1000;
    for (const Shape& s : shapes)
      for (int combo = 0; combo < 8; ++combo) {
        const Problem p(s.m, s.n, s.k, combo & 1, combo & 2, combo & 4, 1, seed++);
        const std::vector<float> one = p.run([&](const GemmArgs& g) { nl::gemm_f32_with_kernel(*kernel, g, nullptr); });
        for (Split split : {Split::Auto, Split::Rows, Split::Columns}) {
          F32GemmTuning tuning;
          tuning.split = split;
          const std::vector<float> two =
              p.run([&](const GemmArgs& g) { nl::gemm_f32_with_kernel(*kernel, g, &pool, tuning); });
          INFO(describe(*kernel, p) << " split " << static_cast<int>(split));
          REQUIRE(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)) == 0);
        }
        if (combo == 0) check_against_reference(p, one, describe(*kernel, p));
      }
  }
}

TEST_CASE("gemm_f32 dispatches to a correct kernel", "[gemm]") {
  nl::ThreadPool pool(2);
  const Problem p(70, 45, 260, true, false, true, 4, 4242);
  const std::vector<float> c = p.run([&](const GemmArgs& g) { nl::gemm_f32(g, &pool); });
  check_against_reference(p, c, std::string("gemm_f32 via ") + nl::gemm_f32_kernel_name());
}

TEST_CASE("gemm with op(B) packed beforehand matches the reference and the unpacked call bit for bit", "[gemm]") {
  // Convolutions pack their weight once per call (gemm_f32_pack_b) and reuse it
  // for every band; the packed path must compute exactly what packing per call does.
  nl::ThreadPool pool(2);
  using Split = F32GemmTuning::Split;
  for (const F32GemmKernel* kernel : runnable_kernels()) {
    const F32GemmTuning tunings[] = {{}, {3, kernel->mr, kernel->nr}, {8, 2 * kernel->mr, 2 * kernel->nr, Split::Rows},
                                     {5, 3 * kernel->mr, kernel->nr, Split::Columns}};
    uint32_t seed = 7000;
    for (const F32GemmTuning& tuning : tunings)
      for (int combo = 0; combo < 8; ++combo) {
        const bool trans_a = combo & 1, trans_b = combo & 2, accumulate = combo & 4;
        const Problem p(3 * kernel->mr + 1, 3 * kernel->nr - 1, 300, trans_a, trans_b, accumulate, 2, seed++);
        std::vector<float> packed(static_cast<size_t>(nl::gemm_f32_packed_b_size_for(*kernel, p.args.k, p.args.n)),
                                  -1.0f);
        nl::gemm_f32_pack_b_for(*kernel, p.args, packed.data(), &pool);
        nl::ThreadPool* threads = tuning.split != Split::Auto ? &pool : nullptr;  // forced splits need 2 threads
        const std::vector<float> plain =
            p.run([&](const GemmArgs& g) { nl::gemm_f32_with_kernel(*kernel, g, threads, tuning); });
        const std::vector<float> prepacked = p.run([&](const GemmArgs& g) {
          GemmArgs with_packed = g;
          with_packed.packed_b = packed.data();
          with_packed.b = nullptr;  // must not be read
          nl::gemm_f32_with_kernel(*kernel, with_packed, threads, tuning);
        });
        const std::string what = describe(*kernel, p, (" kc=" + std::to_string(tuning.kc)).c_str());
        INFO(what);
        REQUIRE(std::memcmp(plain.data(), prepacked.data(), plain.size() * sizeof(float)) == 0);
        check_against_reference(p, prepacked, what + " prepacked");
      }
  }
  // The public entry points (best kernel), as the convolution uses them.
  const Problem p(50, 70, 129, false, true, true, 0, 7777);
  std::vector<float> packed(static_cast<size_t>(nl::gemm_f32_packed_b_size(p.args.k, p.args.n)));
  nl::gemm_f32_pack_b(p.args, packed.data(), nullptr);
  const std::vector<float> c = p.run([&](const GemmArgs& g) {
    GemmArgs with_packed = g;
    with_packed.packed_b = packed.data();
    nl::gemm_f32(with_packed, &pool);
  });
  check_against_reference(p, c, "gemm_f32 with packed B");
}

namespace {

// Runs p (op(A) not transposed, K = segments * segment_k) as an indirect GEMM:
// every segment of every row of A is copied to its own place in a shuffled
// pool, and the row pointers name those copies, so the result can only be
// right if each pointer is followed.
std::vector<float> run_indirect(const F32GemmKernel& kernel, const Problem& p, int64_t segments, nl::ThreadPool* pool,
                                uint32_t seed) {
  const GemmArgs& g = p.args;
  const int64_t segment_k = g.k / segments;
  const int64_t count = segments * g.m;
  std::vector<int64_t> place(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) place[static_cast<size_t>(i)] = i;
  std::shuffle(place.begin(), place.end(), std::mt19937(seed));
  std::vector<float> copies(static_cast<size_t>(count * segment_k));
  std::vector<const float*> rows(static_cast<size_t>(count));
  for (int64_t s = 0; s < segments; ++s)
    for (int64_t i = 0; i < g.m; ++i) {
      float* copy = copies.data() + place[static_cast<size_t>(s * g.m + i)] * segment_k;
      std::memcpy(copy, p.a.data() + i * g.lda + s * segment_k, sizeof(float) * segment_k);
      rows[static_cast<size_t>(s * g.m + i)] = copy;
    }
  std::vector<float> packed(static_cast<size_t>(nl::gemm_f32_packed_b_size_for(kernel, g.k, g.n)));
  nl::gemm_f32_pack_b_for(kernel, g, packed.data(), nullptr);
  return p.run([&](const GemmArgs& run_args) {
    nl::IndirectGemmArgs args;
    args.m = g.m;
    args.n = g.n;
    args.segments = segments;
    args.segment_k = segment_k;
    args.rows = rows.data();
    args.packed_b = packed.data();
    args.c = run_args.c;
    args.ldc = g.ldc;
    args.accumulate = g.accumulate;
    nl::gemm_f32_indirect_with_kernel(kernel, args, pool);
  });
}

}  // namespace

TEST_CASE("indirect gemm follows its row pointers: reference across tile tails and K blocks, any pool", "[gemm]") {
  nl::ThreadPool pool(2);
  for (const F32GemmKernel* kernel : runnable_kernels()) {
    const int mr = kernel->mr, nr = kernel->nr;
    struct Shape {
      int64_t m, n, segments, segment_k;
    };
    // Partial row and column tiles; one segment or several; segments of one
    // float, of a few, and longer than one K block (300 and 513 are cut in 2
    // and 3); a C so wide that its rows go in chunks of a few tiles, the last
    // one partial (2100 columns: 24 rows per chunk of the 8-row kernels).
    const Shape shapes[] = {{1, 1, 1, 1},          {mr - 1, nr + 1, 3, 7},  {mr + 1, nr - 1, 2, 300},
                            {3 * mr + 1, 2 * nr + 3, 3, 96}, {2 * mr, nr, 1, 513}, {131, 67, 3, 100},
                            {61, 2100, 2, 5}};
    uint32_t seed = 9000;
    for (const Shape& s : shapes)
      for (int combo = 0; combo < 4; ++combo) {
        const bool trans_b = combo & 1, accumulate = combo & 2;
        const Problem p(s.m, s.n, s.segments * s.segment_k, false, trans_b, accumulate, 3, seed++);
        const std::string what = describe(*kernel, p, (" segments=" + std::to_string(s.segments)).c_str());
        INFO(what);
        const std::vector<float> one = run_indirect(*kernel, p, s.segments, nullptr, seed);
        check_against_reference(p, one, what);
        const std::vector<float> two = run_indirect(*kernel, p, s.segments, &pool, seed);
        REQUIRE(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)) == 0);
      }
  }
}

namespace {

// Runs p (op(B) not transposed, N = segments * segment_n) as an indirect-B
// GEMM: every row of every column segment of B is copied to its own place in
// a shuffled pool, and the row pointers name those copies.
std::vector<float> run_indirect_b(const F32GemmKernel& kernel, const Problem& p, int64_t segments,
                                  nl::ThreadPool* pool, uint32_t seed) {
  const GemmArgs& g = p.args;
  const int64_t segment_n = g.n / segments;
  const int64_t count = segments * g.k;
  std::vector<int64_t> place(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) place[static_cast<size_t>(i)] = i;
  std::shuffle(place.begin(), place.end(), std::mt19937(seed));
  std::vector<float> copies(static_cast<size_t>(count * segment_n));
  std::vector<const float*> b_rows(static_cast<size_t>(count));
  for (int64_t s = 0; s < segments; ++s)
    for (int64_t q = 0; q < g.k; ++q) {
      float* copy = copies.data() + place[static_cast<size_t>(s * g.k + q)] * segment_n;
      std::memcpy(copy, p.b.data() + q * g.ldb + s * segment_n, sizeof(float) * segment_n);
      b_rows[static_cast<size_t>(s * g.k + q)] = copy;
    }
  return p.run([&](const GemmArgs& run_args) {
    nl::IndirectBGemmArgs args;
    args.trans_a = g.trans_a;
    args.m = g.m;
    args.k = g.k;
    args.segments = segments;
    args.segment_n = segment_n;
    args.a = g.a;
    args.lda = g.lda;
    args.b_rows = b_rows.data();
    args.c = run_args.c;
    args.ldc = g.ldc;
    args.accumulate = g.accumulate;
    nl::gemm_f32_indirect_b_with_kernel(kernel, args, pool);
  });
}

}  // namespace

TEST_CASE("indirect-B gemm follows its row pointers: reference across tile tails and K blocks, any pool", "[gemm]") {
  nl::ThreadPool pool(2);
  for (const F32GemmKernel* kernel : runnable_kernels()) {
    const int mr = kernel->mr, nr = kernel->nr;
    struct Shape {
      int64_t m, k, segments, segment_n;
    };
    // Partial row tiles and partial last panels of a segment; K of one step,
    // of a few, and longer than one K block (300 and 513 are cut in 2 and 3).
    const Shape shapes[] = {{1, 1, 1, 1},           {mr - 1, 7, 3, nr + 1}, {mr + 1, 300, 2, nr - 1},
                            {4 * mr, 513, 3, 3 * nr}, {2 * mr + 3, 96, 1, 2 * nr}, {32, 600, 3, 96}};
    uint32_t seed = 9500;
    for (const Shape& s : shapes)
      for (int combo = 0; combo < 4; ++combo) {
        const bool trans_a = combo & 1, accumulate = combo & 2;
        const Problem p(s.m, s.segments * s.segment_n, s.k, trans_a, false, accumulate, 3, seed++);
        const std::string what = describe(*kernel, p, (" segments=" + std::to_string(s.segments)).c_str());
        INFO(what);
        const std::vector<float> one = run_indirect_b(*kernel, p, s.segments, nullptr, seed);
        check_against_reference(p, one, what);
        const std::vector<float> two = run_indirect_b(*kernel, p, s.segments, &pool, seed);
        REQUIRE(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)) == 0);
      }
  }
}
