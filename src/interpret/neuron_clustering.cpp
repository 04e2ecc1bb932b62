#include "interpret/neuron_clustering.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "interpret/nmf.h"

namespace nl {

void standardize_columns(std::vector<float>& rows, int64_t n, int64_t d) {
  for (int64_t j = 0; j < d; ++j) {
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < n; ++i) sum += rows[static_cast<size_t>(i * d + j)];
    const double mean = sum / static_cast<double>(n);
    for (int64_t i = 0; i < n; ++i) {
      const double v = rows[static_cast<size_t>(i * d + j)] - mean;
      sq += v * v;
    }
    const double sd = std::sqrt(sq / static_cast<double>(n));
    for (int64_t i = 0; i < n; ++i) {
      float& v = rows[static_cast<size_t>(i * d + j)];
      v = sd > 1e-12 ? static_cast<float>((v - mean) / sd) : 0.0f;
    }
  }
}

Result<NeuronClusters> cluster_neurons(const Tensor& features, const Tensor& contributions, const NeuronClusterOptions& o) {
  if (features.shape().rank() != 2) return Status::Error("neuron clustering: features must be [neurons, dims]");
  const int64_t k = features.shape()[0], d = features.shape()[1];
  if (contributions.shape().rank() != 2 || contributions.shape()[0] != k)
    return Status::Error("neuron clustering: contributions must be [" + std::to_string(k) + ", categories], got " +
                         contributions.shape().str());
  if (o.clusters < 1 || o.clusters > k)
    return Status::Error("neuron clustering: " + std::to_string(o.clusters) + " clusters for " + std::to_string(k) + " neurons");
  const int64_t c = contributions.shape()[1];
  std::vector<float> rows(features.data(), features.data() + features.elements());
  NeuronClusters out;
  if (o.method == NeuronClusterMethod::kNmf) {
    // NMF needs non-negative data: use the features as given, shifted to be >= 0.
    const float lo = *std::min_element(rows.begin(), rows.end());
    if (lo < 0)
      for (float& v : rows) v -= lo;
    NmfOptions no;
    no.components = o.clusters;
    no.seed = o.seed;
    auto r = nmf(FeatureRows{rows, k, d}, no);
    if (!r.ok()) return r.status();
    out.assignment = nmf_dominant_components(r.value());
  } else {
    if (o.standardize) standardize_columns(rows, k, d);
    FeatureRows fr{rows, k, d};
    if (o.method == NeuronClusterMethod::kKMeans) {
      KMeansOptions ko;
      ko.clusters = o.clusters;
      ko.restarts = o.restarts;
      ko.seed = o.seed;
      auto r = kmeans(fr, ko);
      if (!r.ok()) return r.status();
      out.assignment = r.value().assignments;
    } else {
      auto tree = agglomerative_clustering(fr, o.metric, o.linkage);
      if (!tree.ok()) return tree.status();
      auto cut = cut_dendrogram(tree.value(), o.clusters);
      if (!cut.ok()) return cut.status();
      out.assignment = cut.value();
      out.merges = linkage_matrix(tree.value());
    }
  }
  int64_t clusters = 0;
  for (int32_t a : out.assignment) clusters = std::max<int64_t>(clusters, a + 1);
  out.members.assign(static_cast<size_t>(clusters), {});
  out.label_scores.assign(static_cast<size_t>(clusters * c), 0.0);
  for (int64_t j = 0; j < k; ++j) {
    const int32_t a = out.assignment[static_cast<size_t>(j)];
    out.members[static_cast<size_t>(a)].push_back(static_cast<int>(j));
    for (int64_t cat = 0; cat < c; ++cat) out.label_scores[static_cast<size_t>(a * c + cat)] += contributions[j * c + cat];
  }
  out.labels.assign(static_cast<size_t>(clusters), {});
  for (int64_t a = 0; a < clusters; ++a) {
    const double* s = out.label_scores.data() + a * c;
    std::vector<int> order(static_cast<size_t>(c));
    for (int64_t cat = 0; cat < c; ++cat) order[static_cast<size_t>(cat)] = static_cast<int>(cat);
    std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return s[x] > s[y]; });
    const double best = s[order[0]];
    for (int cat : order)
      if (cat == order[0] || (best > 0 && s[cat] >= best * (1 - o.label_tolerance))) out.labels[static_cast<size_t>(a)].push_back(cat);
  }
  return out;
}

}  // namespace nl
