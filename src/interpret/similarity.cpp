// Cosine and Pearson similarity matrices; see similarity.h.
#include "interpret/similarity.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace nl {
namespace {

// Cosine similarity between the rows of a double matrix.   rows: [n x d]
std::vector<double> cosine_of_rows(const std::vector<double>& rows, int64_t n, int64_t d) {
  std::vector<double> norms(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    double sum = 0;
    for (int64_t k = 0; k < d; ++k) sum += rows[i * d + k] * rows[i * d + k];
    norms[i] = std::sqrt(sum);
  }
  std::vector<double> similarity(static_cast<size_t>(n * n));
  for (int64_t i = 0; i < n; ++i) {
    similarity[i * n + i] = 1.0;
    for (int64_t j = i + 1; j < n; ++j) {
      double value = 0;
      if (norms[i] > 0 && norms[j] > 0) {
        double dot = 0;
        for (int64_t k = 0; k < d; ++k) dot += rows[i * d + k] * rows[j * d + k];
        value = std::clamp(dot / (norms[i] * norms[j]), -1.0, 1.0);
      }
      similarity[i * n + j] = similarity[j * n + i] = value;
    }
  }
  return similarity;
}

}  // namespace

Result<std::vector<double>> cosine_similarity_matrix(const FeatureRows& rows) {
  NL_RETURN_IF_ERROR(check_feature_rows(rows, "cosine similarity"));
  const std::vector<double> values(rows.values.begin(), rows.values.end());
  return cosine_of_rows(values, rows.rows, rows.cols);
}

Result<std::vector<double>> pearson_similarity_matrix(const FeatureRows& rows) {
  NL_RETURN_IF_ERROR(check_feature_rows(rows, "Pearson similarity"));
  const int64_t n = rows.rows, d = rows.cols;
  std::vector<double> centred(rows.values.begin(), rows.values.end());
  for (int64_t i = 0; i < n; ++i) {
    double mean = 0;
    for (int64_t k = 0; k < d; ++k) mean += centred[i * d + k];
    mean /= static_cast<double>(d);
    for (int64_t k = 0; k < d; ++k) centred[i * d + k] -= mean;
  }
  return cosine_of_rows(centred, n, d);
}

Result<std::vector<double>> similarity_to_distance(std::span<const double> similarity, int64_t n) {
  if (n < 1 || static_cast<int64_t>(similarity.size()) != n * n)
    return Status::Error("similarity_to_distance: " + std::to_string(similarity.size()) +
                         " values do not make a " + std::to_string(n) + " x " + std::to_string(n) + " matrix");
  std::vector<double> distance(static_cast<size_t>(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i + 1; j < n; ++j) {
      const double s = similarity[i * n + j];
      if (!std::isfinite(s) || s != similarity[j * n + i])
        return Status::Error("similarity_to_distance: entries (" + std::to_string(i) + ", " + std::to_string(j) +
                             ") = " + std::to_string(s) + " and (" + std::to_string(j) + ", " + std::to_string(i) +
                             ") = " + std::to_string(similarity[j * n + i]) + " must be finite and equal");
      distance[i * n + j] = distance[j * n + i] = std::max(0.0, 1.0 - s);
    }
  return distance;
}

}  // namespace nl
