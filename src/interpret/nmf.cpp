// Non-negative matrix factorisation by HALS or multiplicative updates; see nmf.h.
#include "interpret/nmf.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "interpret/seeded_random.h"

namespace nl {
namespace {

// Dense row-major products, plain loops in a fixed order (sizes are a layer's
// neurons by some hundreds of images: small).

// out[a x b] = x[a x c] * y[b x c]^T: dot products of rows, with four partial
// sums (a single sum waits on the adder; the order is fixed, so every
// platform gets the same bits).
void multiply_by_transpose(const std::vector<double>& x, const std::vector<double>& y, int64_t a, int64_t b,
                           int64_t c, std::vector<double>& out) {
  out.assign(static_cast<size_t>(a * b), 0.0);
  for (int64_t i = 0; i < a; ++i) {
    const double* xi = x.data() + i * c;
    for (int64_t j = 0; j < b; ++j) {
      const double* yj = y.data() + j * c;
      double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      int64_t k = 0;
      for (; k + 4 <= c; k += 4) {
        s0 += xi[k] * yj[k];
        s1 += xi[k + 1] * yj[k + 1];
        s2 += xi[k + 2] * yj[k + 2];
        s3 += xi[k + 3] * yj[k + 3];
      }
      for (; k < c; ++k) s0 += xi[k] * yj[k];
      out[i * b + j] = (s0 + s1) + (s2 + s3);
    }
  }
}

// out[b x a] = y[c x b]^T * x[c x a]: sums of scaled rows of x, long
// contiguous loops the compiler vectorises (without reordering any sum).
void transpose_times(const std::vector<double>& y, const std::vector<double>& x, int64_t c, int64_t b, int64_t a,
                     std::vector<double>& out) {
  out.assign(static_cast<size_t>(b * a), 0.0);
  for (int64_t k = 0; k < c; ++k) {
    const double* xk = x.data() + k * a;
    for (int64_t j = 0; j < b; ++j) {
      const double y_kj = y[k * b + j];
      if (y_kj == 0) continue;
      double* row = out.data() + j * a;
      for (int64_t i = 0; i < a; ++i) row[i] += y_kj * xk[i];
    }
  }
}

// |V - W H|_F.   v: [n x m], w: [n x r], h: [r x m]
double frobenius_error(const std::vector<double>& v, const std::vector<double>& w, const std::vector<double>& h,
                       int64_t n, int64_t m, int64_t r) {
  double total = 0;
  std::vector<double> row(static_cast<size_t>(m));
  for (int64_t i = 0; i < n; ++i) {
    std::fill(row.begin(), row.end(), 0.0);
    for (int64_t k = 0; k < r; ++k) {
      const double w_ik = w[i * r + k];
      for (int64_t j = 0; j < m; ++j) row[j] += w_ik * h[k * m + j];
    }
    for (int64_t j = 0; j < m; ++j) {
      const double e = v[i * m + j] - row[j];
      total += e * e;
    }
  }
  return std::sqrt(total);
}

// HALS step for the factor F [rows x r] of  V ~ F G, given
//   numerator = V G^T [rows x r] and gram = G G^T [r x r]:
// each column k in turn gets its exact non-negative least-squares solution
// with the other columns fixed.
void hals_update(std::vector<double>& f, const std::vector<double>& numerator, const std::vector<double>& gram,
                 int64_t rows, int64_t r) {
  for (int64_t k = 0; k < r; ++k) {
    const double diagonal = gram[k * r + k];
    if (diagonal <= 0) continue;  // component k is all zero in G: F's column does not matter
    for (int64_t i = 0; i < rows; ++i) {
      double fitted = 0;
      for (int64_t l = 0; l < r; ++l) fitted += f[i * r + l] * gram[l * r + k];
      f[i * r + k] = std::max(0.0, f[i * r + k] + (numerator[i * r + k] - fitted) / diagonal);
    }
  }
}

// Multiplicative step F <- F * numerator / (F gram), elementwise; the tiny
// floor only keeps 0 / 0 away (a zero entry stays zero).
void multiplicative_update(std::vector<double>& f, const std::vector<double>& numerator,
                           const std::vector<double>& gram, int64_t rows, int64_t r) {
  const double floor = std::numeric_limits<double>::min();
  std::vector<double> updated(f.size());
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t k = 0; k < r; ++k) {
      double denominator = 0;
      for (int64_t l = 0; l < r; ++l) denominator += f[i * r + l] * gram[l * r + k];
      updated[i * r + k] = f[i * r + k] * numerator[i * r + k] / (denominator + floor);
    }
  f.swap(updated);
}

}  // namespace

Result<NmfResult> nmf(const FeatureRows& v_rows, const NmfOptions& options) {
  NL_RETURN_IF_ERROR(check_feature_rows(v_rows, "NMF"));
  const int64_t n = v_rows.rows, m = v_rows.cols, r = options.components;
  for (size_t i = 0; i < v_rows.values.size(); ++i)
    if (v_rows.values[i] < 0)
      return Status::Error("NMF: the matrix must be non-negative, value at row " +
                           std::to_string(static_cast<int64_t>(i) / m) + ", column " +
                           std::to_string(static_cast<int64_t>(i) % m) + " is " + std::to_string(v_rows.values[i]));
  if (r < 1) return Status::Error("NMF: components must be >= 1, got " + std::to_string(r));
  if (options.max_iterations < 1)
    return Status::Error("NMF: max_iterations must be >= 1, got " + std::to_string(options.max_iterations));
  if (!(options.tolerance >= 0) || !std::isfinite(options.tolerance))
    return Status::Error("NMF: tolerance must be finite and >= 0, got " + std::to_string(options.tolerance));

  std::vector<double> v(v_rows.values.begin(), v_rows.values.end());  // [n x m]
  double mean = 0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(n * m);

  NmfResult result;
  result.rows = n;
  result.cols = m;
  result.components = r;
  std::vector<double>& w = result.w;  // [n x r]
  std::vector<double>& h = result.h;  // [r x m]
  w.resize(static_cast<size_t>(n * r));
  h.resize(static_cast<size_t>(r * m));
  SeededRandom random(options.seed);
  const double scale = std::sqrt(mean / static_cast<double>(r));
  for (double& x : w) x = scale * random.uniform01();
  for (double& x : h) x = scale * random.uniform01();

  result.error_history.push_back(frobenius_error(v, w, h, n, m, r));
  const double initial_error = result.error_history.front();
  std::vector<double> numerator, numerator_t, gram, h_transposed(static_cast<size_t>(m * r));
  for (int iteration = 0; iteration < options.max_iterations && result.error_history.back() > 0; ++iteration) {
    // W step: V ~ W H, numerator V H^T [n x r], gram H H^T [r x r].
    multiply_by_transpose(v, h, n, r, m, numerator);
    multiply_by_transpose(h, h, r, r, m, gram);
    if (options.solver == NmfSolver::kHals) hals_update(w, numerator, gram, n, r);
    else multiplicative_update(w, numerator, gram, n, r);

    // H step on the transposed problem V^T ~ H^T W^T: numerator V^T W [m x r],
    // gram W^T W [r x r].
    for (int64_t k = 0; k < r; ++k)
      for (int64_t j = 0; j < m; ++j) h_transposed[j * r + k] = h[k * m + j];
    transpose_times(w, v, n, r, m, numerator_t);  // W^T V [r x m]
    numerator.resize(static_cast<size_t>(m * r));
    for (int64_t k = 0; k < r; ++k)
      for (int64_t j = 0; j < m; ++j) numerator[j * r + k] = numerator_t[k * m + j];
    transpose_times(w, w, n, r, r, gram);  // W^T W [r x r]
    if (options.solver == NmfSolver::kHals) hals_update(h_transposed, numerator, gram, m, r);
    else multiplicative_update(h_transposed, numerator, gram, m, r);
    for (int64_t k = 0; k < r; ++k)
      for (int64_t j = 0; j < m; ++j) h[k * m + j] = h_transposed[j * r + k];

    ++result.iterations;
    const double previous = result.error_history.back();
    result.error_history.push_back(frobenius_error(v, w, h, n, m, r));
    if (options.tolerance > 0 && previous - result.error_history.back() < options.tolerance * initial_error) break;
  }

  // Unit-length rows of H; W's columns carry the scale.
  for (int64_t k = 0; k < r; ++k) {
    double norm = 0;
    for (int64_t j = 0; j < m; ++j) norm += h[k * m + j] * h[k * m + j];
    norm = std::sqrt(norm);
    if (norm == 0) continue;
    for (int64_t j = 0; j < m; ++j) h[k * m + j] /= norm;
    for (int64_t i = 0; i < n; ++i) w[i * r + k] *= norm;
  }
  result.reconstruction_error = frobenius_error(v, w, h, n, m, r);
  return result;
}

std::vector<int32_t> nmf_dominant_components(const NmfResult& result) {
  const int64_t n = result.rows, r = result.components;
  std::vector<int32_t> components(static_cast<size_t>(n), -1);
  for (int64_t i = 0; i < n; ++i) {
    double best = 0;
    for (int64_t k = 0; k < r; ++k)
      if (result.w[i * r + k] > best) {
        best = result.w[i * r + k];
        components[i] = static_cast<int32_t>(k);
      }
  }
  return components;
}

}  // namespace nl
