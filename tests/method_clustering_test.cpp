// The method's two clusterings on planted structure with known answers.
#include <catch2/catch.hpp>

#include <set>

#include "interpret/category_clustering.h"
#include "interpret/neuron_clustering.h"
#include "tensor/rng.h"

TEST_CASE("category groups rank each category's neurons by score; round robin interleaves", "[method-cluster]") {
  nl::Tensor s(nl::Shape{5, 2});
  const float v[10] = {3, 1, /**/ 0, 2, /**/ 5, 0, /**/ 1, 4, /**/ 2, 1};
  for (int i = 0; i < 10; ++i) s[i] = v[i];
  nl::CategoryGroups g = nl::category_groups(s);
  CHECK(g.members[0] == std::vector<int>{2, 0, 4});
  CHECK(g.members[1] == std::vector<int>{3, 1});
  CHECK(nl::priority_round_robin(g) == std::vector<int>{2, 3, 0, 1, 4});
}

TEST_CASE("categories with similar neuron profiles merge first", "[method-cluster]") {
  // Six categories over 40 neurons: {0,1,2} share one profile, {3,4,5} another, plus small noise.
  nl::Rng rng(5);
  nl::Tensor s(nl::Shape{40, 6});
  std::vector<float> a(40), b(40);
  for (int j = 0; j < 40; ++j) {
    a[static_cast<size_t>(j)] = static_cast<float>(rng.uniform(-1, 1));
    b[static_cast<size_t>(j)] = static_cast<float>(rng.uniform(-1, 1));
  }
  for (int j = 0; j < 40; ++j)
    for (int c = 0; c < 6; ++c) s[j * 6 + c] = (c < 3 ? a : b)[static_cast<size_t>(j)] + static_cast<float>(0.05 * rng.normal());
  for (auto kind : {nl::SimilarityKind::kCosine, nl::SimilarityKind::kPearson}) {
    auto r = nl::cluster_categories(s, kind);
    REQUIRE(r.ok());
    CHECK(r.value().merges.size() == 5 * 4);
    // The last merge joins the two planted groups, each of size 3.
    const double* last = &r.value().merges[4 * 4];
    CHECK(last[3] == 6);
    // Leaf order keeps each group contiguous.
    std::vector<int64_t> order = r.value().order;
    std::set<int64_t> first(order.begin(), order.begin() + 3);
    CHECK((first == std::set<int64_t>{0, 1, 2} || first == std::set<int64_t>{3, 4, 5}));
    for (int c = 0; c < 6; ++c) CHECK(r.value().similarity[static_cast<size_t>(c * 6 + c)] == Approx(1.0));
  }
}

TEST_CASE("neuron clustering recovers planted groups and labels them by contribution", "[method-cluster]") {
  // 30 neurons in 3 planted groups of features; group g contributes most to category g.
  nl::Rng rng(9);
  nl::Tensor features(nl::Shape{30, 8}), gamma(nl::Shape{30, 3});
  for (int j = 0; j < 30; ++j) {
    const int g = j % 3;
    for (int d = 0; d < 8; ++d) features[j * 8 + d] = static_cast<float>((d % 3 == g ? 4.0 : 0.0) + 0.3 * rng.normal());
    for (int c = 0; c < 3; ++c) gamma[j * 3 + c] = static_cast<float>((c == g ? 1.0 : 0.1) + 0.05 * rng.uniform());
  }
  for (auto method : {nl::NeuronClusterMethod::kKMeans, nl::NeuronClusterMethod::kAgglomerative}) {
    nl::NeuronClusterOptions o;
    o.clusters = 3;
    o.method = method;
    auto r = nl::cluster_neurons(features, gamma, o);
    REQUIRE(r.ok());
    REQUIRE(r.value().members.size() == 3);
    for (const auto& m : r.value().members) {
      REQUIRE(m.size() == 10);
      for (int j : m) CHECK(j % 3 == m[0] % 3);
    }
    for (size_t a = 0; a < 3; ++a) CHECK(r.value().labels[a][0] == r.value().members[a][0] % 3);
    // Labels do not change when the scores are scaled.
    nl::Tensor scaled = gamma;
    for (int64_t i = 0; i < scaled.elements(); ++i) scaled[i] *= 3.0f;
    auto again = nl::cluster_neurons(features, scaled, o);
    REQUIRE(again.ok());
    CHECK(again.value().labels == r.value().labels);
  }
  nl::NeuronClusterOptions bad;
  bad.clusters = 31;
  CHECK_FALSE(nl::cluster_neurons(features, gamma, bad).ok());
}
