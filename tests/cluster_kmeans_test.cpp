// k-means (src/interpret/kmeans.h): recovers known groups, is deterministic
// (also across native and wasm, through a golden result), keeps every cluster
// non-empty in degenerate cases, and rejects invalid input with a reason.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <set>

#include "cluster_test_support.h"
#include "interpret/kmeans.h"
#include "kernels/thread_pool.h"

using nl::FeatureRows;
using nl::KMeansOptions;
using nl::KMeansResult;

namespace {

KMeansResult run_kmeans(const FeatureRows& rows, int64_t k, uint64_t seed = 0, int restarts = 10,
                        nl::ThreadPool* pool = nullptr) {
  KMeansOptions options;
  options.clusters = k;
  options.seed = seed;
  options.restarts = restarts;
  nl::Result<KMeansResult> result = nl::kmeans(rows, options, pool);
  INFO(result.status().message());
  REQUIRE(result.ok());
  return result.value();
}

// Checks what every result must satisfy: ids in range, sizes right and
// non-zero, inertia = sum of squared distances to the reported centroids.
void check_consistent(const FeatureRows& rows, const KMeansResult& r) {
  REQUIRE(r.assignments.size() == static_cast<size_t>(rows.rows));
  REQUIRE(r.centroids.size() == static_cast<size_t>(r.clusters * rows.cols));
  std::vector<int64_t> sizes(static_cast<size_t>(r.clusters), 0);
  int32_t next_new = 0;  // canonical ids: first appearances are 0, 1, 2, ...
  for (int32_t a : r.assignments) {
    REQUIRE(a >= 0);
    REQUIRE(a < r.clusters);
    REQUIRE(a <= next_new);
    if (a == next_new) ++next_new;
    ++sizes[a];
  }
  CHECK(sizes == r.cluster_sizes);
  for (int64_t s : sizes) CHECK(s >= 1);
  double inertia = 0;
  for (int64_t i = 0; i < rows.rows; ++i)
    for (int64_t j = 0; j < rows.cols; ++j) {
      const double e = rows.row(i)[j] - r.centroids[r.assignments[i] * rows.cols + j];
      inertia += e * e;
    }
  CHECK(r.inertia == Approx(inertia).epsilon(1e-12).margin(1e-12));
}

}  // namespace

TEST_CASE("k-means recovers well-separated near-Gaussian blobs", "[cluster]") {
  struct Setting {
    int groups;
    int64_t per_group, dims;
  };
  for (Setting s : {Setting{5, 40, 8}, Setting{3, 3, 1}, Setting{4, 17, 3}, Setting{2, 50, 33}, Setting{7, 9, 5}}) {
    for (uint64_t seed : {1u, 2u, 3u}) {
      const nl::test::Blobs blobs = nl::test::make_blobs(s.groups, s.per_group, s.dims, 20.0, 0.6, 100 + seed);
      INFO("groups " << s.groups << ", per group " << s.per_group << ", dims " << s.dims << ", seed " << seed);
      const KMeansResult r = run_kmeans(blobs.rows(), s.groups, seed);
      check_consistent(blobs.rows(), r);
      CHECK(nl::test::adjusted_rand_index(r.assignments, blobs.truth) == 1.0);
      CHECK(nl::test::same_partition(r.assignments, blobs.truth));
      // Centroids sit near the true centres (the noise averages out).
      for (int64_t i = 0; i < blobs.n; ++i)
        for (int64_t j = 0; j < blobs.dims; ++j)
          CHECK(std::abs(r.centroids[r.assignments[i] * blobs.dims + j] - blobs.centres[blobs.truth[i] * blobs.dims + j]) <
                0.6 * 3);
    }
  }
}

TEST_CASE("k-means centroids are the means of their members and inertia matches", "[cluster]") {
  const nl::test::Blobs blobs = nl::test::make_blobs(3, 30, 4, 3.0, 1.0, 7);  // overlapping groups
  const KMeansResult r = run_kmeans(blobs.rows(), 3, 5);
  check_consistent(blobs.rows(), r);
  // At convergence each centroid is the mean of its members.
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t j = 0; j < blobs.dims; ++j) {
      double sum = 0;
      for (int64_t i = 0; i < blobs.n; ++i)
        if (r.assignments[i] == c) sum += blobs.values[i * blobs.dims + j];
      CHECK(r.centroids[c * blobs.dims + j] == Approx(sum / r.cluster_sizes[c]).epsilon(1e-9).margin(1e-9));
    }
  // More restarts never give a worse optimum than one of them alone.
  const KMeansResult single = run_kmeans(blobs.rows(), 3, 5, 1);
  CHECK(r.inertia <= single.inertia);
}

TEST_CASE("k-means is deterministic for a seed, with or without threads", "[cluster]") {
  const nl::test::Blobs blobs = nl::test::make_blobs(4, 25, 6, 4.0, 1.0, 11);
  const KMeansResult a = run_kmeans(blobs.rows(), 4, 42);
  const KMeansResult b = run_kmeans(blobs.rows(), 4, 42);
  nl::ThreadPool pool(2);
  const KMeansResult c = run_kmeans(blobs.rows(), 4, 42, 10, &pool);
  for (const KMeansResult* other : {&b, &c}) {
    CHECK(other->assignments == a.assignments);
    CHECK(other->centroids == a.centroids);  // bit for bit
    CHECK(std::memcmp(&other->inertia, &a.inertia, sizeof(double)) == 0);
    CHECK(other->chosen_restart == a.chosen_restart);
    CHECK(other->iterations == a.iterations);
  }
}

// The same numbers natively and in WebAssembly: the expected values were
// printed by the native build once and are checked by every build.
TEST_CASE("k-means gives the same result on every platform (golden values)", "[cluster]") {
  const nl::test::Blobs blobs = nl::test::make_blobs(5, 20, 7, 3.0, 1.0, 2024);  // overlapping: seeding matters
  const KMeansResult r = run_kmeans(blobs.rows(), 5, 9, 4);
  uint64_t label_hash = 1469598103934665603ull;  // FNV-1a over the labels
  for (int32_t a : r.assignments) label_hash = (label_hash ^ static_cast<uint64_t>(a)) * 1099511628211ull;
  uint64_t inertia_bits;
  std::memcpy(&inertia_bits, &r.inertia, sizeof inertia_bits);
  char inertia[64];
  std::snprintf(inertia, sizeof inertia, "%a (bits 0x%016llx)", r.inertia, static_cast<unsigned long long>(inertia_bits));
  INFO("inertia " << inertia << ", label hash " << label_hash << ", restart " << r.chosen_restart << ", iterations "
                  << r.iterations);
  CHECK(inertia_bits == 0x4084d2f6d223053cull);  // 0x1.4d2f6d223053cp+9 = 666.3705179916356
  CHECK(label_hash == 9407517473641008413ull);
}

TEST_CASE("k-means edge cases: k = 1, n = 1, k = n, duplicates, identical points", "[cluster]") {
  SECTION("k = 1: one cluster at the mean") {
    const std::vector<float> v = {0, 0, 2, 0, 4, 3};  // [3 x 2]
    const KMeansResult r = run_kmeans({v, 3, 2}, 1);
    CHECK(r.assignments == std::vector<int32_t>{0, 0, 0});
    CHECK(r.centroids == std::vector<double>{2.0, 1.0});
    CHECK(r.inertia == Approx(4 + 1 + 0 + 1 + 4 + 4));
  }
  SECTION("n = 1") {
    const std::vector<float> v = {1.5f, -2.0f};
    const KMeansResult r = run_kmeans({v, 1, 2}, 1);
    CHECK(r.assignments == std::vector<int32_t>{0});
    CHECK(r.centroids == std::vector<double>{1.5, -2.0});
    CHECK(r.inertia == 0.0);
  }
  SECTION("k = n: every point alone") {
    const std::vector<float> v = {0, 10, 20, 30, 40};
    const KMeansResult r = run_kmeans({v, 5, 1}, 5);
    check_consistent({v, 5, 1}, r);
    CHECK(r.assignments == std::vector<int32_t>{0, 1, 2, 3, 4});
    CHECK(r.inertia == 0.0);
  }
  SECTION("k above the number of distinct points: identical points are split") {
    const std::vector<float> v = {1, 1, 5, 5, 1, 1, 5, 5, 1, 1, 5, 5};  // [6 x 2], two distinct points
    for (uint64_t seed = 0; seed < 5; ++seed) {
      const KMeansResult r = run_kmeans({v, 6, 2}, 4, seed);
      check_consistent({v, 6, 2}, r);
      CHECK(r.inertia == 0.0);
    }
  }
  SECTION("all points identical") {
    const std::vector<float> v(8 * 3, 0.25f);
    const KMeansResult r = run_kmeans({v, 8, 3}, 3);
    check_consistent({v, 8, 3}, r);
    CHECK(r.inertia == 0.0);
  }
  SECTION("an empty cluster mid-way is refilled") {
    // One far outlier and a tight group; k = 3 on 4 points forces splits.
    const std::vector<float> v = {0, 0.1f, 0.2f, 100};
    for (uint64_t seed = 0; seed < 10; ++seed) {
      const KMeansResult r = run_kmeans({v, 4, 1}, 3, seed, 1);
      check_consistent({v, 4, 1}, r);
    }
  }
}

TEST_CASE("k-means rejects invalid input with a clear error", "[cluster]") {
  const std::vector<float> v = {0, 1, 2, 3, 4, 5};  // [3 x 2]
  auto error_of = [](const FeatureRows& rows, KMeansOptions options) {
    nl::Result<KMeansResult> r = nl::kmeans(rows, options);
    REQUIRE_FALSE(r.ok());
    return r.status().message();
  };
  KMeansOptions options;
  options.clusters = 4;
  CHECK_THAT(error_of({v, 3, 2}, options), Catch::Contains("between 1 and the number of points (3), got 4"));
  options.clusters = 0;
  CHECK_THAT(error_of({v, 3, 2}, options), Catch::Contains("got 0"));
  options.clusters = 2;
  options.restarts = 0;
  CHECK_THAT(error_of({v, 3, 2}, options), Catch::Contains("restarts"));
  options.restarts = 1;
  options.max_iterations = 0;
  CHECK_THAT(error_of({v, 3, 2}, options), Catch::Contains("max_iterations"));
  options.max_iterations = 10;
  options.tolerance = -1;
  CHECK_THAT(error_of({v, 3, 2}, options), Catch::Contains("tolerance"));
  options.tolerance = 1e-4;
  CHECK_THAT(error_of({v, 2, 2}, options), Catch::Contains("6 values do not make [2 x 2]"));
  CHECK_THAT(error_of({{}, 0, 2}, options), Catch::Contains("at least one row"));
  const std::vector<float> with_nan = {0, 1, NAN, 3};
  CHECK_THAT(error_of({with_nan, 2, 2}, options), Catch::Contains("row 1, column 0 is not finite"));
}
