// neuronlens cluster-neurons: clustering over a layer's neurons (METHOD.md):
// features per neuron (its visualization, the paper's choice; or its
// activation or contribution profile over categories), k-means (default),
// agglomerative clustering or NMF groups, silhouette scores over a range of
// k, and cluster labels by summed contribution.
// Writes clusters.json, clusters.csv, silhouette.csv, cluster_category.png
// (cluster x category summed contribution), cluster_<i>.png (the members'
// visualizations, when computed) and, for agglomerative, dendrogram.svg.
#include <algorithm>
#include <cstdio>

#include "cli/command.h"
#include "cli/figures.h"
#include "cli/method_command.h"
#include "cli/method_runs.h"
#include "cli/output_dir.h"
#include "interpret/activation.h"
#include "interpret/silhouette.h"

namespace nl::cli {

namespace {

constexpr const char* kName = "cluster-neurons";

std::string usage() {
  return std::string(
             "usage: neuronlens cluster-neurons --model DIR --out DIR [options]\n"
             "  --layer NAME        the layer (default: the last conv layer)\n"
             "  --features KIND     visualization (default), activation or contribution\n"
             "  --method KIND       kmeans (default), agglomerative or nmf\n"
             "  --k N               clusters (default 4)\n"
             "  --k-range A-B       silhouette scores of k-means for k in A..B (default 2-8)\n"
             "  --metric KIND       euclidean (default) or cosine (agglomerative, silhouette)\n"
             "  --linkage KIND      ward (default), average, complete or single (agglomerative)\n"
             "  --restarts N        k-means restarts (default 10)\n"
             "  --tiles             visualize the neurons for the cluster tiles even when not clustering\n"
             "                      by visualization\n"
             "  visualizations use the options below (default: paper preset, 256 steps)\n") +
         kVisualizeOptionsHelp + kDataOptionsHelp + kMethodOptionsHelp;
}

}  // namespace

int run_cluster_neurons_command(std::span<const std::string> raw) {
  MethodCommand cmd(kName, usage());
  if (auto done = cmd.parse(raw,
                            with_visualize_options({"layer", "features", "method", "k", "k-range", "metric", "linkage",
                                                    "restarts", "data", "per-class"}),
                            with_visualize_flags({"tiles"})))
    return *done;
  const Args& args = cmd.args();
  const bool quiet = cmd.quiet();
  auto k = args.integer("k", 4, 1, 100000);
  auto restarts = args.integer("restarts", 10, 1, 1000);
  auto seed = args.integer("seed", 1, 0, int64_t{1} << 62);
  if (auto bad = cmd.check({k.status(), restarts.status(), seed.status()})) return *bad;
  const std::string features_kind = args.value("features").value_or("visualization");
  const std::string method = args.value("method").value_or("kmeans");
  if (method != "kmeans" && method != "agglomerative" && method != "nmf")
    return cmd.usage_error("--method must be kmeans, agglomerative or nmf");
  const std::string metric_name = args.value("metric").value_or("euclidean");
  if (metric_name != "euclidean" && metric_name != "cosine")
    return cmd.usage_error("--metric must be euclidean or cosine");
  const DistanceMetric metric = metric_name == "cosine" ? DistanceMetric::kCosine : DistanceMetric::kEuclidean;
  auto linkage = parse_linkage(args.value("linkage").value_or("ward"));
  if (!linkage.ok()) return cmd.usage_error(linkage.status().message());
  long long k_lo = 2, k_hi = 8;
  if (auto r = args.value("k-range")) {
    char extra = 0;
    if (std::sscanf(r->c_str(), "%lld-%lld%c", &k_lo, &k_hi, &extra) != 2 || k_lo < 2 || k_hi < k_lo)
      return cmd.usage_error("--k-range must be A-B with 2 <= A <= B");
  }

  auto ctx = cmd.open_model();
  if (!ctx.ok()) return cmd.error(ctx.status().message());
  MethodContext& m = *ctx.value();
  Graph& g = m.model.graph;
  auto node = resolve_layer(g, args.value("layer"), false);
  if (!node.ok()) return cmd.error(node.status().message());
  const int64_t width = layer_width(g, node.value());
  if (k.value() > width)
    return cmd.error("--k " + std::to_string(k.value()) + " exceeds the layer's " + std::to_string(width) + " neurons");
  std::string data_name;
  auto set = load_statistics_set(args, m, &data_name);
  if (!set.ok()) return cmd.error(set.status().message());
  auto options = visualize_options_from(args, m, 256);
  if (!options.ok()) return cmd.usage_error(options.status().message());

  // Profiles: contribution (for the labels, always), activation after the
  // activation function (non-negative, for NMF), and visualizations when needed.
  auto gamma = category_scores(m, set.value(), node.value(), ScoreKind::kContribution, quiet);
  if (!gamma.ok()) return cmd.error(gamma.status().message());
  const int post = post_activation_node(g, node.value());
  Tensor activation;
  if (features_kind == "activation" || method == "nmf") {
    auto act = category_scores(m, set.value(), post, ScoreKind::kActivation, quiet);
    if (!act.ok()) return cmd.error(act.status().message());
    activation = std::move(act.value());
  }
  Tensor visualizations;
  const bool want_visualizations = features_kind == "visualization" || args.flag("tiles");
  if (want_visualizations) {
    std::vector<int> all(static_cast<size_t>(width));
    for (int64_t i = 0; i < width; ++i) all[static_cast<size_t>(i)] = static_cast<int>(i);
    VisualizeOptions one = options.value();
    one.images = 1;
    auto v = visualize_channels(m, node.value(), all, one, quiet, "visualize " + g.node(node.value()).name);
    if (!v.ok()) return cmd.error(v.status().message());
    visualizations = std::move(v.value());
  }
  auto features = neuron_features(features_kind, want_visualizations ? &visualizations : nullptr, activation, gamma.value());
  if (!features.ok()) return cmd.usage_error(features.status().message());

  NeuronClusterOptions co;
  co.method = method == "kmeans" ? NeuronClusterMethod::kKMeans
              : method == "nmf"  ? NeuronClusterMethod::kNmf
                                 : NeuronClusterMethod::kAgglomerative;
  co.clusters = k.value();
  co.restarts = static_cast<int>(restarts.value());
  co.seed = static_cast<uint64_t>(seed.value());
  co.linkage = linkage.value();
  co.metric = metric;
  const Tensor& used = method == "nmf" && features_kind != "visualization" && activation.elements() ? activation : features.value();
  auto clusters = cluster_neurons(used, gamma.value(), co);
  if (!clusters.ok()) return cmd.error(clusters.status().message());
  const NeuronClusters& nc = clusters.value();

  // Silhouette over k (k-means on the same standardised features).
  std::vector<float> standardized(used.data(), used.data() + used.elements());
  const int64_t d = used.elements() / width;
  standardize_columns(standardized, width, d);
  std::vector<KMeansSilhouette> silhouettes;
  const int64_t hi = std::min<int64_t>(k_hi, width - 1);
  if (hi >= k_lo) {
    KMeansOptions ko;
    ko.restarts = co.restarts;
    ko.seed = co.seed;
    auto sil = kmeans_silhouette_over_k(FeatureRows{standardized, width, d}, k_lo, hi, ko, metric, m.pool.get());
    if (!sil.ok()) return cmd.error(sil.status().message());
    silhouettes = sil.value();
  }

  auto out = OutputDir::create(*args.value("out"));
  if (!out.ok()) return cmd.error(out.status().message());
  OutputDir& dir = out.value();
  const auto& labels = m.model.labels;
  const int64_t classes = m.classes, nclusters = static_cast<int64_t>(nc.members.size());
  nlohmann::json j;
  j["model"] = m.model.name;
  j["layer"] = layer_json(g, node.value());
  j["features"] = features_kind;
  j["method"] = method;
  j["k"] = nclusters;
  j["metric"] = metric_name;
  if (method == "agglomerative") j["linkage"] = linkage_name(linkage.value());
  j["data"] = data_name;
  j["images"] = set.value().size();
  j["assignment"] = nc.assignment;
  if (want_visualizations) j["visualization"] = visualize_options_json(options.value());
  for (int64_t c = 0; c < nclusters; ++c) {
    nlohmann::json names = nlohmann::json::array();
    for (int l : nc.labels[static_cast<size_t>(c)]) names.push_back(labels[static_cast<size_t>(l)]);
    std::vector<double> scores(nc.label_scores.begin() + c * classes, nc.label_scores.begin() + (c + 1) * classes);
    j["clusters"].push_back({{"cluster", c}, {"members", nc.members[static_cast<size_t>(c)]}, {"labels", names}, {"label_scores", scores}});
  }
  for (const auto& s : silhouettes) j["silhouette"].push_back({{"k", s.clusters}, {"silhouette", s.silhouette}, {"inertia", s.inertia}});
  if (!nc.merges.empty()) j["merges"] = matrix_json(nc.merges, static_cast<int64_t>(nc.merges.size() / 4), 4);
  Status st = dir.write_json("clusters.json", j);
  std::vector<std::vector<std::string>> rows;
  for (int64_t n = 0; n < width; ++n) {
    const int32_t c = nc.assignment[static_cast<size_t>(n)];
    std::string names;
    for (int l : nc.labels[static_cast<size_t>(c)]) names += (names.empty() ? "" : "|") + labels[static_cast<size_t>(l)];
    rows.push_back({std::to_string(n), std::to_string(c), names});
  }
  if (st.ok()) st = dir.write_csv("clusters.csv", {"neuron", "cluster", "labels"}, rows);
  rows.clear();
  for (const auto& s : silhouettes) rows.push_back({std::to_string(s.clusters), csv_number(s.silhouette), csv_number(s.inertia)});
  if (st.ok()) st = dir.write_csv("silhouette.csv", {"k", "silhouette", "inertia"}, rows);
  if (st.ok()) st = dir.write_png("cluster_category.png", heatmap_image(nc.label_scores, nclusters, classes, ColorMap::kDiverging, 24));
  if (want_visualizations)
    for (int64_t c = 0; c < nclusters && st.ok(); ++c) {
      std::vector<Image> tiles;
      for (int n : nc.members[static_cast<size_t>(c)])
        tiles.push_back(upscale_nearest(visualization_picture(visualizations, n, m.transform), 3));
      if (!tiles.empty()) st = dir.write_png("cluster_" + std::to_string(c) + ".png", tile_images(tiles, 8, 3));
    }
  if (st.ok() && !nc.merges.empty()) {
    std::vector<std::string> leaf_names;
    for (int64_t n = 0; n < width; ++n) leaf_names.push_back(std::to_string(n));
    Dendrogram tree;
    tree.leaves = width;
    for (size_t r = 0; r + 3 < nc.merges.size(); r += 4)
      tree.merges.push_back({static_cast<int64_t>(nc.merges[r]), static_cast<int64_t>(nc.merges[r + 1]), nc.merges[r + 2],
                             static_cast<int64_t>(nc.merges[r + 3])});
    st = dir.write_text("dendrogram.svg", dendrogram_svg(nc.merges, dendrogram_leaf_order(tree), leaf_names,
                                                         std::max<int>(520, static_cast<int>(width) * 8), 320));
  }
  if (!st.ok()) return cmd.error(st.message());
  if (!quiet)
    for (int64_t c = 0; c < nclusters; ++c) {
      std::string names;
      for (int l : nc.labels[static_cast<size_t>(c)]) names += (names.empty() ? "" : ", ") + labels[static_cast<size_t>(l)];
      std::fprintf(stderr, "cluster %lld: %zu neurons, labelled %s\n", static_cast<long long>(c),
                   nc.members[static_cast<size_t>(c)].size(), names.c_str());
    }
  dir.print_summary(quiet);
  return 0;
}

}  // namespace nl::cli
