// k-means clustering (Lloyd's algorithm) with greedy k-means++ seeding and
// several seeded restarts, keeping the restart of lowest inertia. Used to
// cluster a layer's neurons by their feature vectors (METHOD.md, "Clustering
// over network neurons").
//
// Deterministic: the same points, options and seed give the same result, bit
// for bit, natively and in WebAssembly, with or without a thread pool (random
// draws come from seeded_random.h; sums run in double in a fixed order).
//
// Conventions:
// - Every cluster is non-empty (k <= n is required). When k exceeds the number
//   of distinct points, identical points are split between clusters (inertia
//   is then 0). A cluster left empty during the iterations takes the point
//   farthest from its centroid, as scikit-learn does.
// - Cluster ids are canonical: numbered in order of first appearance, so point
//   0 is in cluster 0, the first point not in cluster 0 is in cluster 1, ...
//   Two runs that find the same partition report the same ids.
#pragma once
#include <cstdint>
#include <vector>

#include "interpret/feature_rows.h"
#include "kernels/thread_pool.h"
#include "tensor/status.h"

namespace nl {

struct KMeansOptions {
  int64_t clusters = 8;      // k, 1 <= k <= n
  int restarts = 10;         // independent k-means++ starts; the lowest inertia wins
  int max_iterations = 300;  // Lloyd iterations per restart
  // Stop when the centroids move less than this (summed squared shift),
  // relative to the mean per-feature variance of the data (scikit-learn's tol).
  double tolerance = 1e-4;
  uint64_t seed = 0;
};

struct KMeansResult {
  int64_t clusters = 0;                // k
  int64_t dims = 0;                    // d
  std::vector<int32_t> assignments;    // [n], cluster id of each point, 0..k-1
  std::vector<double> centroids;       // [k x d], row-major
  std::vector<int64_t> cluster_sizes;  // [k], points per cluster, all >= 1
  double inertia = 0;                  // sum over points of squared distance to their centroid
  int iterations = 0;                  // Lloyd iterations of the chosen restart
  int chosen_restart = 0;              // which restart (0-based) gave the result
};

// points: [n x d]. The pool, if given, splits the assignment step over points
// (the result does not depend on it).
Result<KMeansResult> kmeans(const FeatureRows& points, const KMeansOptions& options, ThreadPool* pool = nullptr);

}  // namespace nl
