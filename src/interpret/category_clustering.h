// Clustering over image categories (METHOD.md), both readings:
//   (A) category groups of neurons: each neuron goes to its dominant category;
//       each category's neurons are ranked by score (priority order).
//   (B) the categories themselves: each category c is the vector of its neuron
//       responses (a column of Act or gamma [K, C]); the C x C similarity
//       (cosine or Pearson) is clustered agglomeratively, giving merges in
//       SciPy's convention and the dendrogram's leaf order.
#pragma once
#include <vector>

#include "interpret/agglomerative.h"
#include "tensor/tensor.h"

namespace nl {

struct CategoryGroups {
  std::vector<std::vector<int>> members;  // [C]: neurons whose dominant category is c, best score first
  std::vector<int> dominant;              // [K]: each neuron's category
};
// scores: [K, C]
CategoryGroups category_groups(const Tensor& scores);

// Neurons in priority round-robin over categories: the best of each category,
// then the second best of each, ... (for ablation by priority).
std::vector<int> priority_round_robin(const CategoryGroups& groups);

enum class SimilarityKind { kCosine, kPearson };

struct CategoryClustering {
  int64_t classes = 0;
  std::vector<double> similarity;  // [C x C]
  std::vector<double> merges;      // [(C-1) x 4]: a, b, distance, size (SciPy's linkage matrix)
  std::vector<int64_t> order;      // leaf order of the dendrogram
};
// scores: [K, C]; linkage: average by default (distance 1 - similarity).
Result<CategoryClustering> cluster_categories(const Tensor& scores, SimilarityKind kind, Linkage linkage = Linkage::kAverage);

}  // namespace nl
