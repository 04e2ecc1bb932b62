#include "interpret/distance.h"

#include <algorithm>
#include <cmath>

namespace nl {

const char* distance_metric_name(DistanceMetric metric) {
  return metric == DistanceMetric::kEuclidean ? "euclidean" : "cosine";
}

// Four partial sums break the add-latency chain (about 4x faster than one
// sum, which the compiler may not reorder without -ffast-math); the order is
// fixed, so the result is the same on every platform.
double dot_product(const float* a, const float* b, int64_t d) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t k = 0;
  for (; k + 4 <= d; k += 4) {
    s0 += static_cast<double>(a[k]) * b[k];
    s1 += static_cast<double>(a[k + 1]) * b[k + 1];
    s2 += static_cast<double>(a[k + 2]) * b[k + 2];
    s3 += static_cast<double>(a[k + 3]) * b[k + 3];
  }
  for (; k < d; ++k) s0 += static_cast<double>(a[k]) * b[k];
  return (s0 + s1) + (s2 + s3);
}

double squared_euclidean_distance(const float* a, const float* b, int64_t d) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t k = 0;
  for (; k + 4 <= d; k += 4) {
    const double e0 = static_cast<double>(a[k]) - b[k], e1 = static_cast<double>(a[k + 1]) - b[k + 1];
    const double e2 = static_cast<double>(a[k + 2]) - b[k + 2], e3 = static_cast<double>(a[k + 3]) - b[k + 3];
    s0 += e0 * e0;
    s1 += e1 * e1;
    s2 += e2 * e2;
    s3 += e3 * e3;
  }
  for (; k < d; ++k) {
    const double e = static_cast<double>(a[k]) - b[k];
    s0 += e * e;
  }
  return (s0 + s1) + (s2 + s3);
}

double cosine_distance_from_dot(double dot, double norm_a, double norm_b) {
  if (norm_a == 0.0 || norm_b == 0.0) return 1.0;
  const double cosine = std::clamp(dot / (norm_a * norm_b), -1.0, 1.0);
  return 1.0 - cosine;
}

std::vector<double> row_norms(const FeatureRows& rows) {
  std::vector<double> norms(static_cast<size_t>(rows.rows));
  for (int64_t i = 0; i < rows.rows; ++i) norms[i] = std::sqrt(dot_product(rows.row(i), rows.row(i), rows.cols));
  return norms;
}

void distances_from_row(const FeatureRows& rows, int64_t i, DistanceMetric metric, const std::vector<double>& norms,
                        double* out) {
  const float* a = rows.row(i);
  for (int64_t j = 0; j < rows.rows; ++j) {
    if (j == i) {
      out[j] = 0.0;
    } else if (metric == DistanceMetric::kEuclidean) {
      out[j] = std::sqrt(squared_euclidean_distance(a, rows.row(j), rows.cols));
    } else {
      out[j] = cosine_distance_from_dot(dot_product(a, rows.row(j), rows.cols), norms[i], norms[j]);
    }
  }
}

Result<std::vector<double>> pairwise_distances(const FeatureRows& rows, DistanceMetric metric, ThreadPool* pool) {
  NL_RETURN_IF_ERROR(check_feature_rows(rows, "pairwise_distances"));
  const int64_t n = rows.rows;
  const std::vector<double> norms =
      metric == DistanceMetric::kCosine ? row_norms(rows) : std::vector<double>(static_cast<size_t>(n), 0.0);
  std::vector<double> matrix(static_cast<size_t>(n * n), 0.0);
  // Each task fills the upper triangle of its rows; the mirror is copied after,
  // so both halves hold the very same numbers.
  auto fill_rows = [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const float* a = rows.row(i);
      for (int64_t j = i + 1; j < n; ++j) {
        matrix[i * n + j] =
            metric == DistanceMetric::kEuclidean
                ? std::sqrt(squared_euclidean_distance(a, rows.row(j), rows.cols))
                : cosine_distance_from_dot(dot_product(a, rows.row(j), rows.cols), norms[i], norms[j]);
      }
    }
  };
  if (pool) pool->parallel_for(n, fill_rows);
  else fill_rows(0, n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < i; ++j) matrix[i * n + j] = matrix[j * n + i];
  return matrix;
}

}  // namespace nl
