// Cosine and Pearson similarity matrices (src/interpret/similarity.h): hand-
// computed cases, and NumPy's corrcoef / scikit-learn's cosine_similarity on
// the category profiles of reference/cluster_reference.h.
#include <catch2/catch.hpp>

#include <cmath>

#include "interpret/similarity.h"
#include "reference/cluster_reference.h"

TEST_CASE("cosine similarity on hand-computed cases", "[cluster]") {
  const std::vector<float> v = {1, 0, 0, 1, 1, 1, 0, 0, -2, 0};  // [5 x 2]; row 3 is zero
  nl::Result<std::vector<double>> s = nl::cosine_similarity_matrix({v, 5, 2});
  REQUIRE(s.ok());
  const double h = 1 / std::sqrt(2.0);
  const std::vector<double> expected = {
      1, 0, h,  0, -1,  //
      0, 1, h,  0, 0,   //
      h, h, 1,  0, -h,  //
      0, 0, 0,  1, 0,   // a zero row: unrelated to all, itself included as 1
      -1, 0, -h, 0, 1,
  };
  for (size_t i = 0; i < expected.size(); ++i) CHECK(s.value()[i] == Approx(expected[i]).margin(1e-15));
}

TEST_CASE("Pearson similarity on hand-computed cases", "[cluster]") {
  const std::vector<float> v = {1, 2, 3, 2, 4, 6, 3, 2, 1, 5, 5, 5, 1, 0, 1};  // [5 x 3]
  nl::Result<std::vector<double>> s = nl::pearson_similarity_matrix({v, 5, 3});
  REQUIRE(s.ok());
  // Row 3 is constant (no variance): 0 with the others. Row 4 (1, 0, 1) is
  // centred to (1/3, -2/3, 1/3): orthogonal to (-1, 0, 1).
  const std::vector<double> expected = {
      1, 1, -1, 0, 0,  //
      1, 1, -1, 0, 0,  //
      -1, -1, 1, 0, 0,  //
      0, 0, 0, 1, 0,  //
      0, 0, 0, 0, 1,
  };
  for (size_t i = 0; i < expected.size(); ++i) CHECK(s.value()[i] == Approx(expected[i]).margin(1e-15));
}

TEST_CASE("similarity matrices equal NumPy's corrcoef and scikit-learn's cosine_similarity", "[cluster]") {
  const nl::FeatureRows profiles{cluster_reference::kProfiles, 10, 16};
  nl::Result<std::vector<double>> pearson = nl::pearson_similarity_matrix(profiles);
  nl::Result<std::vector<double>> cosine = nl::cosine_similarity_matrix(profiles);
  REQUIRE(pearson.ok());
  REQUIRE(cosine.ok());
  for (int i = 0; i < 10 * 10; ++i) {
    CHECK(pearson.value()[i] == Approx(cluster_reference::kProfilesPearson[i]).margin(1e-14));
    CHECK(cosine.value()[i] == Approx(cluster_reference::kProfilesCosine[i]).margin(1e-14));
  }
  // Exactly symmetric: the clustering input rules demand it.
  for (int i = 0; i < 10; ++i)
    for (int j = 0; j < 10; ++j) CHECK(pearson.value()[i * 10 + j] == pearson.value()[j * 10 + i]);

  nl::Result<std::vector<double>> distance = nl::similarity_to_distance(pearson.value(), 10);
  REQUIRE(distance.ok());
  for (int i = 0; i < 10 * 10; ++i)
    CHECK(distance.value()[i] == Approx(cluster_reference::kProfilesCorrelationDistance[i]).margin(1e-14));
}

TEST_CASE("similarity functions reject invalid input", "[cluster]") {
  const std::vector<float> v = {1, 2, NAN, 4};
  CHECK_THAT(nl::cosine_similarity_matrix({v, 2, 2}).status().message(), Catch::Contains("not finite"));
  CHECK_THAT(nl::pearson_similarity_matrix({v, 2, 3}).status().message(), Catch::Contains("do not make [2 x 3]"));
  const std::vector<double> asymmetric = {1, 0.5, 0.4, 1};
  CHECK_THAT(nl::similarity_to_distance(asymmetric, 2).status().message(), Catch::Contains("must be finite and equal"));
  CHECK_THAT(nl::similarity_to_distance(asymmetric, 3).status().message(), Catch::Contains("3 x 3"));
}
