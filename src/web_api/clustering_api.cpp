// Clustering over the statistics of a layer (METHOD.md):
//   clusterCategories: (B) the C x C similarity of categories by their neuron
//     responses (Act or gamma), agglomerative, with the dendrogram's merges and
//     leaf order;
// Categories are the classes the sample images show: every per-category index
// below counts over the result's `categories` (model class of each).
//   categoryGroups: (A) each neuron's dominant category, each category's
//     neurons by priority, and the neuron x category heatmap's row order;
//   clusterNeurons: neurons by their activation or contribution profile or
//     their visualization image, with k-means, agglomerative or NMF, each
//     cluster labelled by its summed contribution, plus silhouette over k.
#include <emscripten/bind.h>

#include <algorithm>

#include "interpret/category_clustering.h"
#include "interpret/neuron_clustering.h"
#include "interpret/silhouette.h"
#include "web_api/option_reader.h"
#include "web_api/session.h"
#include "web_api/web_result.h"

namespace nl::web {
namespace {

Result<const NodeStatistics*> statistics_of(Session& s, int node) {
  NL_RETURN_IF_ERROR(s.check_node(node));
  auto found = s.statistics.find(node);
  if (found == s.statistics.end())
    return Status::Error("clusters: statistics of layer " + s.model->graph.node(node).name +
                         " over the sample images are not computed yet");
  return &found->second;
}

Linkage linkage_of(int index) {
  const Linkage all[] = {Linkage::kAverage, Linkage::kComplete, Linkage::kSingle, Linkage::kWard};
  return all[index];
}

val cluster_categories_api(val options) {
  return guarded("category clusters", [&] {
    Session& s = session();
    OptionReader o(options, "category clusters");
    const int node = o.integer("node", -1, 1, 1 << 20);
    const int source = o.choice("source", 0, {"activation", "contribution"});
    const int kind = o.choice("similarity", 0, {"cosine", "pearson"});
    const int linkage = o.choice("linkage", 0, {"average", "complete", "single"});
    NL_RETURN_IF_ERROR_VAL(o.status());
    auto stats = statistics_of(s, node);
    if (!stats.ok()) return error_result(stats.status().message());
    const Tensor& scores = source == 0 ? stats.value()->activation : stats.value()->contribution;
    auto clustering = cluster_categories(scores, kind == 0 ? SimilarityKind::kCosine : SimilarityKind::kPearson,
                                         linkage_of(linkage));
    if (!clustering.ok()) return error_result(clustering.status().message());
    val result = ok_result();
    result.set("classes", static_cast<double>(clustering.value().classes));
    result.set("categories", int_array(stats.value()->categories));
    result.set("similarity", double_array(clustering.value().similarity));
    result.set("merges", double_array(clustering.value().merges));
    result.set("order", int_array(clustering.value().order));
    return result;
  });
}

val category_groups_api(val options) {
  return guarded("category groups", [&] {
    Session& s = session();
    OptionReader o(options, "category groups");
    const int node = o.integer("node", -1, 1, 1 << 20);
    NL_RETURN_IF_ERROR_VAL(o.status());
    auto stats = statistics_of(s, node);
    if (!stats.ok()) return error_result(stats.status().message());
    const CategoryGroups groups = category_groups(stats.value()->contribution);
    val members = val::array();
    std::vector<int> order;  // heatmap rows: by category, best score first
    for (const std::vector<int>& m : groups.members) {
      members.call<void>("push", int_array(m));
      order.insert(order.end(), m.begin(), m.end());
    }
    val result = ok_result();
    result.set("members", members);
    result.set("dominant", int_array(groups.dominant));
    result.set("categories", int_array(stats.value()->categories));
    result.set("order", int_array(order));
    result.set("priority", int_array(priority_round_robin(groups)));
    const Tensor& g = stats.value()->contribution;
    result.set("scores", float_array(g.data(), static_cast<size_t>(g.elements())));
    return result;
  });
}

val cluster_neurons_api(val options) {
  return guarded("neuron clusters", [&] {
    Session& s = session();
    OptionReader o(options, "neuron clusters");
    const int node = o.integer("node", -1, 1, 1 << 20);
    const int features = o.choice("features", 0, {"activation", "contribution", "visualization"});
    const int method = o.choice("method", 0, {"kmeans", "agglomerative", "nmf"});
    const int linkage = o.choice("linkage", 3, {"average", "complete", "single", "ward"});
    const int metric = o.choice("metric", 0, {"euclidean", "cosine"});
    const int k = o.integer("k", 4, 1, 4096);
    const int seed = o.integer("seed", 0, 0, 1 << 30);
    const bool silhouette = o.boolean("silhouette", true);
    NL_RETURN_IF_ERROR_VAL(o.status());
    auto stats = statistics_of(s, node);
    if (!stats.ok()) return error_result(stats.status().message());
    const int64_t channels = stats.value()->contribution.shape()[0];
    if (k > channels) return error_result("neuron clusters: k = " + std::to_string(k) + " is more than the layer's " +
                                          std::to_string(channels) + " neurons");
    const Tensor* rows = features == 0 ? &stats.value()->activation : &stats.value()->contribution;
    if (features == 2) {
      auto tiles = s.tile_features.find(node);
      if (tiles == s.tile_features.end())
        return error_result("neuron clusters: the visualizations of this layer's neurons are not computed yet");
      rows = &tiles->second;
    }
    NeuronClusterOptions co;
    co.method = method == 0 ? NeuronClusterMethod::kKMeans
                : method == 1 ? NeuronClusterMethod::kAgglomerative : NeuronClusterMethod::kNmf;
    co.clusters = k;
    co.seed = static_cast<uint64_t>(seed);
    co.linkage = linkage_of(linkage);
    co.metric = metric == 0 ? DistanceMetric::kEuclidean : DistanceMetric::kCosine;
    auto clusters = cluster_neurons(*rows, stats.value()->contribution, co);
    if (!clusters.ok()) return error_result(clusters.status().message());
    const NeuronClusters& c = clusters.value();
    val result = ok_result();
    result.set("assignment", int_array(c.assignment));
    val members = val::array(), labels = val::array();
    for (const auto& m : c.members) members.call<void>("push", int_array(m));
    for (const auto& l : c.labels) labels.call<void>("push", int_array(l));
    result.set("members", members);
    result.set("labels", labels);
    result.set("labelScores", double_array(c.label_scores));
    result.set("categories", int_array(stats.value()->categories));
    result.set("merges", double_array(c.merges));
    // Silhouette of k-means over a range of k, on the same standardised features, to help choose k.
    if (silhouette && channels >= 3) {
      std::vector<float> standardized(rows->data(), rows->data() + rows->elements());
      standardize_columns(standardized, channels, rows->elements() / channels);
      FeatureRows fr{standardized, channels, rows->elements() / channels};
      KMeansOptions ko;
      ko.restarts = 4;
      ko.seed = static_cast<uint64_t>(seed);
      auto over_k = kmeans_silhouette_over_k(fr, 2, std::min<int64_t>(10, channels - 1), ko, co.metric, s.pool.get());
      if (over_k.ok()) {
        val ks = val::array(), scores = val::array();
        for (const KMeansSilhouette& e : over_k.value()) {
          ks.call<void>("push", static_cast<double>(e.clusters));
          scores.call<void>("push", e.silhouette);
        }
        result.set("silhouetteK", ks);
        result.set("silhouette", scores);
      }
    }
    return result;
  });
}

}  // namespace

EMSCRIPTEN_BINDINGS(neuronlens_clustering) {
  emscripten::function("clusterCategories", &cluster_categories_api);
  emscripten::function("categoryGroups", &category_groups_api);
  emscripten::function("clusterNeurons", &cluster_neurons_api);
}

}  // namespace nl::web
