// Finite-difference gradient checks for any Op.
//
// The objective is L = sum(r * op(inputs)) with a fixed random upstream
// gradient r (never a plain sum, which hides transposition bugs). The analytic
// gradients from Op::backward are compared with central differences of L,
// accumulated in double. Points where the op has a kink (ReLU at 0, max-pool
// ties, clip bounds) are detected by disagreeing one-sided differences and skipped.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "nn/op.h"

namespace nl::test {

struct GradCheckOptions {
  double step = 1e-3;           // finite-difference step, scaled by max(1, |x|)
  double abs_tol = 2e-3;        // |analytic - numeric| <= abs_tol * scale + rel_tol * max(|a|, |n|)
  double rel_tol = 1e-2;
  int max_points = 48;          // checked elements per tensor (random subset when larger)
  bool training = false;
  uint64_t seed = 1;
  std::vector<int> skip_inputs; // inputs whose gradient is not defined (e.g. integer-like)
};

struct GradCheckResult {
  bool ok = true;
  int checked = 0, skipped_kinks = 0;
  std::string failure;  // first failing element, with both values
};

inline void fill_uniform(Tensor& t, std::mt19937_64& rng, float lo = -1.0f, float hi = 1.0f) {
  std::uniform_real_distribution<float> u(lo, hi);
  for (int64_t i = 0; i < t.elements(); ++i) t[i] = u(rng);
}

// L(inputs) = sum(r * op(inputs)), in double.
inline double objective(Op& op, const OpContext& ctx, std::vector<Tensor>& inputs, const Tensor& r) {
  std::vector<Shape> shapes;
  for (auto& t : inputs) shapes.push_back(t.shape());
  Shape out_shape;
  (void)op.output_shape(shapes, &out_shape);
  Tensor y(out_shape);
  std::vector<const Tensor*> ptrs;
  for (auto& t : inputs) ptrs.push_back(&t);
  op.forward(ctx, ptrs, y);
  double sum = 0.0;
  for (int64_t i = 0; i < y.elements(); ++i) sum += static_cast<double>(r[i]) * y[i];
  return sum;
}

// Checks d L / d (one tensor), given the analytic gradient, by perturbing `target`.
inline void compare_tensor(Op& op, const OpContext& ctx, std::vector<Tensor>& inputs, const Tensor& r, Tensor& target,
                           const Tensor& analytic, const std::string& what, const GradCheckOptions& o,
                           std::mt19937_64& rng, GradCheckResult& res) {
  std::vector<int64_t> idx(static_cast<size_t>(target.elements()));
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int64_t>(i);
  if (static_cast<int>(idx.size()) > o.max_points) {
    std::shuffle(idx.begin(), idx.end(), rng);
    idx.resize(static_cast<size_t>(o.max_points));
  }
  double scale = 1e-12;  // magnitude of the gradient, for the absolute tolerance
  for (int64_t i = 0; i < analytic.elements(); ++i) scale = std::max(scale, std::fabs(static_cast<double>(analytic[i])));
  scale = std::max(scale, 1.0);
  for (int64_t i : idx) {
    const float x0 = target[i];
    const double h = o.step * std::max(1.0, std::fabs(static_cast<double>(x0)));
    const double l0 = objective(op, ctx, inputs, r);
    target[i] = static_cast<float>(x0 + h);
    const double hp = static_cast<double>(target[i]) - x0;  // the step actually taken in float
    const double lp = objective(op, ctx, inputs, r);
    target[i] = static_cast<float>(x0 - h);
    const double hm = x0 - static_cast<double>(target[i]);
    const double lm = objective(op, ctx, inputs, r);
    target[i] = x0;
    const double right = (lp - l0) / hp, left = (l0 - lm) / hm;
    const double numeric = (lp - lm) / (hp + hm);
    const double a = analytic[i];
    const double tol_kink = 10 * (o.abs_tol * scale + o.rel_tol * std::max(std::fabs(right), std::fabs(left)));
    if (std::fabs(right - left) > tol_kink) {
      ++res.skipped_kinks;
      continue;
    }
    ++res.checked;
    const double tol = o.abs_tol * scale + o.rel_tol * std::max(std::fabs(a), std::fabs(numeric));
    if (!(std::fabs(a - numeric) <= tol) && res.ok) {
      res.ok = false;
      std::ostringstream s;
      s << what << "[" << i << "]: analytic " << a << " vs numeric " << numeric << " (tolerance " << tol << ")";
      res.failure = s.str();
    }
  }
}

// Runs backward once for all inputs and parameters, then checks each.
inline GradCheckResult check_op_gradients(Op& op, std::vector<Tensor> inputs, const GradCheckOptions& o = {}) {
  GradCheckResult res;
  std::mt19937_64 rng(o.seed);
  OpContext ctx;
  ctx.training = o.training;
  ctx.seed = o.seed;
  std::vector<Shape> shapes;
  for (auto& t : inputs) shapes.push_back(t.shape());
  Shape out_shape;
  Status s = op.output_shape(shapes, &out_shape);
  if (!s.ok()) {
    res.ok = false;
    res.failure = "output_shape failed: " + s.message();
    return res;
  }
  Tensor y(out_shape), r(out_shape);
  fill_uniform(r, rng);
  std::vector<const Tensor*> ptrs;
  for (auto& t : inputs) ptrs.push_back(&t);
  op.forward(ctx, ptrs, y);

  std::vector<Tensor> grads;
  for (auto& t : inputs) grads.emplace_back(t.shape());
  std::vector<Tensor*> gptrs;
  for (size_t i = 0; i < grads.size(); ++i) {
    bool skip = std::find(o.skip_inputs.begin(), o.skip_inputs.end(), static_cast<int>(i)) != o.skip_inputs.end();
    gptrs.push_back(skip ? nullptr : &grads[i]);
  }
  op.zero_param_grads();
  op.backward(ctx, ptrs, y, r, gptrs, true);

  for (size_t i = 0; i < inputs.size(); ++i)
    if (gptrs[i]) compare_tensor(op, ctx, inputs, r, inputs[i], grads[i], "input" + std::to_string(i), o, rng, res);
  for (Param& p : op.params())
    if (p.grad) {
      Tensor analytic = *p.grad;
      compare_tensor(op, ctx, inputs, r, *p.value, analytic, p.name, o, rng, res);
    }
  return res;
}

}  // namespace nl::test
