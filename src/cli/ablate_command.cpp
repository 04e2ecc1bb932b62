// neuronlens ablate: class-conditional ablation at one layer (METHOD.md,
// "Quantitative analyses"), with no retraining: keep or remove neurons chosen
// by cluster (k-means over contribution profiles), by category group, by
// priority round-robin, by weight norm, or at random over several seeds; then
// the domination test (remove the top n of a category's group: the drop of
// that class against the other classes and against random sets of n).
// Writes ablation.json (per scheme: the neurons kept, per-class and overall
// accuracy, parameters kept; the domination test), ablation.csv and domination.csv.
#include <cstdio>
#include <sstream>

#include "cli/command.h"
#include "cli/method_command.h"
#include "cli/method_runs.h"
#include "cli/output_dir.h"

namespace nl::cli {

namespace {

constexpr const char* kName = "ablate";

std::string usage() {
  return std::string(
             "usage: neuronlens ablate --model DIR --out DIR [options]\n"
             "  --layer NAME        the layer whose neurons are removed (default: the last conv layer)\n"
             "  --score KIND        how category groups are formed: contribution (default), activation,\n"
             "                      feature-gradient, weight-gradient\n"
             "  --clusters K        k-means clusters over contribution profiles (default 4; 0: none)\n"
             "  --budget N          neurons kept by the priority, weight-norm and random schemes\n"
             "                      (default: half the layer)\n"
             "  --random-seeds N    random sets per size (default 5, at least 5)\n"
             "  --sizes LIST        domination-test sizes n (default 1,2,4,8; 'none' to skip)\n"
             "  --keep-only         clusters and groups: only keep, not also remove\n") +
         kDataOptionsHelp + kMethodOptionsHelp;
}

Result<std::vector<int64_t>> parse_sizes(const std::string& text) {
  std::vector<int64_t> out;
  if (text == "none") return out;
  std::stringstream list(text);
  for (std::string item; std::getline(list, item, ',');) {
    char* end = nullptr;
    const long long v = std::strtoll(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || v < 1 || v > 1000000)
      return Status::Error("--sizes: '" + item + "' is not a positive integer");
    out.push_back(v);
  }
  if (out.empty()) return Status::Error("--sizes: the list is empty");
  return out;
}

}  // namespace

int run_ablate_command(std::span<const std::string> raw) {
  MethodCommand cmd(kName, usage());
  if (auto done = cmd.parse(raw, {"layer", "score", "clusters", "budget", "random-seeds", "sizes", "data", "per-class"},
                            {"keep-only"}))
    return *done;
  const Args& args = cmd.args();
  const bool quiet = cmd.quiet();
  auto seed = args.integer("seed", 1, 0, int64_t{1} << 62);
  auto clusters = args.integer("clusters", 4, 0, 100000);
  auto budget = args.integer("budget", -1, 1, 1 << 30);
  auto seeds = args.integer("random-seeds", 5, 5, 1000);
  auto kind = parse_score_kind(args.value("score").value_or("contribution"));
  auto sizes = parse_sizes(args.value("sizes").value_or("1,2,4,8"));
  if (auto bad =
          cmd.check({seed.status(), clusters.status(), budget.status(), seeds.status(), kind.status(), sizes.status()}))
    return *bad;

  auto ctx = cmd.open_model();
  if (!ctx.ok()) return cmd.error(ctx.status().message());
  MethodContext& m = *ctx.value();
  auto node = resolve_layer(m.model.graph, args.value("layer"), false);
  if (!node.ok()) return cmd.error(node.status().message());
  std::string data_name;
  auto set = load_statistics_set(args, m, &data_name);
  if (!set.ok()) return cmd.error(set.status().message());
  auto out = OutputDir::create(*args.value("out"));
  if (!out.ok()) return cmd.error(out.status().message());

  // Category groups from the chosen score; clusters from contribution profiles.
  auto scores = category_scores(m, set.value(), node.value(), kind.value(), quiet);
  if (!scores.ok()) return cmd.error(scores.status().message());
  Tensor gamma = scores.value();
  if (kind.value() != ScoreKind::kContribution && clusters.value() > 0) {
    auto g = category_scores(m, set.value(), node.value(), ScoreKind::kContribution, quiet);
    if (!g.ok()) return cmd.error(g.status().message());
    gamma = std::move(g.value());
  }
  const CategoryGroups groups = category_groups(scores.value());
  std::vector<int32_t> cluster_ids;
  if (clusters.value() > 0) {
    NeuronClusterOptions co;
    co.clusters = std::min<int64_t>(clusters.value(), gamma.shape()[0]);
    co.seed = static_cast<uint64_t>(seed.value());
    auto nc = cluster_neurons(gamma, gamma, co);
    if (!nc.ok()) return cmd.error(nc.status().message());
    cluster_ids = nc.value().assignment;
  }
  AblationPlan plan;
  plan.budget = budget.value();
  plan.random_seeds = static_cast<int>(seeds.value());
  plan.seed = static_cast<uint64_t>(seed.value());
  plan.keep_and_remove = !args.flag("keep-only");
  auto a = run_ablation(m, set.value(), node.value(), groups, cluster_ids, plan, sizes.value(), quiet);
  if (!a.ok()) return cmd.error(a.status().message());

  OutputDir& dir = out.value();
  const auto& labels = m.model.labels;
  auto json = ablation_json(m, node.value(), a.value(), plan, data_name, set.value().size());
  json["group_score"] = score_kind_name(kind.value());
  json["clusters"] = cluster_ids;
  Status s = dir.write_json("ablation.json", json);
  std::vector<std::string> header{"scheme", "kind", "mode", "kept", "parameters_kept", "parameters_total", "overall"};
  header.insert(header.end(), labels.begin(), labels.end());
  std::vector<std::vector<std::string>> rows;
  for (const AblationOutcome& o : a.value().schemes) {
    std::vector<std::string> row{o.scheme.name, o.scheme.kind, o.scheme.keep ? "keep" : "remove", std::to_string(o.kept.size()),
                                 std::to_string(o.parameters_kept), std::to_string(o.parameters_total),
                                 csv_number(o.accuracy.overall)};
    for (double v : o.accuracy.per_class) row.push_back(csv_number(v));
    rows.push_back(row);
  }
  if (s.ok()) s = dir.write_csv("ablation.csv", header, rows);
  rows.clear();
  for (const auto& r : a.value().domination.rows)
    rows.push_back({std::to_string(r.n), labels[static_cast<size_t>(r.category)], std::to_string(r.removed),
                    csv_number(r.base_accuracy), csv_number(r.target_drop), csv_number(r.others_mean_drop),
                    csv_number(r.random_target_drop), csv_number(r.random_others_mean_drop)});
  if (s.ok() && !sizes.value().empty())
    s = dir.write_csv("domination.csv",
                      {"n", "category", "removed", "base_accuracy", "target_drop", "others_mean_drop",
                       "random_target_drop", "random_others_mean_drop"},
                      rows);
  if (!s.ok()) return cmd.error(s.message());
  if (!quiet) {
    for (const auto& sum : a.value().domination.summary)
      std::fprintf(stderr, "domination test n=%lld: target drop %.3f, others %.3f, random target %.3f, random others %.3f\n",
                   static_cast<long long>(sum.n), sum.target_drop, sum.others_mean_drop, sum.random_target_drop,
                   sum.random_others_mean_drop);
  }
  dir.print_summary(quiet);
  return 0;
}

}  // namespace nl::cli
