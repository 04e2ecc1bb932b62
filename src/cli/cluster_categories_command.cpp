// neuronlens cluster-categories: clustering over image categories (METHOD.md),
// both readings, at one layer:
//   (A) category groups of neurons, each in priority order;
//   (B) the C x C similarity of the categories' neuron-score vectors,
//       clustered agglomeratively. (B) uses plain activation by default: on
//       the clothing model, contribution vectors mostly tell apart the classes
//       a neuron separates, so similar-looking classes do not group by them,
//       while activation groups footwear and upper-body garments as METHOD.md
//       expects (figures in docs/reports/).
// Writes categories.json (fixed form: labels, similarity, order, merges; plus
// groups, per-neuron dominant category and margin, the score matrix),
// similarity.csv, neurons.csv, similarity.png (reordered by the dendrogram),
// neuron_category.png (neurons by label, then score) and dendrogram.svg.
#include <algorithm>
#include <cstdio>

#include "cli/command.h"
#include "cli/figures.h"
#include "cli/method_command.h"
#include "cli/method_runs.h"
#include "cli/output_dir.h"

namespace nl::cli {

namespace {

constexpr const char* kName = "cluster-categories";

std::string usage() {
  return std::string(
             "usage: neuronlens cluster-categories --model DIR --out DIR [options]\n"
             "  --layer NAME        the layer of neurons (default: the last conv layer)\n"
             "  --post              its values after the activation function (default: before)\n"
             "  --score KIND        (A) groups: contribution (default), activation, feature-gradient, weight-gradient\n"
             "  --similarity-score KIND  (B) category similarity: activation (default) or as --score\n"
             "  --similarity KIND   cosine (default) or pearson\n"
             "  --linkage KIND      average (default), complete, single or ward\n") +
         kDataOptionsHelp + kMethodOptionsHelp;
}

}  // namespace

int run_cluster_categories_command(std::span<const std::string> raw) {
  MethodCommand cmd(kName, usage());
  if (auto done = cmd.parse(raw, {"layer", "score", "similarity-score", "similarity", "linkage", "data", "per-class"},
                            {"post"}))
    return *done;
  const Args& args = cmd.args();
  const bool quiet = cmd.quiet();
  auto kind = parse_score_kind(args.value("score").value_or("contribution"));
  auto similarity_kind = parse_score_kind(args.value("similarity-score").value_or("activation"));
  auto similarity = parse_similarity(args.value("similarity").value_or("cosine"));
  auto linkage = parse_linkage(args.value("linkage").value_or("average"));
  if (auto bad = cmd.check({kind.status(), similarity_kind.status(), similarity.status(), linkage.status()}))
    return *bad;

  auto ctx = cmd.open_model();
  if (!ctx.ok()) return cmd.error(ctx.status().message());
  MethodContext& m = *ctx.value();
  auto node = resolve_layer(m.model.graph, args.value("layer"), args.flag("post"));
  if (!node.ok()) return cmd.error(node.status().message());
  std::string data_name;
  auto set = load_statistics_set(args, m, &data_name);
  if (!set.ok()) return cmd.error(set.status().message());
  auto out = OutputDir::create(*args.value("out"));
  if (!out.ok()) return cmd.error(out.status().message());

  auto scores = category_scores(m, set.value(), node.value(), kind.value(), quiet);
  if (!scores.ok()) return cmd.error(scores.status().message());
  auto analysis = analyse_categories(std::move(scores.value()), similarity.value(), linkage.value());
  if (!analysis.ok()) return cmd.error(analysis.status().message());
  if (similarity_kind.value() != kind.value()) {  // (B) from its own score matrix
    auto responses = category_scores(m, set.value(), node.value(), similarity_kind.value(), quiet);
    if (!responses.ok()) return cmd.error(responses.status().message());
    auto clustering = cluster_categories(responses.value(), similarity.value(), linkage.value());
    if (!clustering.ok()) return cmd.error(clustering.status().message());
    analysis.value().clustering = std::move(clustering.value());
  }
  const CategoryAnalysis& a = analysis.value();

  OutputDir& dir = out.value();
  const auto& labels = m.model.labels;
  const int64_t c = a.clustering.classes, k = a.scores.shape()[0];
  Status s = dir.write_json("categories.json", categories_json(m, node.value(), a, kind.value(), similarity_kind.value(), similarity.value(),
                                                               linkage.value(), data_name, set.value().size()));
  std::vector<std::vector<std::string>> rows;
  for (int64_t i = 0; i < c; ++i) {
    std::vector<std::string> row{labels[static_cast<size_t>(i)]};
    for (int64_t j = 0; j < c; ++j) row.push_back(csv_number(a.clustering.similarity[static_cast<size_t>(i * c + j)]));
    rows.push_back(row);
  }
  std::vector<std::string> header{"category"};
  header.insert(header.end(), labels.begin(), labels.end());
  if (s.ok()) s = dir.write_csv("similarity.csv", header, rows);
  rows.clear();
  for (int64_t n = 0; n < k; ++n) {
    const auto& d = a.domination[static_cast<size_t>(n)];
    std::vector<std::string> row{std::to_string(n), labels[static_cast<size_t>(d.category)], csv_number(d.margin)};
    for (int64_t j = 0; j < c; ++j) row.push_back(csv_number(a.scores[n * c + j]));
    rows.push_back(row);
  }
  header = {"neuron", "dominant", "margin"};
  header.insert(header.end(), labels.begin(), labels.end());
  if (s.ok()) s = dir.write_csv("neurons.csv", header, rows);
  const CategoryFigures figures = category_figures(m, a);
  if (s.ok()) s = dir.write_png("similarity.png", figures.similarity);
  if (s.ok()) s = dir.write_png("neuron_category.png", figures.neuron_category);
  if (s.ok()) s = dir.write_text("dendrogram.svg", figures.dendrogram_svg);
  if (!s.ok()) return cmd.error(s.message());
  if (!quiet) {
    std::string order;
    for (int64_t leaf : a.clustering.order) order += (order.empty() ? "" : " | ") + labels[static_cast<size_t>(leaf)];
    std::fprintf(stderr, "dendrogram order: %s\n", order.c_str());
  }
  dir.print_summary(quiet);
  return 0;
}

}  // namespace nl::cli
