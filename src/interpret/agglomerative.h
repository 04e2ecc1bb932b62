// Agglomerative (hierarchical) clustering with SciPy's conventions, so that
// merges, dendrogram leaf order and flat clusters match scipy.cluster.hierarchy:
//   linkage(X, method, metric)   -> agglomerative_clustering()
//   leaves_list(Z) / dendrogram  -> dendrogram_leaf_order()
//   fcluster(Z, k, 'maxclust')   -> cut_dendrogram() (ids 0-based: SciPy's minus 1)
// Used to cluster neurons (cosine or Euclidean) and, from a C x C similarity,
// image categories (METHOD.md, "Clustering over image categories" (B)).
//
// The algorithms are SciPy's, tie-breaking included: single linkage through a
// minimum spanning tree, the others (complete, average, Ward) through the
// nearest-neighbour chain; merges are then stably sorted by distance and
// renumbered. Cluster ids: leaves are 0..n-1, merge row r creates id n + r.
//
// One deliberate difference: SciPy 1.10 (Debian 12) never tries the lowest
// merge height in fcluster's maxclust search, so it can return fewer clusters
// than it could (e.g. 3 points, k = 2 gives 1 cluster; k >= n does too). Later
// SciPy releases fixed that search; cut_dendrogram() follows the fixed one.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "interpret/distance.h"
#include "interpret/feature_rows.h"
#include "kernels/thread_pool.h"
#include "tensor/status.h"

namespace nl {

enum class Linkage {
  kSingle,    // nearest members
  kComplete,  // farthest members
  kAverage,   // mean over member pairs (UPGMA)
  kWard,      // increase of within-cluster variance; Euclidean distances only
};

const char* linkage_name(Linkage linkage);  // "single", "complete", "average", "ward"

// One row of SciPy's linkage matrix Z.
struct Merge {
  int64_t first = 0;    // the smaller id of the two merged clusters
  int64_t second = 0;   // the larger id
  double distance = 0;  // linkage distance between them: the merge height
  int64_t size = 0;     // leaves under the new cluster
};

struct Dendrogram {
  int64_t leaves = 0;         // n
  std::vector<Merge> merges;  // [n - 1]; row r creates cluster n + r; heights non-decreasing
};

// At most this many items: the algorithms keep n (n - 1) / 2 distances in
// double (256 MB at the limit), a lot for a WebAssembly heap.
inline constexpr int64_t kMaxAgglomerativeItems = 8192;

// points: [n x d]. Ward needs Euclidean distances (as in SciPy).
Result<Dendrogram> agglomerative_clustering(const FeatureRows& points, DistanceMetric metric, Linkage linkage,
                                            ThreadPool* pool = nullptr);

// From a precomputed distance matrix, e.g. 1 - similarity for categories.
//   distances: [n x n], symmetric, zero diagonal, finite, >= 0
Result<Dendrogram> agglomerative_clustering_from_distances(std::span<const double> distances, int64_t n,
                                                           Linkage linkage);

// SciPy's Z: rows [first, second, distance, size].       returns [(n - 1) x 4]
std::vector<double> linkage_matrix(const Dendrogram& dendrogram);

// Leaves from left to right as the dendrogram draws them (pre-order, first
// child before second), as scipy.cluster.hierarchy.leaves_list.  returns [n]
std::vector<int64_t> dendrogram_leaf_order(const Dendrogram& dendrogram);

// Flat clusters: the lowest cut of the tree giving at most max_clusters
// clusters (fewer only when merge heights tie). Ids 0..count-1 numbered as
// SciPy's fcluster numbers them (its ids minus 1).          returns [n]
Result<std::vector<int32_t>> cut_dendrogram(const Dendrogram& dendrogram, int64_t max_clusters);

}  // namespace nl
