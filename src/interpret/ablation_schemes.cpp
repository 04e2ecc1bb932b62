// Ablation schemes and the domination test; see ablation_schemes.h.
#include "interpret/ablation_schemes.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "interpret/seeded_random.h"
#include "nn/ops/conv2d.h"
#include "nn/ops/dense.h"

namespace nl {
namespace {

int64_t layer_width(const Graph& g, int node) {
  const Shape& s = g.node(node).shape;
  return s[s.rank() - 1];
}

// Mean of several reports (per class and overall).
AccuracyReport mean_report(const std::vector<AccuracyReport>& runs) {
  AccuracyReport m = runs.front();
  for (size_t c = 0; c < m.per_class.size(); ++c) {
    double s = 0;
    for (const auto& r : runs) s += r.per_class[c];
    m.per_class[c] = s / static_cast<double>(runs.size());
  }
  double s = 0;
  for (const auto& r : runs) s += r.overall;
  m.overall = s / static_cast<double>(runs.size());
  return m;
}

// Seed of the random set number `index` of size `size` (independent streams).
uint64_t random_set_seed(uint64_t seed, int64_t size, int64_t index) {
  uint64_t state = seed ^ (0x9E3779B97F4A7C15ull * static_cast<uint64_t>(size + 1));
  state += static_cast<uint64_t>(index) * 0xD1B54A32D192ED03ull;
  return splitmix64(state);
}

}  // namespace

Result<std::vector<double>> channel_weight_norms(Graph& g, int node) {
  auto producer = channel_producer(g, node);
  if (!producer.ok()) return producer.status();
  Op* op = g.node(producer.value()).op.get();
  const Tensor* weight = nullptr;
  const Tensor* bias = nullptr;
  int64_t k = 0;
  if (auto* conv = dynamic_cast<Conv2D*>(op)) {
    weight = &conv->weight;
    bias = conv->settings().has_bias ? &conv->bias : nullptr;
    k = conv->settings().out_channels;
  } else if (auto* dense = dynamic_cast<Dense*>(op)) {
    weight = &dense->weight;
    bias = dense->has_bias() ? &dense->bias : nullptr;
    k = dense->out_features();
  }
  std::vector<double> norms(static_cast<size_t>(k), 0.0);
  const int64_t per = weight->elements() / k;
  for (int64_t j = 0; j < k; ++j) {
    double s = 0;
    for (int64_t i = 0; i < per; ++i) s += static_cast<double>((*weight)[j * per + i]) * (*weight)[j * per + i];
    if (bias) s += static_cast<double>((*bias)[j]) * (*bias)[j];
    norms[static_cast<size_t>(j)] = std::sqrt(s);
  }
  return norms;
}

std::vector<int> top_n_by_value(const std::vector<double>& values, int64_t n) {
  std::vector<int> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return values[static_cast<size_t>(a)] > values[static_cast<size_t>(b)]; });
  order.resize(static_cast<size_t>(std::clamp<int64_t>(n, 0, static_cast<int64_t>(order.size()))));
  return order;
}

std::vector<int> random_neurons(int64_t k, int64_t n, uint64_t seed) {
  std::vector<int> all(static_cast<size_t>(k));
  std::iota(all.begin(), all.end(), 0);
  n = std::clamp<int64_t>(n, 0, k);
  SeededRandom rng(seed);
  // Partial Fisher-Yates: the first n places get a uniform sample without replacement.
  for (int64_t i = 0; i < n; ++i) {
    const int64_t j = i + static_cast<int64_t>(rng.below(static_cast<uint64_t>(k - i)));
    std::swap(all[static_cast<size_t>(i)], all[static_cast<size_t>(j)]);
  }
  all.resize(static_cast<size_t>(n));
  std::sort(all.begin(), all.end());
  return all;
}

std::vector<int> complement_of(int64_t k, const std::vector<int>& set) {
  std::vector<char> in(static_cast<size_t>(k), 0);
  for (int j : set)
    if (j >= 0 && j < k) in[static_cast<size_t>(j)] = 1;
  std::vector<int> out;
  for (int64_t j = 0; j < k; ++j)
    if (!in[static_cast<size_t>(j)]) out.push_back(static_cast<int>(j));
  return out;
}

std::vector<AblationScheme> standard_ablation_schemes(int64_t k, const std::vector<int32_t>& cluster_ids,
                                                      const CategoryGroups& groups,
                                                      const std::vector<std::string>& class_names,
                                                      const std::vector<double>& norms, const AblationPlan& plan) {
  std::vector<AblationScheme> out;
  std::vector<int> everyone(static_cast<size_t>(k));
  std::iota(everyone.begin(), everyone.end(), 0);
  out.push_back({"keep all", "all", true, everyone, {}});
  const int64_t budget = plan.budget > 0 ? std::min(plan.budget, k) : (k + 1) / 2;
  if (!cluster_ids.empty()) {
    const int32_t clusters = *std::max_element(cluster_ids.begin(), cluster_ids.end()) + 1;
    for (int32_t c = 0; c < clusters; ++c) {
      std::vector<int> members;
      for (size_t j = 0; j < cluster_ids.size(); ++j)
        if (cluster_ids[j] == c) members.push_back(static_cast<int>(j));
      if (members.empty()) continue;
      out.push_back({"keep cluster " + std::to_string(c), "cluster", true, members, {}});
      if (plan.keep_and_remove) out.push_back({"remove cluster " + std::to_string(c), "cluster", false, members, {}});
    }
  }
  for (size_t c = 0; c < groups.members.size(); ++c) {
    if (groups.members[c].empty()) continue;
    const std::string name = c < class_names.size() ? class_names[c] : std::to_string(c);
    std::vector<int> members = groups.members[c];
    std::sort(members.begin(), members.end());
    out.push_back({"keep group " + name, "category-group", true, members, {}});
    if (plan.keep_and_remove) out.push_back({"remove group " + name, "category-group", false, members, {}});
  }
  if (!groups.members.empty()) {
    std::vector<int> order = priority_round_robin(groups);
    order.resize(static_cast<size_t>(std::min<int64_t>(budget, static_cast<int64_t>(order.size()))));
    std::sort(order.begin(), order.end());
    out.push_back({"keep " + std::to_string(budget) + " by priority", "priority", true, order, {}});
  }
  if (!norms.empty()) {
    std::vector<int> top = top_n_by_value(norms, budget);
    std::sort(top.begin(), top.end());
    out.push_back({"keep " + std::to_string(budget) + " by weight norm", "weight-norm", true, top, {}});
  }
  AblationScheme random{"keep " + std::to_string(budget) + " at random", "random", true, {}, {}};
  for (int s = 0; s < std::max(1, plan.random_seeds); ++s) random.seeds.push_back(random_set_seed(plan.seed, budget, s));
  random.chosen = random_neurons(k, budget, random.seeds.front());
  out.push_back(random);
  return out;
}

Result<std::vector<AblationOutcome>> run_ablation_schemes(Executor& ex, const ImageSet& set, int classes, int node,
                                                          const std::vector<AblationScheme>& schemes,
                                                          const AblationProgress& progress) {
  auto producer = channel_producer(ex.graph(), node);
  if (!producer.ok()) return producer.status();
  const int64_t k = layer_width(ex.graph(), node);
  auto total_params = kept_parameters(ex.graph(), node, complement_of(k, {}));
  if (!total_params.ok()) return total_params.status();
  int64_t total = 0, done = 0;
  for (const auto& s : schemes) total += s.seeds.empty() ? 1 : static_cast<int64_t>(s.seeds.size());
  std::vector<AblationOutcome> out;
  for (const AblationScheme& scheme : schemes) {
    AblationOutcome o;
    o.scheme = scheme;
    o.parameters_total = total_params.value();
    const bool all = scheme.kind == "all";
    const std::vector<uint64_t> seeds = scheme.seeds.empty() ? std::vector<uint64_t>{0} : scheme.seeds;
    double params = 0;
    for (size_t si = 0; si < seeds.size(); ++si) {
      std::vector<int> chosen = scheme.chosen;
      if (!scheme.seeds.empty()) chosen = random_neurons(k, static_cast<int64_t>(scheme.chosen.size()), seeds[si]);
      std::vector<int> kept = scheme.keep ? chosen : complement_of(k, chosen);
      std::sort(kept.begin(), kept.end());
      kept.erase(std::unique(kept.begin(), kept.end()), kept.end());
      auto report = evaluate_with_kept_channels(ex, set, classes, node, kept, all);
      if (!report.ok()) return report.status();
      auto p = kept_parameters(ex.graph(), node, kept);
      if (!p.ok()) return p.status();
      params += static_cast<double>(p.value());
      if (si == 0) o.kept = kept;
      o.per_seed.push_back(report.value());
      if (progress && !progress(++done, total)) return Status::Error("ablation: cancelled");
    }
    o.accuracy = mean_report(o.per_seed);
    o.parameters_kept = static_cast<int64_t>(std::llround(params / static_cast<double>(seeds.size())));
    if (scheme.seeds.empty()) {
      o.per_seed.clear();
    } else {
      double sq = 0;
      for (const auto& r : o.per_seed) sq += (r.overall - o.accuracy.overall) * (r.overall - o.accuracy.overall);
      o.overall_std = o.per_seed.size() > 1 ? std::sqrt(sq / static_cast<double>(o.per_seed.size() - 1)) : 0.0;
    }
    out.push_back(std::move(o));
  }
  return out;
}

Result<DominationTest> domination_test(Executor& ex, const ImageSet& set, int classes, int node,
                                       const CategoryGroups& groups, const std::vector<int64_t>& ns, int random_seeds,
                                       uint64_t seed, const AblationProgress& progress) {
  auto producer = channel_producer(ex.graph(), node);
  if (!producer.ok()) return producer.status();
  if (static_cast<int>(groups.members.size()) != classes)
    return Status::Error("domination test: " + std::to_string(groups.members.size()) + " category groups for " +
                         std::to_string(classes) + " classes");
  if (random_seeds < 1) return Status::Error("domination test: needs at least one random seed");
  for (int64_t n : ns)
    if (n < 1) return Status::Error("domination test: sizes must be at least 1, got " + std::to_string(n));
  const int64_t k = layer_width(ex.graph(), node);

  // Every removal the test needs, without repeats: (category, size) pairs and random sizes.
  std::map<std::pair<int, int64_t>, AccuracyReport> targeted;
  std::map<int64_t, std::vector<AccuracyReport>> random;
  for (int64_t n : ns)
    for (int c = 0; c < classes; ++c) {
      const int64_t removed = std::min<int64_t>(n, static_cast<int64_t>(groups.members[static_cast<size_t>(c)].size()));
      if (removed == 0) continue;
      targeted[{c, removed}];
      random[removed];
    }
  const int64_t total = 1 + static_cast<int64_t>(targeted.size()) + static_cast<int64_t>(random.size()) * random_seeds;
  int64_t done = 0;
  auto tick = [&]() { return !progress || progress(++done, total); };

  DominationTest t;
  t.random_seeds = random_seeds;
  auto base = evaluate_with_kept_channels(ex, set, classes, node, {}, true);
  if (!base.ok()) return base.status();
  t.baseline = base.value();
  if (!tick()) return Status::Error("domination test: cancelled");
  for (auto& [key, report] : targeted) {
    const auto& members = groups.members[static_cast<size_t>(key.first)];
    const std::vector<int> removed(members.begin(), members.begin() + key.second);
    auto r = evaluate_with_kept_channels(ex, set, classes, node, complement_of(k, removed));
    if (!r.ok()) return r.status();
    report = r.value();
    if (!tick()) return Status::Error("domination test: cancelled");
  }
  for (auto& [size, reports] : random)
    for (int s = 0; s < random_seeds; ++s) {
      const std::vector<int> removed = random_neurons(k, size, random_set_seed(seed, size, s));
      auto r = evaluate_with_kept_channels(ex, set, classes, node, complement_of(k, removed));
      if (!r.ok()) return r.status();
      reports.push_back(r.value());
      if (!tick()) return Status::Error("domination test: cancelled");
    }

  auto drop = [&](const AccuracyReport& r, int c) { return t.baseline.per_class[static_cast<size_t>(c)] - r.per_class[static_cast<size_t>(c)]; };
  auto others_drop = [&](const AccuracyReport& r, int c) {
    double s = 0;
    for (int o = 0; o < classes; ++o)
      if (o != c) s += drop(r, o);
    return classes > 1 ? s / (classes - 1) : 0.0;
  };
  for (int64_t n : ns) {
    DominationTestSummary sum;
    sum.n = n;
    for (int c = 0; c < classes; ++c) {
      const auto& members = groups.members[static_cast<size_t>(c)];
      DominationTestRow row;
      row.n = n;
      row.category = c;
      row.removed = std::min<int64_t>(n, static_cast<int64_t>(members.size()));
      row.removed_neurons.assign(members.begin(), members.begin() + row.removed);
      row.base_accuracy = t.baseline.per_class[static_cast<size_t>(c)];
      if (row.removed > 0) {
        const AccuracyReport& r = targeted.at({c, row.removed});
        row.target_drop = drop(r, c);
        row.others_mean_drop = others_drop(r, c);
        for (const AccuracyReport& rr : random.at(row.removed)) {
          row.random_target_drop += drop(rr, c) / random_seeds;
          row.random_others_mean_drop += others_drop(rr, c) / random_seeds;
        }
        sum.target_drop += row.target_drop;
        sum.others_mean_drop += row.others_mean_drop;
        sum.random_target_drop += row.random_target_drop;
        sum.random_others_mean_drop += row.random_others_mean_drop;
        ++sum.categories;
      }
      t.rows.push_back(std::move(row));
    }
    if (sum.categories > 0) {
      const double m = static_cast<double>(sum.categories);
      sum.target_drop /= m;
      sum.others_mean_drop /= m;
      sum.random_target_drop /= m;
      sum.random_others_mean_drop /= m;
    }
    t.summary.push_back(sum);
  }
  return t;
}

}  // namespace nl
