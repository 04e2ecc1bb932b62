// The method's computations for the CLI; see method_runs.h.
#include "cli/method_runs.h"

#include <algorithm>
#include <cmath>

#include "cli/figures.h"
#include "cli/progress_bar.h"
#include "interpret/activation.h"
#include "interpret/contribution.h"

namespace nl::cli {

// ---- category scores ------------------------------------------------------

Result<ScoreKind> parse_score_kind(const std::string& t) {
  if (t == "contribution") return ScoreKind::kContribution;
  if (t == "activation") return ScoreKind::kActivation;
  if (t == "feature-gradient") return ScoreKind::kFeatureGradient;
  if (t == "weight-gradient") return ScoreKind::kWeightGradient;
  return Status::Error("--score must be contribution, activation, feature-gradient or weight-gradient, got '" + t + "'");
}

const char* score_kind_name(ScoreKind k) {
  switch (k) {
    case ScoreKind::kContribution: return "contribution";
    case ScoreKind::kActivation: return "activation";
    case ScoreKind::kFeatureGradient: return "feature-gradient";
    case ScoreKind::kWeightGradient: return "weight-gradient";
  }
  return "?";
}

Result<Tensor> category_scores(MethodContext& ctx, const ImageSet& set, int node, ScoreKind kind, bool quiet) {
  const int classes = ctx.classes;
  const int64_t k = layer_width(ctx.model.graph, node);
  if (kind == ScoreKind::kWeightGradient) {
    auto producer = ctx.model.graph.node(node).op->type();
    if (producer != "Conv2D" && producer != "Dense")
      return Status::Error("the weight-gradient score needs a Conv2D or Dense layer (pre-activation), not " + producer);
  }
  // Means per class are combined over chunks weighted by each chunk's class counts.
  std::vector<double> sum(static_cast<size_t>(k * classes), 0.0);
  std::vector<int64_t> count(static_cast<size_t>(classes), 0);
  const int64_t chunk = kind == ScoreKind::kWeightGradient ? 16 : 128;
  ProgressBar bar(std::string(score_kind_name(kind)) + " at " + ctx.model.graph.node(node).name, set.size(), quiet);
  for (int64_t begin = 0; begin < set.size(); begin += chunk) {
    const int64_t end = std::min(set.size(), begin + chunk);
    ImageSet part;
    part.images = set.batch(begin, end);
    part.labels.assign(set.labels.begin() + begin, set.labels.begin() + end);
    std::vector<int64_t> part_count(static_cast<size_t>(classes), 0);
    for (int c : part.labels)
      if (c >= 0 && c < classes) ++part_count[static_cast<size_t>(c)];
    Result<Tensor> scores = Status::Error("");
    if (kind == ScoreKind::kActivation) {
      scores = category_activation(*ctx.ex, part, node, classes, Reduction::kSum);
    } else {
      ContributionOptions o;
      o.score = kind == ScoreKind::kContribution      ? ContributionScore::kGradientTimesActivation
                : kind == ScoreKind::kFeatureGradient ? ContributionScore::kFeatureMapGradient
                                                      : ContributionScore::kWeightGradient;
      o.logits = ctx.logits;
      scores = category_contributions(*ctx.ex, part, node, classes, o);
    }
    if (!scores.ok()) return scores.status();
    for (int64_t j = 0; j < k; ++j)
      for (int c = 0; c < classes; ++c)
        sum[static_cast<size_t>(j * classes + c)] +=
            static_cast<double>(scores.value()[j * classes + c]) * static_cast<double>(part_count[static_cast<size_t>(c)]);
    for (int c = 0; c < classes; ++c) count[static_cast<size_t>(c)] += part_count[static_cast<size_t>(c)];
    bar.update(end);
  }
  bar.finish();
  Tensor out(Shape{k, classes});
  for (int64_t j = 0; j < k; ++j)
    for (int c = 0; c < classes; ++c)
      if (count[static_cast<size_t>(c)])
        out[j * classes + c] = static_cast<float>(sum[static_cast<size_t>(j * classes + c)] / static_cast<double>(count[static_cast<size_t>(c)]));
  return out;
}

// ---- category clustering --------------------------------------------------

Result<SimilarityKind> parse_similarity(const std::string& t) {
  if (t == "cosine") return SimilarityKind::kCosine;
  if (t == "pearson") return SimilarityKind::kPearson;
  return Status::Error("--similarity must be cosine or pearson, got '" + t + "'");
}

Result<Linkage> parse_linkage(const std::string& t) {
  for (Linkage l : {Linkage::kAverage, Linkage::kComplete, Linkage::kSingle, Linkage::kWard})
    if (t == linkage_name(l)) return l;
  return Status::Error("--linkage must be average, complete, single or ward, got '" + t + "'");
}

Result<CategoryAnalysis> analyse_categories(Tensor scores, SimilarityKind similarity, Linkage linkage) {
  CategoryAnalysis a;
  a.scores = std::move(scores);
  a.groups = category_groups(a.scores);
  a.domination = dominant_categories(a.scores);
  auto clustering = cluster_categories(a.scores, similarity, linkage);
  if (!clustering.ok()) return clustering.status();
  a.clustering = std::move(clustering.value());
  return a;
}

nlohmann::json categories_json(const MethodContext& ctx, int node, const CategoryAnalysis& a, ScoreKind kind,
                               ScoreKind similarity_score, SimilarityKind similarity, Linkage linkage, const std::string& data_name, int64_t images) {
  using json = nlohmann::json;
  const int64_t c = a.clustering.classes;
  const auto& labels = ctx.model.labels;
  json j;
  j["labels"] = labels;
  j["similarity"] = matrix_json(a.clustering.similarity, c, c);
  json order = json::array(), order_index = json::array();
  for (int64_t leaf : a.clustering.order) {
    order.push_back(labels[static_cast<size_t>(leaf)]);
    order_index.push_back(leaf);
  }
  j["order"] = order;
  j["order_indices"] = order_index;
  json merges = json::array();
  for (size_t r = 0; r + 3 < a.clustering.merges.size(); r += 4)
    merges.push_back({static_cast<int64_t>(a.clustering.merges[r]), static_cast<int64_t>(a.clustering.merges[r + 1]),
                      a.clustering.merges[r + 2], static_cast<int64_t>(a.clustering.merges[r + 3])});
  j["merges"] = merges;
  j["model"] = ctx.model.name;
  j["layer"] = layer_json(ctx.model.graph, node);
  j["score"] = score_kind_name(kind);
  j["similarity_score"] = score_kind_name(similarity_score);
  j["similarity_kind"] = similarity == SimilarityKind::kCosine ? "cosine" : "pearson";
  j["linkage"] = linkage_name(linkage);
  j["distance"] = "1 - similarity";
  j["data"] = data_name;
  j["images"] = images;
  json groups = json::array();
  for (size_t cat = 0; cat < a.groups.members.size(); ++cat) {
    json scores = json::array();
    for (int n : a.groups.members[cat]) scores.push_back(a.scores[static_cast<int64_t>(n) * c + static_cast<int64_t>(cat)]);
    groups.push_back({{"category", labels[cat]}, {"neurons", a.groups.members[cat]}, {"scores", scores}});
  }
  j["groups"] = groups;
  json neurons = json::array();
  for (size_t n = 0; n < a.domination.size(); ++n)
    neurons.push_back({{"neuron", n},
                       {"dominant", labels[static_cast<size_t>(a.domination[n].category)]},
                       {"margin", a.domination[n].margin}});
  j["neurons"] = neurons;
  j["scores"] = tensor_rows_json(a.scores);
  return j;
}

CategoryFigures category_figures(const MethodContext& ctx, const CategoryAnalysis& a) {
  CategoryFigures f;
  const int64_t c = a.clustering.classes, k = a.scores.shape()[0];
  const auto& order = a.clustering.order;
  std::vector<double> reordered(static_cast<size_t>(c * c));
  for (int64_t i = 0; i < c; ++i)
    for (int64_t j = 0; j < c; ++j)
      reordered[static_cast<size_t>(i * c + j)] =
          a.clustering.similarity[static_cast<size_t>(order[static_cast<size_t>(i)] * c + order[static_cast<size_t>(j)])];
  f.similarity = heatmap_image(reordered, c, c, ColorMap::kViridis, 24);
  for (int64_t leaf : order)
    for (int n : a.groups.members[static_cast<size_t>(leaf)]) f.neuron_order.push_back(n);
  // Rows: categories in dendrogram order; columns: neurons in neuron_order.
  std::vector<double> cells(static_cast<size_t>(c * k));
  for (int64_t col = 0; col < k; ++col) {
    const int n = f.neuron_order[static_cast<size_t>(col)];
    double m = 0;
    for (int64_t j = 0; j < c; ++j) m = std::max(m, std::fabs(static_cast<double>(a.scores[n * c + j])));
    for (int64_t r = 0; r < c; ++r)
      cells[static_cast<size_t>(r * k + col)] = m > 0 ? a.scores[n * c + order[static_cast<size_t>(r)]] / m : 0.0;
  }
  f.neuron_category = heatmap_image(cells, c, k, ColorMap::kDiverging, k > 96 ? 6 : 12, -1, 1);
  std::vector<std::string> row_names;
  for (int64_t leaf : order) row_names.push_back(ctx.model.labels[static_cast<size_t>(leaf)]);
  MatrixSvgOptions so;
  so.map = ColorMap::kDiverging;
  so.lo = -1;
  so.hi = 1;
  so.cell_width = k > 96 ? 5 : 10;
  so.cell_height = 16;
  so.show_values = false;
  f.neuron_category_svg = matrix_svg(cells, c, k, row_names, {}, so);
  f.dendrogram_svg = dendrogram_svg(a.clustering.merges, order, ctx.model.labels, 520, 300);
  return f;
}

// ---- neuron clustering ------------------------------------------------------

Result<Tensor> neuron_features(const std::string& kind, const Tensor* visualizations, const Tensor& activation,
                               const Tensor& contribution) {
  if (kind == "activation") return activation;
  if (kind == "contribution") return contribution;
  if (kind == "visualization") {
    if (!visualizations) return Status::Error("visualization features need the neurons' visualizations");
    const int64_t k = visualizations->shape()[0], d = visualizations->elements() / k;
    Tensor f(Shape{k, d});
    // Each image standardised on its own (METHOD.md: flattened, standardised pixels).
    for (int64_t i = 0; i < k; ++i) {
      double sum = 0, sq = 0;
      for (int64_t p = 0; p < d; ++p) sum += (*visualizations)[i * d + p];
      const double mean = sum / static_cast<double>(d);
      for (int64_t p = 0; p < d; ++p) sq += ((*visualizations)[i * d + p] - mean) * ((*visualizations)[i * d + p] - mean);
      const double sd = std::sqrt(sq / static_cast<double>(d));
      for (int64_t p = 0; p < d; ++p)
        f[i * d + p] = sd > 1e-12 ? static_cast<float>(((*visualizations)[i * d + p] - mean) / sd) : 0.0f;
    }
    return f;
  }
  return Status::Error("--features must be visualization, activation or contribution, got '" + kind + "'");
}

// ---- ablation ---------------------------------------------------------------

Result<AblationAnalysis> run_ablation(MethodContext& ctx, const ImageSet& set, int node, const CategoryGroups& groups,
                                      const std::vector<int32_t>& clusters, const AblationPlan& plan,
                                      const std::vector<int64_t>& sizes, bool quiet) {
  AblationAnalysis a;
  a.sizes = sizes;
  Graph& g = ctx.model.graph;
  auto norms = channel_weight_norms(g, node);
  if (!norms.ok()) return norms.status();
  const auto schemes =
      standard_ablation_schemes(layer_width(g, node), clusters, groups, ctx.model.labels, norms.value(), plan);
  {
    ProgressBar bar("ablation schemes", 1, quiet);
    auto outcomes = run_ablation_schemes(*ctx.ex, set, ctx.classes, node, schemes, std::ref(bar));
    if (!outcomes.ok()) return outcomes.status();
    bar.finish();
    a.schemes = std::move(outcomes.value());
  }
  if (!sizes.empty()) {
    ProgressBar bar("domination test", 1, quiet);
    auto test = domination_test(*ctx.ex, set, ctx.classes, node, groups, sizes, plan.random_seeds, plan.seed, std::ref(bar));
    if (!test.ok()) return test.status();
    bar.finish();
    a.domination = std::move(test.value());
  }
  return a;
}

nlohmann::json ablation_json(const MethodContext& ctx, int node, const AblationAnalysis& a, const AblationPlan& plan,
                             const std::string& data_name, int64_t images) {
  using json = nlohmann::json;
  const auto& labels = ctx.model.labels;
  json j;
  j["model"] = ctx.model.name;
  j["labels"] = labels;
  j["layer"] = layer_json(ctx.model.graph, node);
  j["data"] = data_name;
  j["images"] = images;
  j["random_seeds"] = plan.random_seeds;
  j["seed"] = plan.seed;
  json schemes = json::array();
  for (const AblationOutcome& o : a.schemes) {
    json s;
    s["name"] = o.scheme.name;
    s["kind"] = o.scheme.kind;
    s["mode"] = o.scheme.keep ? "keep" : "remove";
    s["chosen"] = o.scheme.chosen;
    s["kept"] = o.kept;
    s["kept_count"] = o.kept.size();
    s["parameters_kept"] = o.parameters_kept;
    s["parameters_total"] = o.parameters_total;
    s["overall"] = o.accuracy.overall;
    s["per_class"] = o.accuracy.per_class;
    if (!o.scheme.seeds.empty()) {
      s["seeds"] = o.scheme.seeds;
      json runs = json::array();
      for (const auto& r : o.per_seed) runs.push_back(accuracy_json(r));
      s["per_seed"] = runs;
      s["overall_std"] = o.overall_std;
    }
    schemes.push_back(s);
  }
  j["schemes"] = schemes;
  if (!a.sizes.empty()) {
    const DominationTest& t = a.domination;
    json d;
    d["sizes"] = a.sizes;
    d["baseline"] = accuracy_json(t.baseline);
    d["random_seeds"] = t.random_seeds;
    json summary = json::array();
    for (const auto& s : t.summary)
      summary.push_back({{"n", s.n},
                         {"target_drop", s.target_drop},
                         {"others_mean_drop", s.others_mean_drop},
                         {"random_target_drop", s.random_target_drop},
                         {"random_others_mean_drop", s.random_others_mean_drop},
                         {"categories", s.categories}});
    d["summary"] = summary;
    json rows = json::array();
    for (const auto& r : t.rows)
      rows.push_back({{"n", r.n},
                      {"category", labels[static_cast<size_t>(r.category)]},
                      {"removed", r.removed_neurons},
                      {"base_accuracy", r.base_accuracy},
                      {"target_drop", r.target_drop},
                      {"others_mean_drop", r.others_mean_drop},
                      {"random_target_drop", r.random_target_drop},
                      {"random_others_mean_drop", r.random_others_mean_drop}});
    d["rows"] = rows;
    j["domination_test"] = d;
  }
  return j;
}

// ---- visualization ------------------------------------------------------------

const std::set<std::string> kVisualizeValuedOptions = {"preset", "steps", "lr", "optimizer", "blur", "l2", "tv",
                                                       "jitter", "scale-jitter", "rotate", "decay", "start",
                                                       "noise", "images", "diversity", "start-pixel"};
const std::set<std::string> kVisualizeFlags = {"fourier"};

std::set<std::string> with_visualize_options(std::set<std::string> own) {
  own.insert(kVisualizeValuedOptions.begin(), kVisualizeValuedOptions.end());
  return own;
}

std::set<std::string> with_visualize_flags(std::set<std::string> own) {
  own.insert(kVisualizeFlags.begin(), kVisualizeFlags.end());
  return own;
}
const char* kVisualizeOptionsHelp =
    "  --preset paper|modern  paper (default): plain gradient, lr 0.14, constant start, blur 0.4 each step;\n"
    "                      modern: Adam lr 0.05, Fourier parameterisation, noise start, jitter 1, scale 0.05,\n"
    "                      rotation 5 degrees, no blur. The options below override the preset.\n"
    "  --steps N           optimisation steps\n"
    "  --lr X              learning rate\n"
    "  --optimizer gradient|adam\n"
    "  --blur SIGMA        3x3 Gaussian blur after each step (0: none)\n"
    "  --l2 X  --tv X      L2 decay and total-variation penalty weights\n"
    "  --jitter N  --scale-jitter X  --rotate DEG   random shift, scale and rotation each step\n"
    "  --fourier           optimise a decorrelated spectrum instead of the pixels (--decay X: 1/f^X)\n"
    "  --start constant|noise|image   (image: the --image FILE, \"dream from the image\")\n"
    "  --start-pixel X  --noise X     constant start value and noise spread, display pixels\n"
    "  --images N  --diversity X      several images per objective, pushed apart\n";

Result<VisualizeOptions> visualize_options_from(const Args& args, const MethodContext& ctx, int default_steps) {
  VisualizeOptions o;
  o.steps = default_steps;
  o.transform = ctx.transform;
  const std::string preset = args.value("preset").value_or("paper");
  if (preset == "modern") {
    o.optimizer = VisualizeOptions::Optimizer::kAdam;
    o.learning_rate = 0.05f;
    o.parameterization = VisualizeOptions::Parameterization::kFourier;
    o.start = VisualizeOptions::Start::kNoise;
    o.noise_std = 0.01f;
    o.blur_sigma = 0;
    o.jitter = 1;
    o.scale_jitter = 0.05f;
    o.rotate_degrees = 5;
  } else if (preset != "paper") {
    return Status::Error("--preset must be paper or modern, got '" + preset + "'");
  }
  auto steps = args.integer("steps", o.steps, 0, 100000);
  auto jitter = args.integer("jitter", o.jitter, 0, 64);
  auto images = args.integer("images", o.images, 1, 64);
  auto seed = args.integer("seed", 1, 0, int64_t{1} << 62);
  auto lr = parse_number(args, "lr", o.learning_rate, 1e-9, 1e6);
  auto blur = parse_number(args, "blur", o.blur_sigma, 0, 10);
  auto l2 = parse_number(args, "l2", o.l2_decay, 0, 1e6);
  auto tv = parse_number(args, "tv", o.total_variation, 0, 1e6);
  auto scale = parse_number(args, "scale-jitter", o.scale_jitter, 0, 0.9);
  auto rotate = parse_number(args, "rotate", o.rotate_degrees, 0, 180);
  auto decay = parse_number(args, "decay", o.fourier.decay, 0, 4);
  auto noise = parse_number(args, "noise", o.noise_std, 0, 10);
  auto diversity = parse_number(args, "diversity", o.diversity, 0, 1e6);
  auto start_pixel = parse_number(args, "start-pixel", o.start_pixel, -10, 10);
  for (const Status& s : {steps.status(), jitter.status(), images.status(), seed.status(), lr.status(), blur.status(),
                          l2.status(), tv.status(), scale.status(), rotate.status(), decay.status(), noise.status(),
                          diversity.status(), start_pixel.status()})
    if (!s.ok()) return s;
  o.steps = static_cast<int>(steps.value());
  o.jitter = static_cast<int>(jitter.value());
  o.images = static_cast<int>(images.value());
  o.seed = static_cast<uint64_t>(seed.value());
  o.learning_rate = static_cast<float>(lr.value());
  o.blur_sigma = static_cast<float>(blur.value());
  o.l2_decay = static_cast<float>(l2.value());
  o.total_variation = static_cast<float>(tv.value());
  o.scale_jitter = static_cast<float>(scale.value());
  o.rotate_degrees = static_cast<float>(rotate.value());
  o.fourier.decay = static_cast<float>(decay.value());
  o.noise_std = static_cast<float>(noise.value());
  o.diversity = static_cast<float>(diversity.value());
  o.start_pixel = static_cast<float>(start_pixel.value());
  if (args.flag("fourier")) o.parameterization = VisualizeOptions::Parameterization::kFourier;
  if (auto opt = args.value("optimizer")) {
    if (*opt == "adam") o.optimizer = VisualizeOptions::Optimizer::kAdam;
    else if (*opt == "gradient") o.optimizer = VisualizeOptions::Optimizer::kGradient;
    else return Status::Error("--optimizer must be gradient or adam, got '" + *opt + "'");
  }
  if (auto start = args.value("start")) {
    if (*start == "constant") o.start = VisualizeOptions::Start::kConstant;
    else if (*start == "noise") o.start = VisualizeOptions::Start::kNoise;
    else if (*start == "image") o.start = VisualizeOptions::Start::kImage;
    else return Status::Error("--start must be constant, noise or image, got '" + *start + "'");
  }
  return o;
}

namespace {

Result<Tensor> visualize_objectives(MethodContext& ctx, const std::vector<Objective>& objectives,
                                    const VisualizeOptions& o, bool quiet, const std::string& label,
                                    std::vector<double>* final_objective) {
  const Shape& in = ctx.input_shape();
  const int64_t per = in[1] * in[2] * in[3] * o.images;
  Tensor out(Shape{static_cast<int64_t>(objectives.size()) * o.images, in[1], in[2], in[3]});
  ProgressBar bar(label, static_cast<int64_t>(objectives.size()) * std::max(1, o.steps), quiet);
  if (final_objective) final_objective->clear();
  for (size_t i = 0; i < objectives.size(); ++i) {
    const int64_t before = static_cast<int64_t>(i) * o.steps;
    auto r = visualize(*ctx.ex, objectives[i], o, [&](int step, double) {
      bar.update(before + step);
      return true;
    });
    if (!r.ok()) return r.status();
    std::copy_n(r.value().image.data(), per, out.data() + static_cast<int64_t>(i) * per);
    if (final_objective) final_objective->push_back(r.value().objective.empty() ? 0.0 : r.value().objective.back());
  }
  bar.finish();
  return out;
}

}  // namespace

Result<Tensor> visualize_channels(MethodContext& ctx, int node, const std::vector<int>& channels,
                                  const VisualizeOptions& o, bool quiet, const std::string& label,
                                  std::vector<double>* final_objective) {
  std::vector<Objective> objectives;
  const bool dense = ctx.model.graph.node(node).shape.rank() == 2;
  for (int c : channels) objectives.push_back(dense ? unit_objective(node, c) : channel_objective(node, c));
  return visualize_objectives(ctx, objectives, o, quiet, label, final_objective);
}

Result<Tensor> visualize_classes(MethodContext& ctx, const std::vector<int>& classes, const VisualizeOptions& o,
                                 bool quiet, std::vector<double>* final_objective) {
  std::vector<Objective> objectives;
  for (int c : classes) objectives.push_back(unit_objective(ctx.logits, c));
  return visualize_objectives(ctx, objectives, o, quiet, "visualize class logits", final_objective);
}

nlohmann::json visualize_options_json(const VisualizeOptions& o) {
  return {{"steps", o.steps},
          {"learning_rate", o.learning_rate},
          {"optimizer", o.optimizer == VisualizeOptions::Optimizer::kAdam ? "adam" : "gradient"},
          {"parameterization", o.parameterization == VisualizeOptions::Parameterization::kFourier ? "fourier" : "pixels"},
          {"fourier_decay", o.fourier.decay},
          {"blur_sigma", o.blur_sigma},
          {"l2_decay", o.l2_decay},
          {"total_variation", o.total_variation},
          {"jitter", o.jitter},
          {"scale_jitter", o.scale_jitter},
          {"rotate_degrees", o.rotate_degrees},
          {"images", o.images},
          {"diversity", o.diversity},
          {"start", o.start == VisualizeOptions::Start::kConstant ? "constant"
                    : o.start == VisualizeOptions::Start::kNoise  ? "noise"
                                                                  : "image"},
          {"start_pixel", o.start_pixel},
          {"noise_std", o.noise_std},
          {"seed", o.seed}};
}

// ---- predictions and focus ----------------------------------------------------

Result<Prediction> predict(MethodContext& ctx, const Tensor& input) {
  NL_RETURN_IF_ERROR(ctx.ex->forward_until(input, ctx.logits));
  const Tensor& y = ctx.ex->value(ctx.logits);
  Prediction p;
  p.logits.assign(y.data(), y.data() + ctx.classes);
  const float mx = *std::max_element(p.logits.begin(), p.logits.end());
  double sum = 0;
  for (float v : p.logits) sum += std::exp(static_cast<double>(v - mx));
  for (float v : p.logits) p.probabilities.push_back(static_cast<float>(std::exp(static_cast<double>(v - mx)) / sum));
  p.predicted = static_cast<int>(std::max_element(p.logits.begin(), p.logits.end()) - p.logits.begin());
  return p;
}

Result<std::vector<NamedFocusMap>> compute_focus(MethodContext& ctx, const Tensor& input, int layer, int target,
                                                 const std::vector<std::string>& methods,
                                                 const OcclusionOptions& occlusion_options) {
  std::vector<NamedFocusMap> out;
  for (const std::string& m : methods) {
    Result<FocusMap> map = Status::Error("");
    if (m == "gradcam") {
      if (ctx.model.graph.node(layer).shape.rank() != 4)
        return Status::Error("Grad-CAM needs a conv layer ([N, H, W, C]); '" + ctx.model.graph.node(layer).name + "' is " +
                             ctx.model.graph.node(layer).shape.str());
      map = grad_cam(*ctx.ex, input, layer, target);
    } else if (m == "saliency") {
      map = saliency(*ctx.ex, input, target);
    } else if (m == "occlusion") {
      map = occlusion(*ctx.ex, input, target, occlusion_options);
    } else {
      return Status::Error("focus methods are gradcam, saliency and occlusion, not '" + m + "'");
    }
    if (!map.ok()) return map.status();
    out.push_back({m, std::move(map.value())});
  }
  return out;
}

Image focus_overlay(const Image& picture, const FocusMap& map, int scale) {
  return upscale_nearest(overlay_heatmap(picture, map.values, 0.7), scale);
}

Image focus_map_image(const FocusMap& map, bool signed_values, int scale) {
  return upscale_nearest(colorize(map.values, map.width, map.height, signed_values ? ColorMap::kDiverging : ColorMap::kViridis),
                         scale);
}

// ---- JSON helpers -------------------------------------------------------------

nlohmann::json accuracy_json(const AccuracyReport& r) {
  return {{"overall", r.overall}, {"per_class", r.per_class}, {"per_class_count", r.per_class_count}};
}

nlohmann::json matrix_json(const std::vector<double>& values, int64_t rows, int64_t cols) {
  nlohmann::json out = nlohmann::json::array();
  for (int64_t r = 0; r < rows; ++r)
    out.push_back(std::vector<double>(values.begin() + r * cols, values.begin() + (r + 1) * cols));
  return out;
}

nlohmann::json tensor_rows_json(const Tensor& m) {
  nlohmann::json out = nlohmann::json::array();
  const int64_t rows = m.shape()[0], cols = m.elements() / std::max<int64_t>(1, rows);
  for (int64_t r = 0; r < rows; ++r) out.push_back(std::vector<float>(m.data() + r * cols, m.data() + (r + 1) * cols));
  return out;
}

nlohmann::json layer_json(const Graph& g, int node) {
  const Node& n = g.node(node);
  std::vector<int64_t> shape;
  for (int i = 0; i < n.shape.rank(); ++i) shape.push_back(n.shape[i]);
  return {{"name", n.name}, {"op", n.op ? n.op->type() : "input"}, {"neurons", shape.back()}, {"shape", shape}};
}

}  // namespace nl::cli
