// The method's computations as the subcommands and the report run them:
// with progress bars, options read from the command line, and results turned
// into the JSON the output folders hold. One place, so `neuronlens report`
// and the single subcommands give the same numbers for the same options.
//
// Sections: category scores - category clustering - neuron clustering -
// ablation - visualization - JSON helpers.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/method_setup.h"
#include "interpret/ablation_schemes.h"
#include "interpret/category_clustering.h"
#include "interpret/domination.h"
#include "image/colormap.h"
#include "interpret/focus.h"
#include "interpret/neuron_clustering.h"

namespace nl::cli {

// ---- category scores ------------------------------------------------------

// The score of a neuron for a category (METHOD.md): gradient x activation
// (default), plain activation (mean response), the CAPTOR-style feature-map
// gradient, or the weight gradient.
enum class ScoreKind { kContribution, kActivation, kFeatureGradient, kWeightGradient };
Result<ScoreKind> parse_score_kind(const std::string& text);
const char* score_kind_name(ScoreKind kind);

// [K, C] scores of every neuron of `node` for every category, over the set,
// swept in chunks with a progress bar on stderr.
Result<Tensor> category_scores(MethodContext& ctx, const ImageSet& set, int node, ScoreKind kind, bool quiet);

// ---- category clustering (A and B) ----------------------------------------

struct CategoryAnalysis {
  Tensor scores;                              // [K, C]
  CategoryGroups groups;                      // (A)
  std::vector<NeuronDomination> domination;   // per neuron
  CategoryClustering clustering;              // (B)
};
Result<CategoryAnalysis> analyse_categories(Tensor scores, SimilarityKind similarity, Linkage linkage);
Result<SimilarityKind> parse_similarity(const std::string& text);
Result<Linkage> parse_linkage(const std::string& text);

// categories.json: labels, similarity, order, merges (the fixed form), plus the groups.
// kind: the score of (A) (groups, domination); similarity_score: of (B).
nlohmann::json categories_json(const MethodContext& ctx, int node, const CategoryAnalysis& a, ScoreKind kind,
                               ScoreKind similarity_score, SimilarityKind similarity, Linkage linkage, const std::string& data_name, int64_t images);

// Figures of an analysis: the similarity heatmap reordered by the dendrogram
// (viridis), the category x neuron heatmap (rows: categories in dendrogram
// order; columns: neurons grouped by dominant category in that order, then by
// score; each neuron scaled by its largest |score|; diverging colours), and
// the dendrogram as SVG.
struct CategoryFigures {
  Image similarity;
  Image neuron_category;
  std::string neuron_category_svg;  // the same with category names on the rows
  std::string dendrogram_svg;
  std::vector<int> neuron_order;  // the heatmap's columns
};
CategoryFigures category_figures(const MethodContext& ctx, const CategoryAnalysis& a);

// ---- neuron clustering ----------------------------------------------------

// Features of every neuron: "visualization" (standardised pixels of its
// visualization, which must be given as [K, H, W, C]), "activation" (Act
// profile), "contribution" (gamma profile).
Result<Tensor> neuron_features(const std::string& kind, const Tensor* visualizations, const Tensor& activation,
                               const Tensor& contribution);

// ---- ablation -------------------------------------------------------------

struct AblationAnalysis {
  std::vector<AblationOutcome> schemes;
  DominationTest domination;
  std::vector<int64_t> sizes;   // of the domination test
};
Result<AblationAnalysis> run_ablation(MethodContext& ctx, const ImageSet& set, int node, const CategoryGroups& groups,
                                      const std::vector<int32_t>& clusters, const AblationPlan& plan,
                                      const std::vector<int64_t>& sizes, bool quiet);
nlohmann::json ablation_json(const MethodContext& ctx, int node, const AblationAnalysis& a, const AblationPlan& plan,
                             const std::string& data_name, int64_t images);

// ---- visualization --------------------------------------------------------

// Visualization settings from the command line: --preset paper|modern, then
// --steps --lr --optimizer --blur --l2 --tv --jitter --scale-jitter --rotate
// --fourier --decay --start --noise --images --diversity. `start_image` is
// used for --start image.
extern const std::set<std::string> kVisualizeValuedOptions;
extern const std::set<std::string> kVisualizeFlags;
// `own` with the visualization's valued options (flags) added, for a command's parse.
std::set<std::string> with_visualize_options(std::set<std::string> own);
std::set<std::string> with_visualize_flags(std::set<std::string> own);
extern const char* kVisualizeOptionsHelp;
Result<VisualizeOptions> visualize_options_from(const Args& args, const MethodContext& ctx, int default_steps);

// One visualization per channel of `node` (one image each), one after
// another with a progress bar over all steps. Returns [n, H, W, C] in model
// input space; final_objective gets J after the last step of each.
Result<Tensor> visualize_channels(MethodContext& ctx, int node, const std::vector<int>& channels,
                                  const VisualizeOptions& options, bool quiet, const std::string& label,
                                  std::vector<double>* final_objective = nullptr);
// The same for class logits (units of the logits node).
Result<Tensor> visualize_classes(MethodContext& ctx, const std::vector<int>& classes, const VisualizeOptions& options,
                                 bool quiet, std::vector<double>* final_objective = nullptr);
nlohmann::json visualize_options_json(const VisualizeOptions& o);

// ---- predictions and focus ----------------------------------------------------

struct Prediction {
  std::vector<float> logits, probabilities;  // [C]
  int predicted = -1;
};
Result<Prediction> predict(MethodContext& ctx, const Tensor& input);  // input [1, H, W, C]

// Focus maps of one image for class `target` (-1: predicted): "gradcam" at
// conv node `layer`, "saliency", "occlusion"; in that order, those asked for.
struct NamedFocusMap {
  std::string method;
  FocusMap map;
};
Result<std::vector<NamedFocusMap>> compute_focus(MethodContext& ctx, const Tensor& input, int layer, int target,
                                                 const std::vector<std::string>& methods,
                                                 const OcclusionOptions& occlusion);
// The map over the picture (viridis, alpha by strength), enlarged `scale` times.
Image focus_overlay(const Image& picture, const FocusMap& map, int scale);
// The map alone (viridis, or diverging for signed maps such as occlusion), enlarged.
Image focus_map_image(const FocusMap& map, bool signed_values, int scale);

// ---- JSON helpers -----------------------------------------------------------

nlohmann::json accuracy_json(const AccuracyReport& report);
nlohmann::json matrix_json(const std::vector<double>& values, int64_t rows, int64_t cols);
nlohmann::json tensor_rows_json(const Tensor& matrix);  // [R, C] -> rows
// {"name", "layer" (node name), "neurons" (K), "shape"}
nlohmann::json layer_json(const Graph& graph, int node);

}  // namespace nl::cli
