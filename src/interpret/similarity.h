// Similarity matrices between row vectors: cosine and Pearson correlation.
// For the C x C category similarity of METHOD.md (B): each category is the
// vector of its neuron responses (Act or gamma at a layer), rows [C x K];
// the matrix is shown as a heatmap and, through similarity_to_distance(),
// clustered agglomeratively.
//
// Conventions: matrices are exactly symmetric with a diagonal of 1 (every row
// is identical to itself), values clipped to [-1, 1], computed in double. A
// row without direction (all zero for cosine, constant for Pearson) has
// similarity 0 with every other row: it is unrelated, not undefined (NumPy
// would give NaN, which would poison the clustering).
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "interpret/feature_rows.h"
#include "tensor/status.h"

namespace nl {

// u.v / (|u| |v|) for every pair of rows.          rows: [n x d]; returns [n x n]
Result<std::vector<double>> cosine_similarity_matrix(const FeatureRows& rows);

// Pearson correlation of every pair of rows: the cosine similarity of the rows
// minus their means (numpy.corrcoef).             rows: [n x d]; returns [n x n]
Result<std::vector<double>> pearson_similarity_matrix(const FeatureRows& rows);

// 1 - similarity with a zero diagonal, clamped at 0 and kept exactly
// symmetric: the input of agglomerative_clustering_from_distances() (for
// Pearson this is SciPy's "correlation" distance).
//   similarity: [n x n]; returns [n x n]
Result<std::vector<double>> similarity_to_distance(std::span<const double> similarity, int64_t n);

}  // namespace nl
