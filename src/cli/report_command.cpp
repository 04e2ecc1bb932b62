// neuronlens report --model DIR --out DIR: runs the whole method of
// METHOD.md on a model and writes one self-contained HTML page (images
// inlined as base64 PNG, dendrograms and labelled heatmaps as inline SVG),
// plus the JSON behind it (report.json, categories.json, ablation.json).
//
// Sections of the page, in order (and of this file):
//   1. the model and the data          5. neuron x category heatmaps, groups (A)
//   2. visualization galleries at      6. category similarity and dendrogram (B)
//      three depths                    7. focus of correct and wrong predictions,
//   3. class-logit visualizations         beside their top contributing neurons
//   4. neuron clusters as tiles        8. ablation tables and the domination test
// The analysis layer (clusters, categories, contributions, ablation) is the
// last conv layer unless --layer names another.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "cli/command.h"
#include "cli/figures.h"
#include "cli/html_report.h"
#include "cli/method_command.h"
#include "cli/method_runs.h"
#include "cli/output_dir.h"
#include "cli/progress_bar.h"
#include "interpret/contribution.h"
#include "interpret/silhouette.h"

namespace nl::cli {

namespace {

constexpr const char* kName = "report";

std::string usage() {
  return std::string(
             "usage: neuronlens report --model DIR --out DIR [options]\n"
             "  --layer NAME        the analysis layer (default: the last conv layer)\n"
             "  --gallery N         neurons shown per gallery layer (default 32; the analysis layer shows all)\n"
             "  --clusters K        neuron clusters (default 6)\n"
             "  --features KIND     cluster features: visualization (default), activation, contribution\n"
             "  --examples N        correct and wrong predictions shown (default 4 each)\n"
             "  --budget N          neurons kept by the priority, weight-norm and random ablations\n"
             "  --random-seeds N    random sets per size (default 5)\n"
             "  --sizes LIST        domination-test sizes (default 1,2,4,8,16)\n"
             "  visualizations: paper preset with 256 steps unless set below\n") +
         kVisualizeOptionsHelp + kDataOptionsHelp + kMethodOptionsHelp;
}

std::string percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * v);
  return buf;
}

std::string fixed(double v, int digits = 3) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

struct Sample {
  int64_t index = 0;
  int label = 0, predicted = 0;
  float probability = 0;
};

}  // namespace

int run_report_command(std::span<const std::string> raw) {
  const auto started = std::chrono::steady_clock::now();
  MethodCommand cmd(kName, usage());
  if (auto done = cmd.parse(raw,
                            with_visualize_options({"layer", "gallery", "clusters", "features", "examples", "budget",
                                                    "random-seeds", "sizes", "data", "per-class"}),
                            with_visualize_flags({})))
    return *done;
  const Args& args = cmd.args();
  const bool quiet = cmd.quiet();
  auto gallery = args.integer("gallery", 32, 1, 100000);
  auto nclusters = args.integer("clusters", 6, 1, 100000);
  auto examples = args.integer("examples", 4, 0, 1000);
  auto budget = args.integer("budget", -1, 1, 1 << 30);
  auto seeds = args.integer("random-seeds", 5, 5, 1000);
  auto seed = args.integer("seed", 1, 0, int64_t{1} << 62);
  if (auto bad = cmd.check(
          {gallery.status(), nclusters.status(), examples.status(), budget.status(), seeds.status(), seed.status()}))
    return *bad;
  std::vector<int64_t> sizes;
  {
    auto list = parse_index_list(args.value("sizes").value_or("1,2,4,8,16"), int64_t{1} << 30, "--sizes");
    if (!list.ok()) return cmd.usage_error(list.status().message());
    for (int v : list.value())
      if (v > 0) sizes.push_back(v);
  }
  const std::string features_kind = args.value("features").value_or("visualization");

  auto ctx = cmd.open_model();
  if (!ctx.ok()) return cmd.error(ctx.status().message());
  MethodContext& m = *ctx.value();
  Graph& g = m.model.graph;
  const auto& labels = m.model.labels;
  auto options = visualize_options_from(args, m, 256);
  if (!options.ok()) return cmd.usage_error(options.status().message());
  options.value().images = 1;
  const VisualizeOptions& vo = options.value();
  auto layer_result = resolve_layer(g, args.value("layer"), false);
  if (!layer_result.ok()) return cmd.error(layer_result.status().message());
  const int layer = layer_result.value();
  std::vector<int> depths = three_depths(g);
  if (std::find(depths.begin(), depths.end(), layer) == depths.end()) depths.push_back(layer);
  std::string data_name;
  auto set_result = load_statistics_set(args, m, &data_name);
  if (!set_result.ok()) return cmd.error(set_result.status().message());
  const ImageSet& set = set_result.value();
  auto out = OutputDir::create(*args.value("out"));
  if (!out.ok()) return cmd.error(out.status().message());
  OutputDir& dir = out.value();
  const int64_t width = layer_width(g, layer);

  // ---- predictions on the set --------------------------------------------
  std::vector<Sample> samples;
  {
    ProgressBar bar("predictions", set.size(), quiet);
    for (int64_t begin = 0; begin < set.size(); begin += kSweepBatch) {
      const int64_t end = std::min(set.size(), begin + kSweepBatch);
      const Status st = m.ex->forward_until(set.batch(begin, end), m.logits);
      if (!st.ok()) return cmd.error(st.message());
      const Tensor& y = m.ex->value(m.logits);
      for (int64_t b = 0; b < end - begin; ++b) {
        const float* row = y.data() + b * m.classes;
        const int pred = static_cast<int>(std::max_element(row, row + m.classes) - row);
        double sum = 0;
        for (int c = 0; c < m.classes; ++c) sum += std::exp(static_cast<double>(row[c] - row[pred]));
        samples.push_back({begin + b, set.labels[static_cast<size_t>(begin + b)], pred, static_cast<float>(1.0 / sum)});
      }
      bar.update(end);
    }
    bar.finish();
  }
  int64_t correct = 0;
  for (const auto& s : samples) correct += s.label == s.predicted;
  const double accuracy = static_cast<double>(correct) / static_cast<double>(std::max<int64_t>(1, set.size()));

  // ---- visualizations: galleries, the analysis layer in full, class logits --
  std::map<int, Tensor> gallery_images;
  std::map<int, std::vector<int>> gallery_channels;
  for (int d : depths) {
    const int64_t k = layer_width(g, d);
    const int64_t shown = d == layer ? k : std::min<int64_t>(k, gallery.value());
    std::vector<int> channels;
    for (int64_t i = 0; i < shown; ++i) channels.push_back(static_cast<int>(i));
    auto v = visualize_channels(m, d, channels, vo, quiet, "visualize " + g.node(d).name);
    if (!v.ok()) return cmd.error(v.status().message());
    gallery_images[d] = std::move(v.value());
    gallery_channels[d] = channels;
  }
  std::vector<int> all_classes;
  for (int c = 0; c < m.classes; ++c) all_classes.push_back(c);
  auto class_images = visualize_classes(m, all_classes, vo, quiet);
  if (!class_images.ok()) return cmd.error(class_images.status().message());
  // With the paper's settings, the class logits are also shown with the modern
  // ones (Fourier parameterisation, Adam, transformation robustness).
  const bool paper_preset = args.value("preset").value_or("paper") == "paper";
  VisualizeOptions modern_options;
  Tensor modern_class_images;
  if (paper_preset) {
    std::vector<std::string> modern_args{"--preset", "modern", "--steps", std::to_string(vo.steps), "--seed", std::to_string(vo.seed)};
    auto modern = visualize_options_from(Args::parse(modern_args, kVisualizeValuedOptions, {}).value(), m, vo.steps);
    if (!modern.ok()) return cmd.error(modern.status().message());
    modern_options = modern.value();
    auto images = visualize_classes(m, all_classes, modern_options, quiet);
    if (!images.ok()) return cmd.error(images.status().message());
    modern_class_images = std::move(images.value());
  }
  const Tensor& layer_images = gallery_images[layer];
  auto neuron_picture = [&](int neuron, int scale) {
    return upscale_nearest(visualization_picture(layer_images, neuron, m.transform), scale);
  };

  // ---- scores, categories, clusters -----------------------------------------
  auto gamma = category_scores(m, set, layer, ScoreKind::kContribution, quiet);
  if (!gamma.ok()) return cmd.error(gamma.status().message());
  auto act = category_scores(m, set, layer, ScoreKind::kActivation, quiet);
  if (!act.ok()) return cmd.error(act.status().message());
  auto cats = analyse_categories(gamma.value(), SimilarityKind::kCosine, Linkage::kAverage);
  if (!cats.ok()) return cmd.error(cats.status().message());
  const CategoryAnalysis& ca = cats.value();
  const CategoryFigures cfig = category_figures(m, ca);
  auto act_cats = analyse_categories(act.value(), SimilarityKind::kCosine, Linkage::kAverage);
  if (!act_cats.ok()) return cmd.error(act_cats.status().message());
  const CategoryFigures act_fig = category_figures(m, act_cats.value());

  auto features = neuron_features(features_kind, &layer_images, act.value(), gamma.value());
  if (!features.ok()) return cmd.usage_error(features.status().message());
  NeuronClusterOptions co;
  co.clusters = std::min<int64_t>(nclusters.value(), width);
  co.seed = static_cast<uint64_t>(seed.value());
  auto clusters = cluster_neurons(features.value(), gamma.value(), co);
  if (!clusters.ok()) return cmd.error(clusters.status().message());
  const NeuronClusters& nc = clusters.value();
  std::vector<KMeansSilhouette> silhouettes;
  {
    std::vector<float> standardized(features.value().data(), features.value().data() + features.value().elements());
    const int64_t d = features.value().elements() / width;
    standardize_columns(standardized, width, d);
    KMeansOptions ko;
    ko.seed = co.seed;
    const int64_t hi = std::min<int64_t>(10, width - 1);
    if (hi >= 2) {
      auto sil = kmeans_silhouette_over_k(FeatureRows{standardized, width, d}, 2, hi, ko, DistanceMetric::kEuclidean,
                                          m.pool.get());
      if (sil.ok()) silhouettes = sil.value();
    }
  }

  // ---- ablation and the domination test ---------------------------------------
  AblationPlan plan;
  plan.budget = budget.value();
  plan.random_seeds = static_cast<int>(seeds.value());
  plan.seed = static_cast<uint64_t>(seed.value());
  auto ablation = run_ablation(m, set, layer, ca.groups, nc.assignment, plan, sizes, quiet);
  if (!ablation.ok()) return cmd.error(ablation.status().message());
  const AblationAnalysis& ab = ablation.value();

  // ---- the page ----------------------------------------------------------------
  HtmlReport html("NeuronLens report: " + m.model.name);
  Status st;
  auto check = [&](const Status& s) {
    if (st.ok() && !s.ok()) st = s;
  };
  html.heading(1, "What the neurons of " + m.model.name + " learn");
  html.paragraph("A reproduction of the figures and analyses of <i>What do CNN neurons learn: Visualization &amp; "
                 "Clustering</i> (H. Dai, 2020) on this model, as defined in the project's METHOD.md, written by "
                 "<code>neuronlens report</code>.");
  // 1. model and data
  html.heading(2, "1. The model and the data", "model");
  {
    std::string layers;
    for (int id : neuron_layers(g)) layers += (layers.empty() ? "" : ", ") + g.node(id).name + " (" + std::to_string(layer_width(g, id)) + ")";
    std::vector<std::vector<std::string>> rows = {
        {"model", m.model.name},
        {"input", g.node(0).shape.str()},
        {"classes", std::to_string(m.classes)},
        {"layers of neurons", layers},
        {"analysis layer", g.node(layer).name + " (" + std::to_string(width) + " neurons, pre-activation)"},
        {"images", std::to_string(set.size()) + " from " + data_name + " (" + args.value("per-class").value_or("100") + " per class)"},
        {"accuracy on these images", percent(accuracy)},
        {"visualization", std::string(vo.parameterization == VisualizeOptions::Parameterization::kFourier ? "Fourier, " : "pixels, ") +
                              (vo.optimizer == VisualizeOptions::Optimizer::kAdam ? "Adam" : "gradient") + ", lr " +
                              fixed(vo.learning_rate, 3) + ", " + std::to_string(vo.steps) + " steps, blur " + fixed(vo.blur_sigma, 2) +
                              ", seed " + std::to_string(vo.seed)},
    };
    if (!m.model.description.empty()) rows.insert(rows.begin() + 1, {"description", m.model.description});
    html.table({"", ""}, rows, "", "info");
  }
  // 2. galleries
  html.heading(2, "2. Visualizations at three depths", "galleries");
  html.paragraph("Each image maximises the mean of one channel's map (pre-activation) by gradient ascent on the pixels, "
                 "from the same start; shown clipped to mean &plusmn; 5 std. Deeper layers respond to larger, more "
                 "class-like patterns.");
  for (int d : depths) {
    html.heading(3, g.node(d).name + ": " + std::to_string(gallery_channels[d].size()) + " of " +
                        std::to_string(layer_width(g, d)) + " neurons");
    html.begin_row();
    for (size_t i = 0; i < gallery_channels[d].size(); ++i)
      check(html.image(upscale_nearest(visualization_picture(gallery_images[d], static_cast<int64_t>(i), m.transform), 3),
                       std::to_string(gallery_channels[d][i]), 0, g.node(d).name + " neuron " + std::to_string(gallery_channels[d][i])));
    html.end_row();
  }
  // 3. class logits
  html.heading(2, "3. Class-logit visualizations", "classes");
  html.paragraph(std::string("Each image maximises one class logit (pre-softmax)") +
                 (paper_preset ? ": first with the paper's settings (as the galleries), then with the modern ones: a "
                                 "decorrelated Fourier parameterisation, Adam (lr 0.05), a noise start, and random "
                                 "jitter, scale and rotation every step."
                               : "."));
  html.begin_row();
  for (int c = 0; c < m.classes; ++c)
    check(html.image(upscale_nearest(visualization_picture(class_images.value(), c, m.transform), 4), labels[static_cast<size_t>(c)]));
  html.end_row();
  if (paper_preset) {
    html.begin_row();
    for (int c = 0; c < m.classes; ++c)
      check(html.image(upscale_nearest(visualization_picture(modern_class_images, c, m.transform), 4),
                       labels[static_cast<size_t>(c)] + " (modern)"));
    html.end_row();
  }
  // 4. clusters
  html.heading(2, "4. Clusters of " + g.node(layer).name + "'s neurons", "clusters");
  html.paragraph("k-means (k-means++ start, 10 restarts) over each neuron's " + escape_html(features_kind) +
                 (features_kind == "visualization" ? " image (flattened, standardised pixels, the paper's choice)" : " profile") +
                 "; each cluster is labelled with the category whose summed contribution over its members is largest "
                 "(plus any within 10% of it).");
  html.begin_row();
  for (size_t c = 0; c < nc.members.size(); ++c) {
    std::string names;
    for (int l : nc.labels[c]) names += (names.empty() ? "" : ", ") + labels[static_cast<size_t>(l)];
    html.begin_figure("cluster");
    html.raw("<b>cluster " + std::to_string(c) + "</b>: " + escape_html(names) + " (" + std::to_string(nc.members[c].size()) + " neurons)<br>");
    std::vector<Image> tiles;
    for (int n : nc.members[c]) tiles.push_back(neuron_picture(n, 2));
    if (!tiles.empty()) check(html.image(tile_images(tiles, 6, 2)));
    html.end_figure();
  }
  html.end_row();
  {
    std::vector<std::vector<std::string>> rows;
    for (const auto& s : silhouettes) rows.push_back({std::to_string(s.clusters), fixed(s.silhouette), fixed(s.inertia, 1)});
    html.begin_row();
    html.begin_figure();
    std::vector<std::string> cluster_names;
    for (size_t c = 0; c < nc.members.size(); ++c) cluster_names.push_back("cluster " + std::to_string(c));
    MatrixSvgOptions so;
    so.map = ColorMap::kDiverging;
    so.cell_width = 44;
    so.cell_height = 22;
    html.raw(matrix_svg(nc.label_scores, static_cast<int64_t>(nc.members.size()), m.classes, cluster_names, labels, so));
    html.end_figure("clusters x categories: summed contribution of the members");
    html.begin_figure();
    html.table({"k", "silhouette", "inertia"}, rows, "Silhouette of k-means over k");
    html.end_figure();
    html.end_row();
  }
  // 5. neuron x category
  html.heading(2, "5. Neurons x categories at " + g.node(layer).name, "heatmaps");
  html.paragraph("Rows: categories in dendrogram order (section 6); columns: neurons grouped by their dominant category "
                 "in that order, then by score; each neuron scaled by its largest |score| (blue negative, red positive).");
  html.begin_row();
  html.begin_figure();
  html.raw(cfig.neuron_category_svg);
  html.end_figure("contribution gamma (gradient x activation of the class logit, mean over the class's images)");
  html.begin_figure();
  html.raw(act_fig.neuron_category_svg);
  html.end_figure("activation Act (mean response over the class's images), ordered by its own dendrogram and groups");
  html.end_row();
  {
    std::vector<std::vector<std::string>> rows;
    for (size_t c = 0; c < ca.groups.members.size(); ++c) {
      std::string top;
      for (size_t i = 0; i < std::min<size_t>(8, ca.groups.members[c].size()); ++i)
        top += (i ? ", " : "") + std::to_string(ca.groups.members[c][i]);
      rows.push_back({labels[c], std::to_string(ca.groups.members[c].size()), top});
    }
    html.table({"category", "group size", "neurons in priority order (first 8)"}, rows,
               "(A) Category groups: each neuron joins its dominant category by contribution");
  }
  // 6. similarity: (B) by activation (the default, as in cluster-categories), then by contribution
  html.heading(2, "6. Category similarity and dendrogram", "categories");
  auto leaf_order = [&](const CategoryClustering& cl) {
    std::string text;
    for (int64_t leaf : cl.order) text += (text.empty() ? "" : " | ") + labels[static_cast<size_t>(leaf)];
    return text;
  };
  const CategoryClustering& act_clustering = act_cats.value().clustering;
  const std::string order_text = leaf_order(act_clustering);
  const struct {
    const CategoryClustering& clustering;
    const CategoryFigures& figures;
    const char* what;
  } similarity_views[] = {{act_clustering, act_fig, "activations Act"}, {ca.clustering, cfig, "contributions gamma"}};
  for (const auto& view : similarity_views) {
    html.paragraph("(B) Each category is the vector of its neurons' " + std::string(view.what) + " at " +
                   escape_html(g.node(layer).name) + "; cosine similarity, average linkage on 1 - similarity. Leaf order: <b>" +
                   escape_html(leaf_order(view.clustering)) + "</b>.");
    html.begin_row();
    html.begin_figure();
    html.raw(labelled_heatmap_svg(view.clustering.similarity, view.clustering.classes, view.clustering.order, labels, -1, 1));
    html.end_figure(std::string("similarity by ") + view.what + ", rows and columns in dendrogram order");
    html.begin_figure();
    html.raw(view.figures.dendrogram_svg);
    html.end_figure("dendrogram (merge height = 1 - similarity)");
    html.end_row();
  }
  // 7. focus
  html.heading(2, "7. Focus of correct and wrong predictions", "focus");
  html.paragraph("For each image: the picture, Grad-CAM at " + escape_html(g.node(layer).name) +
                 " and gradient saliency for the predicted class, then the three neurons of " + escape_html(g.node(layer).name) +
                 " with the largest contribution (gradient x activation) to that prediction, with their share.");
  for (int want_correct = 1; want_correct >= 0; --want_correct) {
    html.heading(3, want_correct ? "Correct" : "Wrong");
    int64_t shown = 0;
    for (const Sample& s : samples) {
      if ((s.label == s.predicted) != (want_correct == 1) || shown >= examples.value()) continue;
      ++shown;
      const Tensor input = set.batch(s.index, s.index + 1);
      const Image picture = picture_of(set.images, s.index, m.model.preprocessing);
      OcclusionOptions occ;
      auto maps = compute_focus(m, input, layer, s.predicted, {"gradcam", "saliency"}, occ);
      if (!maps.ok()) return cmd.error(maps.status().message());
      ContributionOptions contribution_options;
      contribution_options.logits = m.logits;
      auto c = contributions(*m.ex, input, layer, {s.predicted}, contribution_options);
      if (!c.ok()) return cmd.error(c.status().message());
      const std::vector<float> shares = contribution_shares(c.value().data(), width);
      std::vector<int> order(static_cast<size_t>(width));
      for (int64_t i = 0; i < width; ++i) order[static_cast<size_t>(i)] = static_cast<int>(i);
      std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return c.value()[a] > c.value()[b]; });
      html.begin_row();
      html.begin_figure();
      check(html.image(upscale_nearest(picture, 4), labels[static_cast<size_t>(s.label)] + " -> " +
                                                         labels[static_cast<size_t>(s.predicted)] + " (" + percent(s.probability) + ")"));
      for (const auto& fm : maps.value()) check(html.image(focus_overlay(picture, fm.map, 4), fm.method));
      for (int i = 0; i < 3 && i < width; ++i) {
        const int n = order[static_cast<size_t>(i)];
        check(html.image(neuron_picture(n, 4), "neuron " + std::to_string(n) + ", share " + percent(shares[static_cast<size_t>(n)])));
      }
      html.end_figure();
      html.end_row();
    }
    if (shown == 0) html.paragraph("(none among these images)");
  }
  // 8. ablation
  html.heading(2, "8. Ablation at " + g.node(layer).name, "ablation");
  html.paragraph("Neurons are removed by zeroing their output channel (weights and bias), with no retraining. "
                 "The random scheme is the mean (&plusmn; std) over " + std::to_string(plan.random_seeds) + " random sets.");
  {
    std::vector<std::string> header{"scheme", "kept", "params kept", "overall"};
    header.insert(header.end(), labels.begin(), labels.end());
    std::vector<std::vector<std::string>> rows;
    for (const AblationOutcome& o : ab.schemes) {
      std::string overall = percent(o.accuracy.overall);
      if (!o.scheme.seeds.empty()) overall += " ± " + percent(o.overall_std);
      std::vector<std::string> row{o.scheme.name, std::to_string(o.kept.size()),
                                   percent(static_cast<double>(o.parameters_kept) / static_cast<double>(std::max<int64_t>(1, o.parameters_total))),
                                   overall};
      for (double v : o.accuracy.per_class) row.push_back(percent(v));
      rows.push_back(row);
    }
    html.table(header, rows, "Accuracy per scheme (per class, on the report's images)");
  }
  if (!sizes.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& s : ab.domination.summary)
      rows.push_back({std::to_string(s.n), percent(s.target_drop), percent(s.others_mean_drop), percent(s.random_target_drop),
                      percent(s.random_others_mean_drop)});
    html.table({"n removed", "drop of class c", "mean drop of the others", "drop of c, random sets", "others, random sets"},
               rows, "Domination test: remove the top n of category c's group, averaged over the categories");
    std::vector<std::vector<std::string>> per_class;
    const int64_t last = sizes.back();
    for (const auto& r : ab.domination.rows)
      if (r.n == last)
        per_class.push_back({labels[static_cast<size_t>(r.category)], std::to_string(r.removed), percent(r.base_accuracy),
                             percent(r.target_drop), percent(r.others_mean_drop), percent(r.random_target_drop)});
    html.table({"category c", "removed", "accuracy of c", "drop of c", "others' mean drop", "drop of c, random"}, per_class,
               "Domination test per category, n = " + std::to_string(last));
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  html.paragraph("<small>Generated in " + fixed(seconds, 0) + " s by <code>neuronlens report</code>, seed " +
                 std::to_string(seed.value()) + ".</small>");
  if (!st.ok()) return cmd.error(st.message());

  // ---- files ----------------------------------------------------------------------
  nlohmann::json summary;
  summary["model"] = m.model.name;
  summary["layer"] = layer_json(g, layer);
  summary["data"] = data_name;
  summary["images"] = set.size();
  summary["accuracy"] = accuracy;
  summary["category_order"] = nlohmann::json::array();
  for (int64_t leaf : act_clustering.order) summary["category_order"].push_back(labels[static_cast<size_t>(leaf)]);
  summary["category_order_by_contribution"] = nlohmann::json::array();
  for (int64_t leaf : ca.clustering.order)
    summary["category_order_by_contribution"].push_back(labels[static_cast<size_t>(leaf)]);
  for (size_t c = 0; c < nc.members.size(); ++c) {
    nlohmann::json names = nlohmann::json::array();
    for (int l : nc.labels[c]) names.push_back(labels[static_cast<size_t>(l)]);
    summary["clusters"].push_back({{"members", nc.members[c]}, {"labels", names}});
  }
  for (const auto& s : ab.domination.summary)
    summary["domination_test"].push_back({{"n", s.n}, {"target_drop", s.target_drop}, {"others_mean_drop", s.others_mean_drop},
                                          {"random_target_drop", s.random_target_drop},
                                          {"random_others_mean_drop", s.random_others_mean_drop}});
  summary["visualization"] = visualize_options_json(vo);
  summary["seconds"] = seconds;
  st = dir.write_text("report.html", html.finish());
  if (st.ok()) st = dir.write_json("report.json", summary);
  if (st.ok()) {  // as cluster-categories writes it by default: (A) by contribution, (B) by activation
    CategoryAnalysis written = ca;
    written.clustering = act_clustering;
    st = dir.write_json("categories.json", categories_json(m, layer, written, ScoreKind::kContribution, ScoreKind::kActivation,
                                                           SimilarityKind::kCosine, Linkage::kAverage, data_name, set.size()));
  }
  if (st.ok()) st = dir.write_json("ablation.json", ablation_json(m, layer, ab, plan, data_name, set.size()));
  if (!st.ok()) return cmd.error(st.message());
  if (!quiet) std::fprintf(stderr, "accuracy %s on %lld images; category order: %s\n", percent(accuracy).c_str(),
                           static_cast<long long>(set.size()), order_text.c_str());
  dir.print_summary(quiet);
  return 0;
}

}  // namespace nl::cli
