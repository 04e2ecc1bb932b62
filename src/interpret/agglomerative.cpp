// Agglomerative clustering in SciPy's conventions; see agglomerative.h.
//
// Sections:
//   condensed distances and Lance-Williams updates
//   single linkage (minimum spanning tree)
//   complete / average / Ward (nearest-neighbour chain)
//   sorting and renumbering the merges
//   public entry points
//   leaf order and flat clusters
#include "interpret/agglomerative.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace nl {
namespace {

// ---- condensed distances and Lance-Williams updates -------------------------

// Upper triangle without the diagonal, row by row, as SciPy's pdist:
// entry (i, j), i != j, lives at condensed_index(n, i, j).
int64_t condensed_index(int64_t n, int64_t i, int64_t j) {
  if (i > j) std::swap(i, j);
  return n * i - (i * (i + 1)) / 2 + (j - i - 1);
}

// Distance from cluster i to the union of clusters x and y, from the distances
// before the merge (the Lance-Williams recurrence, written as SciPy does so
// the roundings agree).
double merged_distance(Linkage linkage, double d_xi, double d_yi, double d_xy, int64_t size_x, int64_t size_y,
                       int64_t size_i) {
  switch (linkage) {
    case Linkage::kSingle:
      return std::min(d_xi, d_yi);
    case Linkage::kComplete:
      return std::max(d_xi, d_yi);
    case Linkage::kAverage:
      return (static_cast<double>(size_x) * d_xi + static_cast<double>(size_y) * d_yi) /
             static_cast<double>(size_x + size_y);
    case Linkage::kWard: {
      const double t = 1.0 / static_cast<double>(size_x + size_y + size_i);
      const double squared = static_cast<double>(size_i + size_x) * t * d_xi * d_xi +
                             static_cast<double>(size_i + size_y) * t * d_yi * d_yi -
                             static_cast<double>(size_i) * t * d_xy * d_xy;
      return std::sqrt(std::max(squared, 0.0));  // rounding can leave -1e-17
    }
  }
  return 0;
}

// Merges as found, before sorting: ids are positions 0..n-1 (a merged cluster
// keeps the position of one of its parts), sizes filled in later.
struct RawMerge {
  int64_t a, b;
  double distance;
};

// ---- single linkage (minimum spanning tree) ------------------------------------

// Prim's algorithm from point 0; each tree edge is a merge. SciPy's
// mst_single_linkage, including which point is taken on ties (the lowest).
std::vector<RawMerge> single_linkage_tree(const std::vector<double>& condensed, int64_t n) {
  std::vector<RawMerge> merges;
  merges.reserve(static_cast<size_t>(n - 1));
  std::vector<bool> in_tree(static_cast<size_t>(n), false);
  std::vector<double> nearest(static_cast<size_t>(n), std::numeric_limits<double>::infinity());
  int64_t x = 0;
  for (int64_t k = 0; k < n - 1; ++k) {
    in_tree[x] = true;
    double current_min = std::numeric_limits<double>::infinity();
    int64_t y = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (in_tree[i]) continue;
      nearest[i] = std::min(nearest[i], condensed[condensed_index(n, x, i)]);
      if (nearest[i] < current_min) {
        current_min = nearest[i];
        y = i;
      }
    }
    merges.push_back({x, y, current_min});
    x = y;
  }
  return merges;
}

// ---- complete / average / Ward (nearest-neighbour chain) ----------------------------

// Follows nearest neighbours until two clusters are each other's nearest, then
// merges them into the position of the larger index. SciPy's nn_chain, with
// its tie rule: the previous chain element is preferred, then the lowest index.
std::vector<RawMerge> nearest_neighbour_chain(std::vector<double> condensed, int64_t n, Linkage linkage) {
  std::vector<RawMerge> merges;
  merges.reserve(static_cast<size_t>(n - 1));
  std::vector<int64_t> size(static_cast<size_t>(n), 1);  // 0 once merged away
  std::vector<int64_t> chain;
  chain.reserve(static_cast<size_t>(n));

  for (int64_t k = 0; k < n - 1; ++k) {
    if (chain.empty()) {
      for (int64_t i = 0; i < n; ++i)
        if (size[i] > 0) {
          chain.push_back(i);
          break;
        }
    }
    int64_t x = 0, y = 0;
    double current_min = 0;
    for (;;) {
      x = chain.back();
      if (chain.size() > 1) {
        y = chain[chain.size() - 2];
        current_min = condensed[condensed_index(n, x, y)];
      } else {
        current_min = std::numeric_limits<double>::infinity();
      }
      for (int64_t i = 0; i < n; ++i) {
        if (size[i] == 0 || i == x) continue;
        const double distance = condensed[condensed_index(n, x, i)];
        if (distance < current_min) {
          current_min = distance;
          y = i;
        }
      }
      if (chain.size() > 1 && y == chain[chain.size() - 2]) break;
      chain.push_back(y);
    }
    chain.pop_back();
    chain.pop_back();
    if (x > y) std::swap(x, y);

    const int64_t size_x = size[x], size_y = size[y];
    merges.push_back({x, y, current_min});
    size[x] = 0;
    size[y] = size_x + size_y;
    for (int64_t i = 0; i < n; ++i) {
      if (size[i] == 0 || i == y) continue;
      double& d_yi = condensed[condensed_index(n, i, y)];
      d_yi = merged_distance(linkage, condensed[condensed_index(n, i, x)], d_yi, current_min, size_x, size_y, size[i]);
    }
  }
  return merges;
}

// ---- sorting and renumbering the merges -------------------------------------------

// Sorts merges by distance (stable) and gives them SciPy's ids: each merged
// part is named by the cluster that currently contains it (union-find), the
// smaller id first, and merge r creates id n + r.
Dendrogram to_dendrogram(std::vector<RawMerge> raw, int64_t n) {
  std::stable_sort(raw.begin(), raw.end(),
                   [](const RawMerge& l, const RawMerge& r) { return l.distance < r.distance; });
  std::vector<int64_t> parent(static_cast<size_t>(2 * n - 1));
  std::vector<int64_t> size(static_cast<size_t>(2 * n - 1), 1);
  for (int64_t i = 0; i < 2 * n - 1; ++i) parent[i] = i;
  auto find_root = [&](int64_t x) {
    int64_t root = x;
    while (parent[root] != root) root = parent[root];
    while (parent[x] != root) {  // path compression
      const int64_t next = parent[x];
      parent[x] = root;
      x = next;
    }
    return root;
  };

  Dendrogram dendrogram;
  dendrogram.leaves = n;
  dendrogram.merges.reserve(raw.size());
  for (size_t r = 0; r < raw.size(); ++r) {
    const int64_t a = find_root(raw[r].a), b = find_root(raw[r].b);
    const int64_t created = n + static_cast<int64_t>(r);
    parent[a] = parent[b] = created;
    size[created] = size[a] + size[b];
    dendrogram.merges.push_back({std::min(a, b), std::max(a, b), raw[r].distance, size[created]});
  }
  return dendrogram;
}

Dendrogram cluster_condensed(std::vector<double> condensed, int64_t n, Linkage linkage) {
  if (n < 2) {
    Dendrogram single_leaf;
    single_leaf.leaves = n;
    return single_leaf;
  }
  std::vector<RawMerge> raw = linkage == Linkage::kSingle ? single_linkage_tree(condensed, n)
                                                          : nearest_neighbour_chain(std::move(condensed), n, linkage);
  return to_dendrogram(std::move(raw), n);
}

Status check_item_count(int64_t n, const std::string& who) {
  if (n > kMaxAgglomerativeItems)
    return Status::Error(who + std::to_string(n) + " items is more than the " +
                         std::to_string(kMaxAgglomerativeItems) + " supported (the pairwise distances alone would take " +
                         std::to_string(n * (n - 1) / 2 * 8 / (1 << 20)) + " MB)");
  return Status::Ok();
}

}  // namespace

// ---- public entry points ----------------------------------------------------------

const char* linkage_name(Linkage linkage) {
  switch (linkage) {
    case Linkage::kSingle: return "single";
    case Linkage::kComplete: return "complete";
    case Linkage::kAverage: return "average";
    case Linkage::kWard: return "ward";
  }
  return "?";
}

Result<Dendrogram> agglomerative_clustering(const FeatureRows& points, DistanceMetric metric, Linkage linkage,
                                            ThreadPool* pool) {
  NL_RETURN_IF_ERROR(check_feature_rows(points, "agglomerative clustering"));
  NL_RETURN_IF_ERROR(check_item_count(points.rows, "agglomerative clustering: "));
  if (linkage == Linkage::kWard && metric != DistanceMetric::kEuclidean)
    return Status::Error(std::string("agglomerative clustering: Ward linkage needs Euclidean distances, got ") +
                         distance_metric_name(metric));
  // Straight into the condensed form (half the memory of the square matrix).
  const int64_t n = points.rows;
  const std::vector<double> norms = metric == DistanceMetric::kCosine ? row_norms(points) : std::vector<double>();
  std::vector<double> condensed(static_cast<size_t>(n * (n - 1) / 2));
  auto fill_rows = [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      if (i == n - 1) continue;
      double* out = condensed.data() + condensed_index(n, i, i + 1);
      for (int64_t j = i + 1; j < n; ++j)
        *out++ = metric == DistanceMetric::kEuclidean
                     ? std::sqrt(squared_euclidean_distance(points.row(i), points.row(j), points.cols))
                     : cosine_distance_from_dot(dot_product(points.row(i), points.row(j), points.cols), norms[i],
                                                norms[j]);
    }
  };
  if (pool) pool->parallel_for(n, fill_rows);
  else fill_rows(0, n);
  return cluster_condensed(std::move(condensed), n, linkage);
}

Result<Dendrogram> agglomerative_clustering_from_distances(std::span<const double> distances, int64_t n,
                                                           Linkage linkage) {
  const std::string who = "agglomerative clustering from distances: ";
  if (n < 1) return Status::Error(who + "needs at least one item, got n = " + std::to_string(n));
  NL_RETURN_IF_ERROR(check_item_count(n, who));
  if (static_cast<int64_t>(distances.size()) != n * n)
    return Status::Error(who + std::to_string(distances.size()) + " values do not make a " + std::to_string(n) +
                         " x " + std::to_string(n) + " matrix");
  std::vector<double> condensed(static_cast<size_t>(n * (n - 1) / 2));
  for (int64_t i = 0, c = 0; i < n; ++i) {
    if (distances[i * n + i] != 0)
      return Status::Error(who + "diagonal entry (" + std::to_string(i) + ", " + std::to_string(i) +
                           ") is " + std::to_string(distances[i * n + i]) + ", not 0");
    for (int64_t j = i + 1; j < n; ++j) {
      const double d = distances[i * n + j];
      if (!std::isfinite(d) || d < 0)
        return Status::Error(who + "entry (" + std::to_string(i) + ", " + std::to_string(j) + ") is " +
                             std::to_string(d) + "; distances must be finite and >= 0");
      if (d != distances[j * n + i])
        return Status::Error(who + "not symmetric: (" + std::to_string(i) + ", " + std::to_string(j) + ") is " +
                             std::to_string(d) + " but (" + std::to_string(j) + ", " + std::to_string(i) + ") is " +
                             std::to_string(distances[j * n + i]));
      condensed[c++] = d;
    }
  }
  return cluster_condensed(std::move(condensed), n, linkage);
}

std::vector<double> linkage_matrix(const Dendrogram& dendrogram) {
  std::vector<double> z;
  z.reserve(dendrogram.merges.size() * 4);
  for (const Merge& m : dendrogram.merges) {
    z.push_back(static_cast<double>(m.first));
    z.push_back(static_cast<double>(m.second));
    z.push_back(m.distance);
    z.push_back(static_cast<double>(m.size));
  }
  return z;
}

// ---- leaf order and flat clusters ---------------------------------------------------

std::vector<int64_t> dendrogram_leaf_order(const Dendrogram& dendrogram) {
  const int64_t n = dendrogram.leaves;
  std::vector<int64_t> order;
  order.reserve(static_cast<size_t>(std::max<int64_t>(n, 0)));
  if (n == 1) order.push_back(0);
  if (n < 2) return order;
  // Depth-first with an explicit stack (a chain-shaped tree is n deep).
  std::vector<int64_t> stack{2 * n - 2};
  while (!stack.empty()) {
    const int64_t node = stack.back();
    stack.pop_back();
    if (node < n) {
      order.push_back(node);
      continue;
    }
    const Merge& m = dendrogram.merges[node - n];
    stack.push_back(m.second);
    stack.push_back(m.first);
  }
  return order;
}

namespace {

// Number of flat clusters when every subtree whose highest merge is <= cutoff
// becomes one cluster: the nodes within the cutoff whose parent is not.
//   highest: [n - 1], the highest merge under each merge row
int64_t count_clusters_at(const Dendrogram& dendrogram, const std::vector<double>& highest, double cutoff) {
  const int64_t n = dendrogram.leaves;
  int64_t count = highest[n - 2] <= cutoff ? 1 : 0;  // the root
  for (int64_t r = 0; r < n - 1; ++r) {
    if (highest[r] <= cutoff) continue;
    for (int64_t child : {dendrogram.merges[r].first, dendrogram.merges[r].second})
      if (child < n || highest[child - n] <= cutoff) ++count;
  }
  return count;
}

// SciPy's cluster_monocrit numbering: depth first from the root, first child
// subtree, then second, then the node's own leaf children; a new id starts at
// each subtree within the cutoff and at each leaf outside one.
std::vector<int32_t> number_clusters(const Dendrogram& dendrogram, const std::vector<double>& highest,
                                     double cutoff) {
  const int64_t n = dendrogram.leaves;
  std::vector<int32_t> ids(static_cast<size_t>(n), 0);
  int32_t clusters = 0;
  int64_t leader = -1;  // the merge row whose subtree is the current cluster
  struct Frame {
    int64_t row;
    int stage;  // 0: entering, 1: first child done, 2: both children done
  };
  std::vector<Frame> stack{{n - 2, 0}};
  while (!stack.empty()) {
    Frame& frame = stack.back();
    const Merge& m = dendrogram.merges[frame.row];
    if (frame.stage == 0) {
      if (leader < 0 && highest[frame.row] <= cutoff) {
        leader = frame.row;
        ++clusters;
      }
      frame.stage = 1;
      if (m.first >= n) {
        stack.push_back({m.first - n, 0});
        continue;
      }
    }
    if (frame.stage == 1) {
      frame.stage = 2;
      if (m.second >= n) {
        stack.push_back({m.second - n, 0});
        continue;
      }
    }
    for (int64_t child : {m.first, m.second}) {
      if (child >= n) continue;
      if (leader < 0) ++clusters;
      ids[child] = clusters - 1;
    }
    if (leader == frame.row) leader = -1;
    stack.pop_back();
  }
  return ids;
}

}  // namespace

Result<std::vector<int32_t>> cut_dendrogram(const Dendrogram& dendrogram, int64_t max_clusters) {
  const int64_t n = dendrogram.leaves;
  if (n < 1 || static_cast<int64_t>(dendrogram.merges.size()) != n - 1)
    return Status::Error("cut_dendrogram: a dendrogram of " + std::to_string(n) + " leaves needs " +
                         std::to_string(std::max<int64_t>(n - 1, 0)) + " merges, it has " +
                         std::to_string(dendrogram.merges.size()));
  if (max_clusters < 1)
    return Status::Error("cut_dendrogram: max_clusters must be >= 1, got " + std::to_string(max_clusters));
  std::vector<int32_t> ids(static_cast<size_t>(n));
  if (max_clusters >= n) {  // every leaf on its own
    for (int64_t i = 0; i < n; ++i) ids[i] = static_cast<int32_t>(i);
    return ids;
  }
  // highest[r]: the highest merge in the subtree of row r (children come first).
  std::vector<double> highest(static_cast<size_t>(n - 1));
  for (int64_t r = 0; r < n - 1; ++r) {
    const Merge& m = dendrogram.merges[r];
    highest[r] = m.distance;
    if (m.first >= n) highest[r] = std::max(highest[r], highest[m.first - n]);
    if (m.second >= n) highest[r] = std::max(highest[r], highest[m.second - n]);
  }
  // The lowest cutoff among the heights leaving at most max_clusters clusters:
  // SciPy's bisection over rows, same bounds (lower = -1 stands for "below
  // every merge"; upper = n - 1 is never evaluated since n >= 2 here).
  int64_t lower = -1, upper = n - 1;
  while (upper - lower > 1) {
    const int64_t middle = (lower + upper) / 2;
    if (count_clusters_at(dendrogram, highest, highest[middle]) > max_clusters) lower = middle;
    else upper = middle;
  }
  return number_clusters(dendrogram, highest, highest[upper]);
}

}  // namespace nl
