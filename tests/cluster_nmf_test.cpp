// Non-negative matrix factorisation (src/interpret/nmf.h): the error never
// increases, a planted factorisation is recovered, runs are deterministic,
// and invalid input is rejected.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "cluster_test_support.h"
#include "interpret/nmf.h"

using nl::NmfOptions;
using nl::NmfResult;
using nl::NmfSolver;

namespace {

// A planted V = W H, [n x m] with r components: every row of W belongs to one
// group (weight 1..2) with small leaks to others; each row of H has its own
// support plus a shared part. groups: [n].
struct Planted {
  std::vector<float> v;
  std::vector<double> h;  // [r x m]
  std::vector<int32_t> groups;
  int64_t n, m, r;
};

Planted make_planted(int64_t n, int64_t m, int64_t r, uint64_t seed) {
  nl::SeededRandom random(seed);
  Planted p{{}, {}, {}, n, m, r};
  std::vector<double> w(static_cast<size_t>(n * r), 0.0);
  for (int64_t i = 0; i < n; ++i) {
    const int32_t g = static_cast<int32_t>(i % r);  // every group is used
    p.groups.push_back(g);
    w[i * r + g] = 1 + random.uniform01();
    const int64_t other = static_cast<int64_t>(random.below(static_cast<uint64_t>(r)));
    if (other != g && random.uniform01() < 0.3) w[i * r + other] = 0.2 * random.uniform01();
  }
  p.h.assign(static_cast<size_t>(r * m), 0.0);
  for (int64_t k = 0; k < r; ++k)
    for (int64_t j = 0; j < m; ++j)
      if (j % r == k || random.uniform01() < 0.15) p.h[k * m + j] = 0.5 + random.uniform01();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < m; ++j) {
      double sum = 0;
      for (int64_t k = 0; k < r; ++k) sum += w[i * r + k] * p.h[k * m + j];
      p.v.push_back(static_cast<float>(sum));
    }
  return p;
}

NmfResult run_nmf(const nl::FeatureRows& v, int64_t r, NmfSolver solver, int iterations, uint64_t seed = 0,
                  double tolerance = 0) {
  NmfOptions options;
  options.components = r;
  options.solver = solver;
  options.max_iterations = iterations;
  options.tolerance = tolerance;
  options.seed = seed;
  nl::Result<NmfResult> result = nl::nmf(v, options);
  INFO(result.status().message());
  REQUIRE(result.ok());
  return result.value();
}

double norm_of(const std::vector<float>& v) {
  double sum = 0;
  for (float x : v) sum += static_cast<double>(x) * x;
  return std::sqrt(sum);
}

}  // namespace

TEST_CASE("NMF lowers the reconstruction error monotonically", "[cluster]") {
  // A random non-negative matrix: no exact low-rank factorisation exists.
  nl::SeededRandom random(5);
  std::vector<float> v(37 * 23);
  for (float& x : v) x = static_cast<float>(random.uniform01() * random.uniform01() * 4);
  for (NmfSolver solver : {NmfSolver::kHals, NmfSolver::kMultiplicative}) {
    for (int64_t r : {1, 3, 6}) {
      INFO("solver " << (solver == NmfSolver::kHals ? "HALS" : "multiplicative") << ", r = " << r);
      const NmfResult result = run_nmf({v, 37, 23}, r, solver, 200);
      REQUIRE(result.error_history.size() == 201);
      for (size_t t = 1; t < result.error_history.size(); ++t)
        CHECK(result.error_history[t] <= result.error_history[t - 1] * (1 + 1e-12));
      CHECK(result.error_history.back() < 0.8 * result.error_history.front());
      // The reported error is that of the returned (normalised) factors.
      CHECK(result.reconstruction_error == Approx(result.error_history.back()).epsilon(1e-10));
      for (double x : result.w) CHECK(x >= 0);
      for (double x : result.h) CHECK(x >= 0);
      // Rows of H have unit length.
      for (int64_t k = 0; k < r; ++k) {
        double sum = 0;
        for (int64_t j = 0; j < 23; ++j) sum += result.h[k * 23 + j] * result.h[k * 23 + j];
        CHECK((sum == Approx(1.0).epsilon(1e-12) || sum == 0.0));
      }
    }
  }
}

TEST_CASE("NMF recovers a planted non-negative factorisation", "[cluster]") {
  const Planted p = make_planted(60, 24, 4, 17);
  const nl::FeatureRows v{p.v, p.n, p.m};
  const NmfResult result = run_nmf(v, p.r, NmfSolver::kHals, 3000, 3);
  INFO("relative error " << result.reconstruction_error / norm_of(p.v) << " after " << result.iterations
                         << " iterations");
  CHECK(result.reconstruction_error < 1e-4 * norm_of(p.v));

  // Each recovered row of H matches one planted row (cosine > 0.999), one to one.
  std::vector<int> match(static_cast<size_t>(p.r), -1);
  for (int64_t k = 0; k < p.r; ++k) {
    double planted_norm = 0;
    for (int64_t j = 0; j < p.m; ++j) planted_norm += p.h[k * p.m + j] * p.h[k * p.m + j];
    for (int64_t q = 0; q < p.r; ++q) {
      double dot = 0;
      for (int64_t j = 0; j < p.m; ++j) dot += p.h[k * p.m + j] * result.h[q * p.m + j];
      if (dot / std::sqrt(planted_norm) > 0.999) match[k] = static_cast<int>(q);
    }
  }
  std::vector<int> sorted = match;
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == std::vector<int>{0, 1, 2, 3});

  // Neuron groups from the dominant component equal the planted groups.
  const std::vector<int32_t> groups = nl::nmf_dominant_components(result);
  CHECK(nl::test::same_partition(groups, p.groups));

  // Multiplicative updates get there too, more slowly.
  const NmfResult slow = run_nmf(v, p.r, NmfSolver::kMultiplicative, 3000, 3);
  CHECK(slow.reconstruction_error < 0.02 * norm_of(p.v));
  CHECK(nl::test::same_partition(nl::nmf_dominant_components(slow), p.groups));
}

TEST_CASE("NMF is deterministic and stops on its tolerance", "[cluster]") {
  const Planted p = make_planted(20, 10, 3, 2);
  const nl::FeatureRows v{p.v, p.n, p.m};
  const NmfResult a = run_nmf(v, 3, NmfSolver::kHals, 300, 8, 1e-6);
  const NmfResult b = run_nmf(v, 3, NmfSolver::kHals, 300, 8, 1e-6);
  CHECK(a.w == b.w);
  CHECK(a.h == b.h);
  CHECK(a.error_history == b.error_history);
  CHECK(a.iterations < 300);  // the tolerance ended it
  const NmfResult c = run_nmf(v, 3, NmfSolver::kHals, 300, 9, 1e-6);
  CHECK(c.w != a.w);  // another seed, another start
}

TEST_CASE("NMF edge cases and invalid input", "[cluster]") {
  SECTION("an all-zero matrix and a zero row") {
    const std::vector<float> zeros(6, 0.0f);
    const NmfResult z = run_nmf({zeros, 2, 3}, 2, NmfSolver::kHals, 10);
    CHECK(z.reconstruction_error == 0.0);
    CHECK(nl::nmf_dominant_components(z) == std::vector<int32_t>{-1, -1});
    const std::vector<float> v = {1, 2, 0, 0, 3, 1};  // [3 x 2], row 1 is zero (a dead neuron)
    const NmfResult r = run_nmf({v, 3, 2}, 1, NmfSolver::kHals, 50);
    const std::vector<int32_t> groups = nl::nmf_dominant_components(r);
    CHECK(groups[1] == -1);
    CHECK(groups[0] == 0);
  }
  SECTION("one value, one component") {
    const std::vector<float> v = {4.0f};
    const NmfResult r = run_nmf({v, 1, 1}, 1, NmfSolver::kHals, 20);
    CHECK(r.reconstruction_error < 1e-12);
    CHECK(r.w[0] * r.h[0] == Approx(4.0));
  }
  SECTION("errors") {
    auto error_of = [](const nl::FeatureRows& v, int64_t r, int iterations) {
      NmfOptions options;
      options.components = r;
      options.max_iterations = iterations;
      nl::Result<NmfResult> result = nl::nmf(v, options);
      REQUIRE_FALSE(result.ok());
      return result.status().message();
    };
    const std::vector<float> v = {1, 2, -0.5f, 4};
    CHECK_THAT(error_of({v, 2, 2}, 1, 10), Catch::Contains("non-negative, value at row 1, column 0 is -0.5"));
    const std::vector<float> ok = {1, 2, 3, 4};
    CHECK_THAT(error_of({ok, 2, 2}, 0, 10), Catch::Contains("components must be >= 1, got 0"));
    CHECK_THAT(error_of({ok, 2, 2}, 1, 0), Catch::Contains("max_iterations must be >= 1, got 0"));
    const std::vector<float> inf = {1, INFINITY, 3, 4};
    CHECK_THAT(error_of({inf, 2, 2}, 1, 10), Catch::Contains("not finite"));
  }
}
