// Silhouette scores (src/interpret/silhouette.h) against scikit-learn's
// silhouette_score / silhouette_samples (values in reference/cluster_reference.h),
// plus a hand-computed case and the k-means sweep over k.
#include <catch2/catch.hpp>

#include <string>

#include "cluster_test_support.h"
#include "interpret/silhouette.h"
#include "reference/cluster_reference.h"

using nl::DistanceMetric;

namespace {
const nl::FeatureRows kBlobRows{cluster_reference::kBlobs, 12, 3};

DistanceMetric metric_named(const std::string& name) {
  return name == "cosine" ? DistanceMetric::kCosine : DistanceMetric::kEuclidean;
}
}  // namespace

TEST_CASE("silhouette equals scikit-learn's on fixed inputs", "[cluster]") {
  for (const cluster_reference::SilhouetteCase& c : cluster_reference::kSilhouetteCases) {
    INFO("case " << c.name);
    const std::vector<int32_t> labels(c.labels, c.labels + 12);
    const DistanceMetric metric = metric_named(c.metric);
    nl::Result<double> score = nl::silhouette_score(kBlobRows, labels, metric);
    REQUIRE(score.ok());
    CHECK(score.value() == Approx(c.score).epsilon(1e-12).margin(1e-13));
    nl::Result<std::vector<double>> samples = nl::silhouette_samples(kBlobRows, labels, metric);
    REQUIRE(samples.ok());
    for (int i = 0; i < 12; ++i) CHECK(samples.value()[i] == Approx(c.samples[i]).epsilon(1e-12).margin(1e-13));

    // The same from a precomputed matrix, and with threads: identical numbers.
    nl::Result<std::vector<double>> distances = nl::pairwise_distances(kBlobRows, metric);
    REQUIRE(distances.ok());
    nl::ThreadPool pool(2);
    CHECK(nl::silhouette_score_from_distances(distances.value(), 12, labels).value() == score.value());
    CHECK(nl::silhouette_score(kBlobRows, labels, metric, &pool).value() == score.value());
  }
}

TEST_CASE("silhouette on a hand-computed case", "[cluster]") {
  // Points 0, 1 and 4, 6 on a line, clusters {0, 1} and {4, 6}:
  //   s(0): a = 1, b = (4 + 6) / 2 = 5      -> 4/5
  //   s(1): a = 1, b = (3 + 5) / 2 = 4      -> 3/4
  //   s(4): a = 2, b = (4 + 3) / 2 = 3.5    -> 1.5/3.5
  //   s(6): a = 2, b = (6 + 5) / 2 = 5.5    -> 3.5/5.5
  const std::vector<float> v = {0, 1, 4, 6};
  const std::vector<int32_t> labels = {3, 3, 9, 9};  // any ids
  nl::Result<std::vector<double>> samples = nl::silhouette_samples({v, 4, 1}, labels, DistanceMetric::kEuclidean);
  REQUIRE(samples.ok());
  const std::vector<double> expected = {0.8, 0.75, 1.5 / 3.5, 3.5 / 5.5};
  for (int i = 0; i < 4; ++i) CHECK(samples.value()[i] == Approx(expected[i]).epsilon(1e-15));
  CHECK(nl::silhouette_score({v, 4, 1}, labels, DistanceMetric::kEuclidean).value() ==
        Approx((0.8 + 0.75 + 1.5 / 3.5 + 3.5 / 5.5) / 4).epsilon(1e-15));
}

TEST_CASE("silhouette rejects invalid labels with a clear error", "[cluster]") {
  const std::vector<float> v = {0, 1, 4, 6};
  auto error_of = [&](std::vector<int32_t> labels) {
    nl::Result<double> r = nl::silhouette_score({v, 4, 1}, labels, DistanceMetric::kEuclidean);
    REQUIRE_FALSE(r.ok());
    return r.status().message();
  };
  CHECK_THAT(error_of({0, 0, 0, 0}), Catch::Contains("between 2 and n - 1 = 3 distinct labels, got 1"));
  CHECK_THAT(error_of({0, 1, 2, 3}), Catch::Contains("got 4"));
  CHECK_THAT(error_of({0, 1, 1}), Catch::Contains("3 labels for 4 points"));
  CHECK_THAT(error_of({0, -1, 1, 1}), Catch::Contains("labels must be >= 0, got -1"));
  const std::vector<double> bad = {0, 1, 1, NAN};
  const std::vector<int32_t> labels = {0, 1};
  CHECK_FALSE(nl::silhouette_score_from_distances(bad, 2, labels).ok());
}

TEST_CASE("silhouette over k peaks at the true number of groups", "[cluster]") {
  const nl::test::Blobs blobs = nl::test::make_blobs(4, 15, 5, 12.0, 0.7, 3);
  nl::KMeansOptions options;
  options.seed = 1;
  for (DistanceMetric metric : {DistanceMetric::kEuclidean, DistanceMetric::kCosine}) {
    nl::Result<std::vector<nl::KMeansSilhouette>> sweep =
        nl::kmeans_silhouette_over_k(blobs.rows(), 2, 8, options, metric);
    REQUIRE(sweep.ok());
    REQUIRE(sweep.value().size() == 7);
    const nl::KMeansSilhouette* best = &sweep.value()[0];
    for (const nl::KMeansSilhouette& s : sweep.value()) {
      CHECK(s.silhouette >= -1.0);
      CHECK(s.silhouette <= 1.0);
      if (s.silhouette > best->silhouette) best = &s;
    }
    if (metric == DistanceMetric::kEuclidean) CHECK(best->clusters == 4);
    // Each entry equals silhouette_score of k-means with that k.
    const nl::KMeansSilhouette& k3 = sweep.value()[1];
    nl::KMeansOptions with_k = options;
    with_k.clusters = 3;
    const nl::KMeansResult clustering = nl::kmeans(blobs.rows(), with_k).value();
    CHECK(k3.clusters == 3);
    CHECK(k3.inertia == clustering.inertia);
    CHECK(k3.silhouette == Approx(nl::silhouette_score(blobs.rows(), clustering.assignments, metric).value()).epsilon(1e-14));
  }
  nl::Result<std::vector<nl::KMeansSilhouette>> bad = nl::kmeans_silhouette_over_k(blobs.rows(), 1, 5, options,
                                                                                   DistanceMetric::kEuclidean);
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.status().message(), Catch::Contains("2 <= min_clusters <= max_clusters <= n - 1 = 59, got 1 to 5"));
}
