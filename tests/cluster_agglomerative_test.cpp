// Agglomerative clustering (src/interpret/agglomerative.h) against SciPy:
// linkage matrices, leaf order and maxclust cuts for fixed inputs, computed by
// tests/reference/make_cluster_reference.py (values in cluster_reference.h).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include "interpret/agglomerative.h"
#include "reference/cluster_reference.h"

using nl::Dendrogram;
using nl::Linkage;

namespace {

Linkage linkage_named(const std::string& name) {
  if (name == "single") return Linkage::kSingle;
  if (name == "complete") return Linkage::kComplete;
  if (name == "average") return Linkage::kAverage;
  return Linkage::kWard;
}

Dendrogram build(const cluster_reference::LinkageCase& c) {
  const Linkage linkage = linkage_named(c.method);
  nl::Result<Dendrogram> result =
      c.points ? nl::agglomerative_clustering(
                     {std::span<const float>(c.points, static_cast<size_t>(c.n * c.d)), c.n, c.d},
                     std::string(c.metric) == "cosine" ? nl::DistanceMetric::kCosine : nl::DistanceMetric::kEuclidean,
                     linkage)
               : nl::agglomerative_clustering_from_distances(
                     std::span<const double>(c.distances, static_cast<size_t>(c.n * c.n)), c.n, linkage);
  INFO(result.status().message());
  REQUIRE(result.ok());
  return result.value();
}

}  // namespace

TEST_CASE("agglomerative merges, leaf order and maxclust cuts equal SciPy's", "[cluster]") {
  for (const cluster_reference::LinkageCase& c : cluster_reference::kLinkageCases) {
    INFO("case " << c.name);
    const Dendrogram dendrogram = build(c);
    REQUIRE(dendrogram.leaves == c.n);
    REQUIRE(dendrogram.merges.size() == static_cast<size_t>(c.n - 1));

    const std::vector<double> z = nl::linkage_matrix(dendrogram);
    for (int r = 0; r < c.n - 1; ++r) {
      INFO("merge row " << r);
      CHECK(z[r * 4 + 0] == c.z[r * 4 + 0]);
      CHECK(z[r * 4 + 1] == c.z[r * 4 + 1]);
      // Distances: same formulas, but SciPy's own distance kernels sum in
      // another order, so the last bits may differ.
      CHECK(z[r * 4 + 2] == Approx(c.z[r * 4 + 2]).epsilon(1e-12).margin(1e-14));
      CHECK(z[r * 4 + 3] == c.z[r * 4 + 3]);
    }

    if (c.points) {  // threads split the distance computation only: same merges
      nl::ThreadPool pool(2);
      nl::Result<Dendrogram> threaded = nl::agglomerative_clustering(
          {std::span<const float>(c.points, static_cast<size_t>(c.n * c.d)), c.n, c.d},
          std::string(c.metric) == "cosine" ? nl::DistanceMetric::kCosine : nl::DistanceMetric::kEuclidean,
          linkage_named(c.method), &pool);
      REQUIRE(threaded.ok());
      CHECK(nl::linkage_matrix(threaded.value()) == z);
    }

    const std::vector<int64_t> leaves = nl::dendrogram_leaf_order(dendrogram);
    CHECK(leaves == std::vector<int64_t>(c.leaves, c.leaves + c.n));

    for (int k = 1; k <= c.n; ++k) {
      INFO("maxclust k = " << k);
      nl::Result<std::vector<int32_t>> cut = nl::cut_dendrogram(dendrogram, k);
      REQUIRE(cut.ok());
      CHECK(cut.value() == std::vector<int32_t>(c.maxclust + (k - 1) * c.n, c.maxclust + k * c.n));
    }
    // Asking for more clusters than leaves keeps every leaf alone.
    nl::Result<std::vector<int32_t>> all = nl::cut_dendrogram(dendrogram, c.n + 5);
    REQUIRE(all.ok());
    CHECK(all.value() == std::vector<int32_t>(c.maxclust + (c.n - 1) * c.n, c.maxclust + c.n * c.n));
  }
}

TEST_CASE("agglomerative clustering of one and two points", "[cluster]") {
  const std::vector<float> one = {3.0f, 4.0f};
  nl::Result<Dendrogram> single = nl::agglomerative_clustering({one, 1, 2}, nl::DistanceMetric::kEuclidean,
                                                               Linkage::kAverage);
  REQUIRE(single.ok());
  CHECK(single.value().merges.empty());
  CHECK(nl::dendrogram_leaf_order(single.value()) == std::vector<int64_t>{0});
  CHECK(nl::cut_dendrogram(single.value(), 1).value() == std::vector<int32_t>{0});

  const std::vector<float> two = {0.0f, 0.0f, 3.0f, 4.0f};
  for (Linkage linkage : {Linkage::kSingle, Linkage::kComplete, Linkage::kAverage, Linkage::kWard}) {
    nl::Result<Dendrogram> pair = nl::agglomerative_clustering({two, 2, 2}, nl::DistanceMetric::kEuclidean, linkage);
    REQUIRE(pair.ok());
    CHECK(nl::linkage_matrix(pair.value()) == std::vector<double>{0, 1, 5, 2});
    CHECK(nl::cut_dendrogram(pair.value(), 1).value() == std::vector<int32_t>{0, 0});
    CHECK(nl::cut_dendrogram(pair.value(), 2).value() == std::vector<int32_t>{0, 1});
  }
}

TEST_CASE("a zero row is at cosine distance 1 from every other row", "[cluster]") {
  // Dead neurons have all-zero features: they must not produce NaN.
  const std::vector<float> v = {1, 0, 0, 0, 2, 0, 0, 1};  // [4 x 2]: rows 1 and 2 are zero
  nl::Result<Dendrogram> d = nl::agglomerative_clustering({v, 4, 2}, nl::DistanceMetric::kCosine, Linkage::kAverage);
  REQUIRE(d.ok());
  for (const nl::Merge& m : d.value().merges) CHECK(std::isfinite(m.distance));
  CHECK(d.value().merges[0].distance == 0.0);  // rows 0 and 2 point the same way
  CHECK(d.value().merges[0].first == 0);
  CHECK(d.value().merges[0].second == 2);
}

TEST_CASE("agglomerative clustering rejects invalid input with a clear error", "[cluster]") {
  const std::vector<float> v = {0, 1, 2, 3, 4, 5};
  nl::Result<Dendrogram> ward_cosine =
      nl::agglomerative_clustering({v, 3, 2}, nl::DistanceMetric::kCosine, Linkage::kWard);
  REQUIRE_FALSE(ward_cosine.ok());
  CHECK_THAT(ward_cosine.status().message(), Catch::Contains("Ward linkage needs Euclidean distances, got cosine"));

  auto from = [](std::vector<double> d, int64_t n) {
    nl::Result<Dendrogram> r = nl::agglomerative_clustering_from_distances(d, n, Linkage::kAverage);
    REQUIRE_FALSE(r.ok());
    return r.status().message();
  };
  CHECK_THAT(from({0, 1, 1, 0}, 3), Catch::Contains("4 values do not make a 3 x 3 matrix"));
  CHECK_THAT(from({0, 1, 2, 0}, 2), Catch::Contains("not symmetric"));
  CHECK_THAT(from({0, -1, -1, 0}, 2), Catch::Contains("finite and >= 0"));
  CHECK_THAT(from({0, NAN, NAN, 0}, 2), Catch::Contains("finite and >= 0"));
  CHECK_THAT(from({1, 1, 1, 0}, 2), Catch::Contains("diagonal entry (0, 0)"));
  CHECK_THAT(from({}, 0), Catch::Contains("at least one item"));

  const std::vector<float> many(nl::kMaxAgglomerativeItems + 1, 1.0f);
  nl::Result<Dendrogram> too_many = nl::agglomerative_clustering(
      {many, nl::kMaxAgglomerativeItems + 1, 1}, nl::DistanceMetric::kEuclidean, Linkage::kAverage);
  REQUIRE_FALSE(too_many.ok());
  CHECK_THAT(too_many.status().message(), Catch::Contains("8193 items is more than the 8192 supported"));

  nl::Result<Dendrogram> ok = nl::agglomerative_clustering({v, 3, 2}, nl::DistanceMetric::kEuclidean, Linkage::kSingle);
  REQUIRE(ok.ok());
  CHECK_THAT(nl::cut_dendrogram(ok.value(), 0).status().message(), Catch::Contains("max_clusters must be >= 1, got 0"));
  Dendrogram broken = ok.value();
  broken.merges.pop_back();
  CHECK_THAT(nl::cut_dendrogram(broken, 2).status().message(), Catch::Contains("needs 2 merges, it has 1"));
}
