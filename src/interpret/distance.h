// Distances between feature rows (see feature_rows.h), shared by k-means,
// agglomerative clustering and the silhouette score. Everything accumulates in
// double in a fixed order, so native and WebAssembly builds agree bit for bit.
//
// Cosine distance is 1 - u.v / (|u| |v|), clipped to [0, 2] as SciPy does.
// A zero row has no direction: its cosine distance to any other row is 1
// (similarity 0, as scikit-learn's pairwise cosine gives), and 0 to itself.
// Dead neurons have all-zero profiles, so this case is common, not exotic.
#pragma once
#include <cstdint>
#include <vector>

#include "interpret/feature_rows.h"
#include "kernels/thread_pool.h"
#include "tensor/status.h"

namespace nl {

enum class DistanceMetric { kEuclidean, kCosine };

const char* distance_metric_name(DistanceMetric metric);  // "euclidean", "cosine"

// Sum over k of a[k] * b[k], in double.                a, b: [d]
double dot_product(const float* a, const float* b, int64_t d);
// Sum over k of (a[k] - b[k])^2, in double.            a, b: [d]
double squared_euclidean_distance(const float* a, const float* b, int64_t d);
// 1 - dot / (norm_a * norm_b), clipped to [0, 2]; 1 when a norm is zero.
double cosine_distance_from_dot(double dot, double norm_a, double norm_b);

// Euclidean length of every row.                        returns [n]
std::vector<double> row_norms(const FeatureRows& rows);

// The full distance matrix, symmetric with a zero diagonal.   returns [n x n]
// Rows are validated (finite values). The pool, if given, splits rows.
Result<std::vector<double>> pairwise_distances(const FeatureRows& rows, DistanceMetric metric,
                                               ThreadPool* pool = nullptr);

// Distances from row i to every row (entry i is 0); `norms` from row_norms()
// for cosine (ignored for Euclidean).                   out: [n]
void distances_from_row(const FeatureRows& rows, int64_t i, DistanceMetric metric, const std::vector<double>& norms,
                        double* out);

}  // namespace nl
