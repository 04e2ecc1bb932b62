#include "interpret/category_clustering.h"

#include <algorithm>

#include "interpret/domination.h"
#include "interpret/similarity.h"

namespace nl {

CategoryGroups category_groups(const Tensor& scores) {
  const int64_t k = scores.shape()[0], c = scores.shape()[1];
  CategoryGroups g;
  g.members.assign(static_cast<size_t>(c), {});
  for (const NeuronDomination& d : dominant_categories(scores)) g.dominant.push_back(d.category);
  for (int64_t j = 0; j < k; ++j) g.members[static_cast<size_t>(g.dominant[static_cast<size_t>(j)])].push_back(static_cast<int>(j));
  for (int64_t cat = 0; cat < c; ++cat) {
    auto& m = g.members[static_cast<size_t>(cat)];
    std::stable_sort(m.begin(), m.end(), [&](int a, int b) { return scores[a * c + cat] > scores[b * c + cat]; });
  }
  return g;
}

std::vector<int> priority_round_robin(const CategoryGroups& groups) {
  std::vector<int> order;
  for (size_t rank = 0;; ++rank) {
    bool any = false;
    for (const auto& m : groups.members)
      if (rank < m.size()) {
        order.push_back(m[rank]);
        any = true;
      }
    if (!any) return order;
  }
}

Result<CategoryClustering> cluster_categories(const Tensor& scores, SimilarityKind kind, Linkage linkage) {
  if (scores.shape().rank() != 2) return Status::Error("category clustering: scores must be [neurons, categories]");
  const int64_t k = scores.shape()[0], c = scores.shape()[1];
  if (c < 2) return Status::Error("category clustering: needs at least 2 categories");
  // Rows = categories: transpose [K, C] to [C, K].
  std::vector<float> rows(static_cast<size_t>(c * k));
  for (int64_t j = 0; j < k; ++j)
    for (int64_t cat = 0; cat < c; ++cat) rows[static_cast<size_t>(cat * k + j)] = scores[j * c + cat];
  FeatureRows fr{rows, c, k};
  auto sim = kind == SimilarityKind::kCosine ? cosine_similarity_matrix(fr) : pearson_similarity_matrix(fr);
  if (!sim.ok()) return sim.status();
  auto dist = similarity_to_distance(sim.value(), c);
  if (!dist.ok()) return dist.status();
  auto tree = agglomerative_clustering_from_distances(dist.value(), c, linkage);
  if (!tree.ok()) return tree.status();
  CategoryClustering out;
  out.classes = c;
  out.similarity = sim.value();
  out.merges = linkage_matrix(tree.value());
  out.order = dendrogram_leaf_order(tree.value());
  return out;
}

}  // namespace nl
