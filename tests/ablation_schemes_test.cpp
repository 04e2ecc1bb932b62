// Ablation schemes and the domination test on a network with planted
// structure: 3 classes, 6 hidden units, units 2c and 2c+1 carry class c
// alone. Known answers: keeping everything reproduces the accuracy; removing
// a class's two units sends that class to 0 and leaves the others; the
// random scheme is the mean of its seeds' runs, each of which equals a
// direct evaluation of the set its seed draws.
#include <catch2/catch.hpp>

#include <numeric>

#include "interpret/ablation_schemes.h"
#include "interpret/contribution.h"
#include "nn/ops/dense.h"
#include "nn/ops/flatten.h"
#include "nn/ops/relu.h"

namespace {

// image [N,1,1,3] -> flatten -> dense 3->6 (unit j copies channel j/2) -> relu -> dense 6->3 (sum of the pair)
struct PlantedNet {
  nl::Graph g;
  int hidden = 0, relu = 0, logits = 0;
  PlantedNet() {
    REQUIRE(g.set_input("image", nl::Shape{1, 1, 1, 3}).ok());
    const int flat = g.add("flat", std::move(nl::Flatten::create().value()), {0}).value();
    auto d1 = nl::Dense::create(3, 6);
    REQUIRE(d1.ok());
    for (int j = 0; j < 6; ++j) d1.value()->weight[j * 3 + j / 2] = j % 2 ? 1.0f : 2.0f;  // unequal: a priority order
    hidden = g.add("hidden", std::move(d1.value()), {flat}).value();
    relu = g.add("hidden_relu", std::move(nl::ReLU::create().value()), {hidden}).value();
    auto d2 = nl::Dense::create(6, 3);
    REQUIRE(d2.ok());
    for (int j = 0; j < 6; ++j) d2.value()->weight[(j / 2) * 6 + j] = 1.0f;
    logits = g.add("logits", std::move(d2.value()), {relu}).value();
  }
};

// 10 images per class: channel c at 1, the others at 0.1 (so a class whose
// units are all removed loses to the others, whose logits are 0.2 or 0.3).
nl::ImageSet planted_images() {
  nl::ImageSet set;
  set.images.resize(nl::Shape{30, 1, 1, 3});
  for (int i = 0; i < 30; ++i) {
    const int c = i % 3;
    set.labels.push_back(c);
    for (int k = 0; k < 3; ++k) set.images[i * 3 + k] = k == c ? 1.0f : 0.1f + 0.01f * static_cast<float>(i % 5);
  }
  return set;
}

}  // namespace

TEST_CASE("set choosers: top by value, random subsets, complements", "[ablation-schemes]") {
  CHECK(nl::top_n_by_value({0.5, 2.0, 1.0, 2.0}, 3) == std::vector<int>{1, 3, 2});
  CHECK(nl::complement_of(5, {1, 3}) == std::vector<int>{0, 2, 4});
  const auto a = nl::random_neurons(20, 7, 11), b = nl::random_neurons(20, 7, 11), c = nl::random_neurons(20, 7, 12);
  CHECK(a == b);
  CHECK(a != c);
  REQUIRE(a.size() == 7);
  CHECK(std::is_sorted(a.begin(), a.end()));
  CHECK(std::adjacent_find(a.begin(), a.end()) == a.end());
  CHECK(nl::random_neurons(4, 9, 1) == std::vector<int>{0, 1, 2, 3});
  // Every neuron is drawn about equally often.
  std::vector<int> hits(10, 0);
  for (uint64_t s = 0; s < 2000; ++s)
    for (int j : nl::random_neurons(10, 3, s)) ++hits[static_cast<size_t>(j)];
  for (int h : hits) CHECK(std::abs(h - 600) < 90);
}

TEST_CASE("weight norms of a layer's channels", "[ablation-schemes]") {
  PlantedNet net;
  auto norms = nl::channel_weight_norms(net.g, net.relu);  // walks back through the ReLU
  REQUIRE(norms.ok());
  CHECK(norms.value() == std::vector<double>{2, 1, 2, 1, 2, 1});
}

TEST_CASE("standard schemes: keep-all reproduces accuracy, groups carry their class, random averages seeds",
          "[ablation-schemes]") {
  PlantedNet net;
  nl::Executor ex(&net.g);
  const nl::ImageSet set = planted_images();
  auto gamma = nl::category_contributions(ex, set, net.hidden, 3, {});
  REQUIRE(gamma.ok());
  const nl::CategoryGroups groups = nl::category_groups(gamma.value());
  REQUIRE(groups.members.size() == 3);
  for (int c = 0; c < 3; ++c) CHECK(groups.members[static_cast<size_t>(c)] == std::vector<int>{2 * c, 2 * c + 1});
  auto norms = nl::channel_weight_norms(net.g, net.hidden);
  REQUIRE(norms.ok());
  nl::AblationPlan plan;
  plan.budget = 2;
  plan.random_seeds = 5;
  const std::vector<int32_t> clusters = {0, 0, 1, 1, 1, 1};
  const auto schemes = nl::standard_ablation_schemes(6, clusters, groups, {"a", "b", "c"}, norms.value(), plan);
  int64_t progress_calls = 0;
  auto outcomes = nl::run_ablation_schemes(ex, set, 3, net.hidden, schemes, [&](int64_t, int64_t) {
    ++progress_calls;
    return true;
  });
  REQUIRE(outcomes.ok());
  auto find = [&](const std::string& name) -> const nl::AblationOutcome& {
    for (const auto& o : outcomes.value())
      if (o.scheme.name == name) return o;
    FAIL("no scheme " << name);
    return outcomes.value().front();
  };
  const auto& all = find("keep all");
  CHECK(all.accuracy.overall == 1.0);
  CHECK(all.parameters_kept == all.parameters_total);
  CHECK(all.parameters_total == 6 * (3 + 1));
  auto plain = nl::evaluate_with_kept_channels(ex, set, 3, net.hidden, {}, true);
  REQUIRE(plain.ok());
  CHECK(all.accuracy.per_class == plain.value().per_class);

  const auto& keep_a = find("keep group a");
  CHECK(keep_a.kept == std::vector<int>{0, 1});
  CHECK(keep_a.accuracy.per_class[0] == 1.0);
  CHECK(keep_a.parameters_kept == 2 * 4);
  const auto& remove_b = find("remove group b");
  CHECK(remove_b.accuracy.per_class == std::vector<double>{1.0, 0.0, 1.0});
  CHECK(find("remove cluster 0").accuracy.per_class == std::vector<double>{0.0, 1.0, 1.0});
  // Priority round-robin with budget 2: the best of class a's group and of b's.
  CHECK(find("keep 2 by priority").kept == std::vector<int>{0, 2});
  // Weight norm: units 0, 2, 4 have norm 2; the two first ones win ties.
  CHECK(find("keep 2 by weight norm").kept == std::vector<int>{0, 2});

  const auto& random = find("keep 2 at random");
  REQUIRE(random.per_seed.size() == 5);
  double mean = 0;
  for (size_t s = 0; s < 5; ++s) {
    const auto drawn = nl::random_neurons(6, 2, random.scheme.seeds[s]);
    auto direct = nl::evaluate_with_kept_channels(ex, set, 3, net.hidden, drawn);
    REQUIRE(direct.ok());
    CHECK(random.per_seed[s].overall == direct.value().overall);
    mean += direct.value().overall / 5;
  }
  CHECK(random.accuracy.overall == Approx(mean));
  int64_t evaluations = 0;
  for (const auto& s : schemes) evaluations += s.seeds.empty() ? 1 : static_cast<int64_t>(s.seeds.size());
  CHECK(progress_calls == evaluations);
}

TEST_CASE("the domination test shows the targeted class dropping alone", "[ablation-schemes]") {
  PlantedNet net;
  nl::Executor ex(&net.g);
  const nl::ImageSet set = planted_images();
  auto gamma = nl::category_contributions(ex, set, net.hidden, 3, {});
  REQUIRE(gamma.ok());
  const nl::CategoryGroups groups = nl::category_groups(gamma.value());
  auto test = nl::domination_test(ex, set, 3, net.hidden, groups, {1, 2, 5}, 5, 0);
  REQUIRE(test.ok());
  const nl::DominationTest& t = test.value();
  REQUIRE(t.rows.size() == 9);
  REQUIRE(t.summary.size() == 3);
  // n = 1: one of the two units still carries the class.
  CHECK(t.summary[0].target_drop == 0.0);
  // n = 2 (and 5, capped at the group's 2): class c falls to 0, the others stay.
  for (size_t i : {1u, 2u}) {
    CHECK(t.summary[i].target_drop == 1.0);
    CHECK(t.summary[i].others_mean_drop == 0.0);
    CHECK(t.summary[i].random_target_drop < t.summary[i].target_drop);
  }
  for (const auto& row : t.rows) {
    CHECK(row.removed == std::min<int64_t>(row.n, 2));
    CHECK(row.base_accuracy == 1.0);
  }
  // Bad requests are errors.
  CHECK_FALSE(nl::domination_test(ex, set, 3, net.hidden, groups, {0}, 5, 0).ok());
  CHECK_FALSE(nl::domination_test(ex, set, 4, net.hidden, groups, {1}, 5, 0).ok());
}
