// Silhouette scores; see silhouette.h.
#include "interpret/silhouette.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>

namespace nl {
namespace {

// Above this many points the [n x n] distance matrix (8 n^2 bytes) is not
// kept; distances are recomputed row by row instead.
constexpr int64_t kMaxPointsForDistanceMatrix = 2048;

// fills out[0..n) with the distances from point i to every point
using DistanceRow = std::function<void(int64_t i, double* out)>;

// Validates labels and renumbers them 0..count-1.   labels: [n] -> [n]
Result<std::vector<int32_t>> compact_labels(std::span<const int32_t> labels, int64_t n, int32_t* count) {
  if (static_cast<int64_t>(labels.size()) != n)
    return Status::Error("silhouette: " + std::to_string(labels.size()) + " labels for " + std::to_string(n) +
                         " points");
  std::vector<int32_t> distinct(labels.begin(), labels.end());
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  if (!distinct.empty() && distinct.front() < 0)
    return Status::Error("silhouette: labels must be >= 0, got " + std::to_string(distinct.front()));
  const int64_t clusters = static_cast<int64_t>(distinct.size());
  if (clusters < 2 || clusters > n - 1)
    return Status::Error("silhouette: needs between 2 and n - 1 = " + std::to_string(n - 1) +
                         " distinct labels, got " + std::to_string(clusters));
  std::vector<int32_t> compact(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    compact[i] = static_cast<int32_t>(std::lower_bound(distinct.begin(), distinct.end(), labels[i]) - distinct.begin());
  *count = static_cast<int32_t>(clusters);
  return compact;
}

// s(i) for every point, rows of distances from `distance_row`.
std::vector<double> samples_from(const DistanceRow& distance_row, int64_t n, const std::vector<int32_t>& labels,
                                 int32_t clusters, ThreadPool* pool) {
  std::vector<int64_t> sizes(static_cast<size_t>(clusters), 0);
  for (int32_t label : labels) ++sizes[label];
  std::vector<double> samples(static_cast<size_t>(n));
  auto score_range = [&](int64_t begin, int64_t end) {
    std::vector<double> row(static_cast<size_t>(n)), sums(static_cast<size_t>(clusters));
    for (int64_t i = begin; i < end; ++i) {
      const int32_t own = labels[i];
      if (sizes[own] == 1) {
        samples[i] = 0;
        continue;
      }
      distance_row(i, row.data());
      std::fill(sums.begin(), sums.end(), 0.0);
      for (int64_t j = 0; j < n; ++j)
        if (j != i) sums[labels[j]] += row[j];
      const double a = sums[own] / static_cast<double>(sizes[own] - 1);
      double b = std::numeric_limits<double>::infinity();
      for (int32_t c = 0; c < clusters; ++c)
        if (c != own) b = std::min(b, sums[c] / static_cast<double>(sizes[c]));
      const double larger = std::max(a, b);
      samples[i] = larger > 0 ? (b - a) / larger : 0.0;
    }
  };
  if (pool) pool->parallel_for(n, score_range);
  else score_range(0, n);
  return samples;
}

double mean_of(const std::vector<double>& values) {
  double sum = 0;
  for (double v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

DistanceRow rows_of_matrix(const std::vector<double>& matrix, int64_t n) {
  return [&matrix, n](int64_t i, double* out) { std::copy_n(matrix.data() + i * n, n, out); };
}

DistanceRow rows_computed(const FeatureRows& points, DistanceMetric metric, const std::vector<double>& norms) {
  return [&points, metric, &norms](int64_t i, double* out) { distances_from_row(points, i, metric, norms, out); };
}

}  // namespace

Result<std::vector<double>> silhouette_samples(const FeatureRows& points, std::span<const int32_t> labels,
                                               DistanceMetric metric, ThreadPool* pool) {
  NL_RETURN_IF_ERROR(check_feature_rows(points, "silhouette"));
  int32_t clusters = 0;
  Result<std::vector<int32_t>> compact = compact_labels(labels, points.rows, &clusters);
  if (!compact.ok()) return compact.status();
  const std::vector<double> norms = metric == DistanceMetric::kCosine ? row_norms(points) : std::vector<double>();
  return samples_from(rows_computed(points, metric, norms), points.rows, compact.value(), clusters, pool);
}

Result<double> silhouette_score(const FeatureRows& points, std::span<const int32_t> labels, DistanceMetric metric,
                                ThreadPool* pool) {
  Result<std::vector<double>> samples = silhouette_samples(points, labels, metric, pool);
  if (!samples.ok()) return samples.status();
  return mean_of(samples.value());
}

Result<double> silhouette_score_from_distances(std::span<const double> distances, int64_t n,
                                               std::span<const int32_t> labels, ThreadPool* pool) {
  if (n < 1 || static_cast<int64_t>(distances.size()) != n * n)
    return Status::Error("silhouette: " + std::to_string(distances.size()) + " distances do not make a " +
                         std::to_string(n) + " x " + std::to_string(n) + " matrix");
  for (size_t i = 0; i < distances.size(); ++i)
    if (!std::isfinite(distances[i]) || distances[i] < 0)
      return Status::Error("silhouette: distance (" + std::to_string(static_cast<int64_t>(i) / n) + ", " +
                           std::to_string(static_cast<int64_t>(i) % n) + ") is " + std::to_string(distances[i]) +
                           "; distances must be finite and >= 0");
  int32_t clusters = 0;
  Result<std::vector<int32_t>> compact = compact_labels(labels, n, &clusters);
  if (!compact.ok()) return compact.status();
  auto distance_row = [&](int64_t i, double* out) { std::copy_n(distances.data() + i * n, n, out); };
  return mean_of(samples_from(distance_row, n, compact.value(), clusters, pool));
}

Result<std::vector<KMeansSilhouette>> kmeans_silhouette_over_k(const FeatureRows& points, int64_t min_clusters,
                                                               int64_t max_clusters, const KMeansOptions& options,
                                                               DistanceMetric metric, ThreadPool* pool) {
  NL_RETURN_IF_ERROR(check_feature_rows(points, "silhouette over k"));
  const int64_t n = points.rows;
  if (min_clusters < 2 || max_clusters < min_clusters || max_clusters > n - 1)
    return Status::Error("silhouette over k: needs 2 <= min_clusters <= max_clusters <= n - 1 = " +
                         std::to_string(n - 1) + ", got " + std::to_string(min_clusters) + " to " +
                         std::to_string(max_clusters));

  std::vector<double> matrix, norms;
  DistanceRow distance_row;
  if (n <= kMaxPointsForDistanceMatrix) {
    Result<std::vector<double>> computed = pairwise_distances(points, metric, pool);
    if (!computed.ok()) return computed.status();
    matrix = std::move(computed.value());
    distance_row = rows_of_matrix(matrix, n);
  } else {
    if (metric == DistanceMetric::kCosine) norms = row_norms(points);
    distance_row = rows_computed(points, metric, norms);
  }

  std::vector<KMeansSilhouette> scores;
  for (int64_t k = min_clusters; k <= max_clusters; ++k) {
    KMeansOptions with_k = options;
    with_k.clusters = k;
    Result<KMeansResult> clustering = kmeans(points, with_k, pool);
    if (!clustering.ok()) return clustering.status();
    // k-means ids are already 0..k-1 and every cluster is non-empty.
    const std::vector<double> samples =
        samples_from(distance_row, n, clustering.value().assignments, static_cast<int32_t>(k), pool);
    scores.push_back({k, mean_of(samples), clustering.value().inertia});
  }
  return scores;
}

}  // namespace nl
