// Non-negative matrix factorisation: V ~ W H with V [n x m] >= 0,
// W [n x r] >= 0, H [r x m] >= 0, minimising the Frobenius error |V - W H|.
// With V = activations (rows: neurons, columns: images or categories), each
// of the r components is a group of neurons (W's columns say how much each
// neuron belongs) with a typical response pattern (H's rows) (METHOD.md,
// "Clustering over network neurons").
//
// Two solvers, both monotone (the error never increases from one iteration to
// the next, up to rounding):
// - HALS (hierarchical alternating least squares; default): exact
//   non-negative least squares on one column of W / row of H at a time.
//   Converges much faster than multiplicative updates.
// - Multiplicative updates (Lee & Seung): the classic, simple one.
// Seeded and deterministic: W and H start uniform in [0, sqrt(mean(V) / r)).
// At the end each row of H is scaled to unit Euclidean length and the
// matching column of W takes the scale, so W's columns are comparable.
#pragma once
#include <cstdint>
#include <vector>

#include "interpret/feature_rows.h"
#include "tensor/status.h"

namespace nl {

enum class NmfSolver { kHals, kMultiplicative };

struct NmfOptions {
  int64_t components = 4;     // r >= 1
  NmfSolver solver = NmfSolver::kHals;
  int max_iterations = 500;   // one iteration updates W, then H
  // Stop when an iteration lowers the error by less than this fraction of the
  // initial error (0: run all iterations).
  double tolerance = 1e-6;
  uint64_t seed = 0;
};

struct NmfResult {
  int64_t rows = 0, cols = 0, components = 0;  // n, m, r
  std::vector<double> w;                        // [n x r], row-major
  std::vector<double> h;                        // [r x m], row-major, rows of unit length (or zero)
  double reconstruction_error = 0;              // |V - W H|_F (Frobenius norm, not squared)
  std::vector<double> error_history;            // [iterations + 1]: after initialisation, then after each iteration
  int iterations = 0;
};

// v: [n x m], every value finite and >= 0.
Result<NmfResult> nmf(const FeatureRows& v, const NmfOptions& options);

// The component each row (neuron) belongs to most: argmax of its row of W,
// the lowest on ties, -1 for a row of W that is all zero (a neuron that never
// responds).   returns [n]
std::vector<int32_t> nmf_dominant_components(const NmfResult& result);

}  // namespace nl
