// k-means: greedy k-means++ seeding, Lloyd iterations, restarts; see kmeans.h.
//
// Sections:
//   distances and assignment
//   seeding (greedy k-means++)
//   centroid update and empty-cluster relocation
//   one restart (Lloyd's loop)
//   kmeans(): validation, restarts, canonical ids
#include "interpret/kmeans.h"

#include <cmath>
#include <limits>
#include <string>

#include "interpret/distance.h"
#include "interpret/seeded_random.h"

namespace nl {
namespace {

// ---- distances and assignment ----------------------------------------------

// Squared distance from a point to a centroid, four partial sums (fixed order).
//   x: [d] floats, c: [d] doubles
double squared_distance_to_centroid(const float* x, const double* c, int64_t d) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t k = 0;
  for (; k + 4 <= d; k += 4) {
    const double e0 = x[k] - c[k], e1 = x[k + 1] - c[k + 1], e2 = x[k + 2] - c[k + 2], e3 = x[k + 3] - c[k + 3];
    s0 += e0 * e0;
    s1 += e1 * e1;
    s2 += e2 * e2;
    s3 += e3 * e3;
  }
  for (; k < d; ++k) {
    const double e = x[k] - c[k];
    s0 += e * e;
  }
  return (s0 + s1) + (s2 + s3);
}

// Assigns every point to its nearest centroid (the lowest id on ties) and
// records the squared distance. Returns whether any label changed.
//   centroids: [k x d]; labels, squared_distances: [n]
bool assign_to_nearest(const FeatureRows& points, const std::vector<double>& centroids, int64_t k,
                       std::vector<int32_t>& labels, std::vector<double>& squared_distances, ThreadPool* pool) {
  const int64_t n = points.rows, d = points.cols;
  std::vector<int32_t> new_labels(static_cast<size_t>(n));
  auto assign_range = [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const float* x = points.row(i);
      int32_t best = 0;
      double best_distance = squared_distance_to_centroid(x, centroids.data(), d);
      for (int64_t c = 1; c < k; ++c) {
        const double distance = squared_distance_to_centroid(x, centroids.data() + c * d, d);
        if (distance < best_distance) {
          best_distance = distance;
          best = static_cast<int32_t>(c);
        }
      }
      new_labels[i] = best;
      squared_distances[i] = best_distance;
    }
  };
  if (pool) pool->parallel_for(n, assign_range);
  else assign_range(0, n);
  const bool changed = new_labels != labels;
  labels.swap(new_labels);
  return changed;
}

// ---- seeding (greedy k-means++) ----------------------------------------------

// 2 + floor(ln k) candidates per new centre, as in scikit-learn's greedy
// k-means++; counted with multiplications so no libm call is involved.
int candidates_per_centre(int64_t k) {
  const double e = 2.718281828459045;
  int floor_log = 0;
  for (double power = e; power <= static_cast<double>(k); power *= e) ++floor_log;
  return 2 + floor_log;
}

// Index i with weight[0] + ... + weight[i] > target, target in [0, total):
// a draw proportional to weight (points already chosen have weight 0).
int64_t draw_by_weight(const std::vector<double>& weight, double target) {
  double cumulative = 0;
  int64_t last_positive = 0;
  for (size_t i = 0; i < weight.size(); ++i) {
    if (weight[i] <= 0) continue;
    cumulative += weight[i];
    last_positive = static_cast<int64_t>(i);
    if (cumulative > target) return last_positive;
  }
  return last_positive;  // target rounded up to the total
}

// Chooses k initial centres among the points: the first uniformly, each next
// one as the best (lowest resulting potential) of a few candidates drawn with
// probability proportional to the squared distance to the nearest centre.
// When every point already coincides with a centre (fewer distinct points
// than k), the next centre is a uniformly drawn point not yet chosen.
//   returns [k x d] centroids
std::vector<double> seed_kmeans_plus_plus(const FeatureRows& points, int64_t k, SeededRandom& random) {
  const int64_t n = points.rows, d = points.cols;
  std::vector<double> centroids(static_cast<size_t>(k * d));
  std::vector<bool> chosen(static_cast<size_t>(n), false);
  auto take = [&](int64_t centre, int64_t index) {
    chosen[index] = true;
    const float* x = points.row(index);
    for (int64_t j = 0; j < d; ++j) centroids[centre * d + j] = x[j];
  };

  int64_t first = static_cast<int64_t>(random.below(static_cast<uint64_t>(n)));
  take(0, first);
  std::vector<double> closest(static_cast<size_t>(n));  // squared distance to the nearest centre
  for (int64_t i = 0; i < n; ++i) closest[i] = squared_euclidean_distance(points.row(i), points.row(first), d);

  const int candidates = candidates_per_centre(k);
  std::vector<double> best_closest(static_cast<size_t>(n)), trial_closest(static_cast<size_t>(n));
  for (int64_t centre = 1; centre < k; ++centre) {
    double potential = 0;
    for (double v : closest) potential += v;

    int64_t best = -1;
    double best_potential = std::numeric_limits<double>::infinity();
    for (int t = 0; t < candidates; ++t) {
      int64_t candidate;
      if (potential > 0) {
        candidate = draw_by_weight(closest, random.uniform01() * potential);
      } else {
        // The skip-th point not chosen yet (n - centre of them remain).
        int64_t skip = static_cast<int64_t>(random.below(static_cast<uint64_t>(n - centre)));
        for (candidate = 0;; ++candidate) {
          if (chosen[candidate]) continue;
          if (skip == 0) break;
          --skip;
        }
      }
      double trial_potential = 0;
      for (int64_t i = 0; i < n; ++i) {
        trial_closest[i] = std::min(closest[i], squared_euclidean_distance(points.row(i), points.row(candidate), d));
        trial_potential += trial_closest[i];
      }
      if (trial_potential < best_potential) {
        best_potential = trial_potential;
        best = candidate;
        best_closest.swap(trial_closest);
      }
    }
    take(centre, best);
    closest.swap(best_closest);
  }
  return centroids;
}

// ---- centroid update and empty-cluster relocation ------------------------------

// Gives every empty cluster one point: the point farthest from its centroid
// among clusters that can spare one (two or more members), lowest index on
// ties. Always possible when k <= n. Updates labels, sizes, squared_distances.
void relocate_to_empty_clusters(std::vector<int32_t>& labels, std::vector<int64_t>& sizes,
                                std::vector<double>& squared_distances) {
  const int64_t n = static_cast<int64_t>(labels.size());
  for (size_t c = 0; c < sizes.size(); ++c) {
    if (sizes[c] != 0) continue;
    int64_t farthest = -1;
    for (int64_t i = 0; i < n; ++i) {
      if (sizes[labels[i]] < 2) continue;
      if (farthest < 0 || squared_distances[i] > squared_distances[farthest]) farthest = i;
    }
    --sizes[labels[farthest]];
    labels[farthest] = static_cast<int32_t>(c);
    sizes[c] = 1;
    squared_distances[farthest] = 0;
  }
}

std::vector<int64_t> count_members(const std::vector<int32_t>& labels, int64_t k) {
  std::vector<int64_t> sizes(static_cast<size_t>(k), 0);
  for (int32_t label : labels) ++sizes[label];
  return sizes;
}

// Centroids as the means of their members (sums in point order).
//   returns [k x d]
std::vector<double> centroids_of(const FeatureRows& points, const std::vector<int32_t>& labels,
                                 const std::vector<int64_t>& sizes) {
  const int64_t k = static_cast<int64_t>(sizes.size()), d = points.cols;
  std::vector<double> centroids(static_cast<size_t>(k * d), 0.0);
  for (int64_t i = 0; i < points.rows; ++i) {
    const float* x = points.row(i);
    double* c = centroids.data() + labels[i] * d;
    for (int64_t j = 0; j < d; ++j) c[j] += x[j];
  }
  for (int64_t c = 0; c < k; ++c)
    for (int64_t j = 0; j < d; ++j) centroids[c * d + j] /= static_cast<double>(sizes[c]);
  return centroids;
}

// ---- one restart (Lloyd's loop) --------------------------------------------------

struct RestartOutcome {
  std::vector<int32_t> labels;
  std::vector<double> centroids;
  std::vector<int64_t> sizes;
  double inertia = 0;
  int iterations = 0;
};

RestartOutcome run_restart(const FeatureRows& points, const KMeansOptions& options, double absolute_tolerance,
                           SeededRandom& random, ThreadPool* pool) {
  const int64_t n = points.rows, k = options.clusters;
  RestartOutcome out;
  out.centroids = seed_kmeans_plus_plus(points, k, random);
  out.labels.assign(static_cast<size_t>(n), -1);
  std::vector<double> squared_distances(static_cast<size_t>(n));
  assign_to_nearest(points, out.centroids, k, out.labels, squared_distances, pool);

  for (int iteration = 0; iteration < options.max_iterations; ++iteration) {
    ++out.iterations;
    std::vector<int64_t> sizes = count_members(out.labels, k);
    relocate_to_empty_clusters(out.labels, sizes, squared_distances);
    std::vector<double> updated = centroids_of(points, out.labels, sizes);
    double shift = 0;
    for (size_t j = 0; j < updated.size(); ++j) shift += (updated[j] - out.centroids[j]) * (updated[j] - out.centroids[j]);
    out.centroids.swap(updated);
    const bool changed = assign_to_nearest(points, out.centroids, k, out.labels, squared_distances, pool);
    if (!changed || shift <= absolute_tolerance) break;
  }

  // The last assignment may have emptied a cluster (ties between coinciding
  // centroids): hand it a point and make the centroids the means again.
  out.sizes = count_members(out.labels, k);
  bool any_empty = false;
  for (int64_t size : out.sizes) any_empty = any_empty || size == 0;
  if (any_empty) {
    relocate_to_empty_clusters(out.labels, out.sizes, squared_distances);
    out.centroids = centroids_of(points, out.labels, out.sizes);
  }
  for (int64_t i = 0; i < n; ++i)
    out.inertia += squared_distance_to_centroid(points.row(i), out.centroids.data() + out.labels[i] * points.cols,
                                                points.cols);
  return out;
}

// Mean over features of the (population) variance: scales the tolerance.
double mean_feature_variance(const FeatureRows& points) {
  const int64_t n = points.rows, d = points.cols;
  std::vector<double> mean(static_cast<size_t>(d), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) mean[j] += points.row(i)[j];
  for (double& m : mean) m /= static_cast<double>(n);
  double total = 0;
  for (int64_t j = 0; j < d; ++j) {
    double variance = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double e = points.row(i)[j] - mean[j];
      variance += e * e;
    }
    total += variance / static_cast<double>(n);
  }
  return total / static_cast<double>(d);
}

}  // namespace

// ---- kmeans(): validation, restarts, canonical ids --------------------------------

Result<KMeansResult> kmeans(const FeatureRows& points, const KMeansOptions& options, ThreadPool* pool) {
  NL_RETURN_IF_ERROR(check_feature_rows(points, "k-means"));
  const int64_t n = points.rows, d = points.cols, k = options.clusters;
  if (k < 1 || k > n)
    return Status::Error("k-means: the number of clusters must be between 1 and the number of points (" +
                         std::to_string(n) + "), got " + std::to_string(k));
  if (k > std::numeric_limits<int32_t>::max())
    return Status::Error("k-means: " + std::to_string(k) + " clusters is too many");
  if (options.restarts < 1) return Status::Error("k-means: restarts must be >= 1, got " + std::to_string(options.restarts));
  if (options.max_iterations < 1)
    return Status::Error("k-means: max_iterations must be >= 1, got " + std::to_string(options.max_iterations));
  if (!(options.tolerance >= 0) || !std::isfinite(options.tolerance))
    return Status::Error("k-means: tolerance must be finite and >= 0, got " + std::to_string(options.tolerance));

  const double absolute_tolerance = options.tolerance * mean_feature_variance(points);
  RestartOutcome best;
  int best_restart = -1;
  for (int restart = 0; restart < options.restarts; ++restart) {
    SeededRandom random(options.seed, static_cast<uint64_t>(restart));
    RestartOutcome outcome = run_restart(points, options, absolute_tolerance, random, pool);
    if (best_restart < 0 || outcome.inertia < best.inertia) {
      best = std::move(outcome);
      best_restart = restart;
    }
  }

  // Canonical ids: clusters numbered in order of first appearance.
  std::vector<int32_t> renamed(static_cast<size_t>(k), -1);
  int32_t next_id = 0;
  for (int32_t label : best.labels)
    if (renamed[label] < 0) renamed[label] = next_id++;

  KMeansResult result;
  result.clusters = k;
  result.dims = d;
  result.assignments.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) result.assignments[i] = renamed[best.labels[i]];
  result.centroids.resize(static_cast<size_t>(k * d));
  result.cluster_sizes.resize(static_cast<size_t>(k));
  for (int64_t c = 0; c < k; ++c) {
    const int32_t id = renamed[c];
    result.cluster_sizes[id] = best.sizes[c];
    for (int64_t j = 0; j < d; ++j) result.centroids[id * d + j] = best.centroids[c * d + j];
  }
  result.inertia = best.inertia;
  result.iterations = best.iterations;
  result.chosen_restart = best_restart;
  return result;
}

}  // namespace nl
