// Silhouette scores: how well each point sits in its cluster, from -1 (closer
// to another cluster) to 1 (well inside its own). As scikit-learn's
// silhouette_samples / silhouette_score: for point i with a = mean distance to
// the other members of its cluster and b = the lowest mean distance to the
// members of another cluster, s(i) = (b - a) / max(a, b); s(i) = 0 when i is
// alone in its cluster (and when a = b = 0). The score is the mean over points.
// Reported over a range of k to help choose k for k-means (METHOD.md).
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "interpret/distance.h"
#include "interpret/feature_rows.h"
#include "interpret/kmeans.h"
#include "kernels/thread_pool.h"
#include "tensor/status.h"

namespace nl {

// points: [n x d]; labels: [n], any ids >= 0, between 2 and n - 1 distinct.
//   returns [n]
Result<std::vector<double>> silhouette_samples(const FeatureRows& points, std::span<const int32_t> labels,
                                               DistanceMetric metric, ThreadPool* pool = nullptr);

// The mean of silhouette_samples().
Result<double> silhouette_score(const FeatureRows& points, std::span<const int32_t> labels, DistanceMetric metric,
                                ThreadPool* pool = nullptr);

// From a precomputed distance matrix.   distances: [n x n], symmetric; labels: [n]
Result<double> silhouette_score_from_distances(std::span<const double> distances, int64_t n,
                                               std::span<const int32_t> labels, ThreadPool* pool = nullptr);

struct KMeansSilhouette {
  int64_t clusters = 0;  // k
  double silhouette = 0; // silhouette score of the k-means partition
  double inertia = 0;    // k-means inertia (for an elbow plot)
};

// Runs k-means (options.clusters is ignored) for every k in
// [min_clusters, max_clusters], 2 <= min <= max <= n - 1, and scores each
// partition. The distance matrix is computed once when n is small enough.
//   points: [n x d]; returns [max - min + 1], in order of k
Result<std::vector<KMeansSilhouette>> kmeans_silhouette_over_k(const FeatureRows& points, int64_t min_clusters,
                                                               int64_t max_clusters, const KMeansOptions& options,
                                                               DistanceMetric metric, ThreadPool* pool = nullptr);

}  // namespace nl
