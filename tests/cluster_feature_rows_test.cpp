// FeatureRows views of tensors and the shared distances (src/interpret/
// feature_rows.h, distance.h).
#include <catch2/catch.hpp>

#include <cmath>

#include "interpret/distance.h"
#include "interpret/feature_rows.h"

TEST_CASE("feature rows view a tensor [N, ...] as N rows", "[cluster]") {
  nl::Tensor t(nl::Shape{2, 2, 2, 3});
  for (int64_t i = 0; i < t.elements(); ++i) t[i] = static_cast<float>(i);
  nl::Result<nl::FeatureRows> rows = nl::feature_rows_of(t);
  REQUIRE(rows.ok());
  CHECK(rows.value().rows == 2);
  CHECK(rows.value().cols == 12);
  CHECK(rows.value().row(1)[0] == 12.0f);
  CHECK_FALSE(nl::feature_rows_of(nl::Tensor()).ok());
}

TEST_CASE("pairwise distances: Euclidean and cosine by hand", "[cluster]") {
  const std::vector<float> v = {0, 0, 3, 4, 6, 8, 0, 0, 1, 2, 3, 4, 5, 6};  // [7 x 2]... rows 0, 3 are zero
  const nl::FeatureRows rows{v, 7, 2};
  nl::Result<std::vector<double>> e = nl::pairwise_distances(rows, nl::DistanceMetric::kEuclidean);
  nl::Result<std::vector<double>> c = nl::pairwise_distances(rows, nl::DistanceMetric::kCosine);
  REQUIRE(e.ok());
  REQUIRE(c.ok());
  CHECK(e.value()[0 * 7 + 1] == 5.0);
  CHECK(e.value()[1 * 7 + 2] == 5.0);
  CHECK(e.value()[2 * 7 + 0] == 10.0);
  CHECK(c.value()[1 * 7 + 2] == Approx(0.0).margin(1e-15));  // same direction
  CHECK(c.value()[0 * 7 + 3] == 1.0);                         // zero rows: unrelated
  CHECK(c.value()[0 * 7 + 0] == 0.0);
  for (int i = 0; i < 7; ++i)
    for (int j = 0; j < 7; ++j) {
      CHECK(e.value()[i * 7 + j] == e.value()[j * 7 + i]);
      CHECK(c.value()[i * 7 + j] == c.value()[j * 7 + i]);
    }
  // Lengths that are not multiples of the four partial sums.
  for (int64_t d : {1, 3, 4, 5, 9}) {
    std::vector<float> a(d), b(d);
    double expected = 0;
    for (int64_t k = 0; k < d; ++k) {
      a[k] = 0.5f * static_cast<float>(k) + 1;
      b[k] = -0.25f * static_cast<float>(k);
      expected += (a[k] - b[k]) * static_cast<double>(a[k] - b[k]);
    }
    CHECK(nl::squared_euclidean_distance(a.data(), b.data(), d) == Approx(expected).epsilon(1e-15));
  }
}
