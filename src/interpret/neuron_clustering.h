// Clustering over network neurons (METHOD.md): features per neuron (its
// visualization image, or its activation / contribution profile over
// categories), standardised per feature column, clustered by k-means
// (default), agglomeratively, or grouped by NMF; each cluster labelled with the
// category whose summed contribution over its members is largest, plus any
// category within `label_tolerance` of that sum.
#pragma once
#include <vector>

#include "interpret/agglomerative.h"
#include "interpret/kmeans.h"
#include "tensor/tensor.h"

namespace nl {

enum class NeuronClusterMethod { kKMeans, kAgglomerative, kNmf };

struct NeuronClusterOptions {
  NeuronClusterMethod method = NeuronClusterMethod::kKMeans;
  int64_t clusters = 4;
  int restarts = 10;
  uint64_t seed = 0;
  Linkage linkage = Linkage::kWard;
  DistanceMetric metric = DistanceMetric::kEuclidean;
  bool standardize = true;        // zero mean, unit variance per feature column
  double label_tolerance = 0.1;   // extra labels within this fraction of the best sum
};

struct NeuronClusters {
  std::vector<int32_t> assignment;            // [K] cluster per neuron
  std::vector<std::vector<int>> members;      // [clusters]
  std::vector<std::vector<int>> labels;       // [clusters]: categories, best first
  std::vector<double> label_scores;           // [clusters x C]: summed contribution per category
  std::vector<double> merges;                 // agglomerative only: SciPy linkage matrix
};

// features: [K, D]; contributions: [K, C] (gamma), used for the labels.
Result<NeuronClusters> cluster_neurons(const Tensor& features, const Tensor& contributions, const NeuronClusterOptions& options);

// Standardises columns in place (constant columns become 0).
void standardize_columns(std::vector<float>& rows, int64_t n, int64_t d);

}  // namespace nl
