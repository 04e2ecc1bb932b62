// Helpers shared by the op tests: random sizes and tensors, running one op
// outside a graph, and a gradient check that reports what failed.
#pragma once
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gradcheck.h"
#include "nn/op.h"

namespace nl::test {

inline int random_int(std::mt19937_64& rng, int lo, int hi) {  // in [lo, hi]
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

inline float random_float(std::mt19937_64& rng, float lo, float hi) {
  return std::uniform_real_distribution<float>(lo, hi)(rng);
}

inline Tensor random_tensor(const Shape& shape, std::mt19937_64& rng, float lo = -1.0f, float hi = 1.0f) {
  Tensor t(shape);
  fill_uniform(t, rng, lo, hi);
  return t;
}

// Moves elements that lie within a few finite-difference steps of a kink
// (where the derivative jumps) out to a safe distance: the checker skips most
// such points, but one whose step only just crosses the kink can slip through.
inline void push_away_from_kinks(Tensor& t, std::initializer_list<float> kinks) {
  for (int64_t i = 0; i < t.elements(); ++i)
    for (float k : kinks) {
      const float margin = 5e-3f * std::max(1.0f, std::fabs(k));
      if (std::fabs(t[i] - k) < margin) t[i] = t[i] < k ? k - margin : k + margin;
    }
}

// Distinct values 0.01 apart in random order, centred on 0: no two elements
// come within a finite-difference step of each other (no max-pool near-ties).
inline Tensor random_distinct_tensor(const Shape& shape, std::mt19937_64& rng) {
  Tensor t(shape);
  std::vector<int64_t> order(static_cast<size_t>(t.elements()));
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
  std::shuffle(order.begin(), order.end(), rng);
  const double centre = 0.5 * static_cast<double>(order.size());
  for (size_t i = 0; i < order.size(); ++i)
    t[static_cast<int64_t>(i)] = static_cast<float>(0.01 * (static_cast<double>(order[i]) - centre));
  return t;
}

// A shape of the given rank with every size in [1, max_size].
inline Shape random_shape(std::mt19937_64& rng, int rank, int max_size) {
  Shape s;
  switch (rank) {
    case 1: s = Shape{0}; break;
    case 2: s = Shape{0, 0}; break;
    case 3: s = Shape{0, 0, 0}; break;
    default: s = Shape{0, 0, 0, 0}; break;
  }
  for (int i = 0; i < s.rank(); ++i) s[i] = random_int(rng, 1, max_size);
  return s;
}

// Runs output_shape (which must succeed) and forward.
inline Tensor run_forward(Op& op, const std::vector<const Tensor*>& inputs, const OpContext& ctx = {}) {
  std::vector<Shape> shapes;
  for (const Tensor* t : inputs) shapes.push_back(t->shape());
  Shape out_shape;
  const Status s = op.output_shape(shapes, &out_shape);
  INFO(op.type() << ": " << s.message());
  REQUIRE(s.ok());
  Tensor y(out_shape);
  op.forward(ctx, inputs, y);
  return y;
}

// Input gradients from zeroed buffers (parameter gradients accumulate in the op).
inline std::vector<Tensor> run_backward(Op& op, const std::vector<const Tensor*>& inputs, const Tensor& output,
                                        const Tensor& output_grad, const OpContext& ctx = {},
                                        bool want_param_grads = false) {
  std::vector<Tensor> grads;
  for (const Tensor* t : inputs) grads.emplace_back(t->shape());
  std::vector<Tensor*> ptrs;
  for (Tensor& g : grads) ptrs.push_back(&g);
  op.backward(ctx, inputs, output, output_grad, ptrs, want_param_grads);
  return grads;
}

// Finite-difference check of every input and parameter gradient, with the
// configuration in the failure message. Returns the number of points checked.
inline int expect_gradients_match(Op& op, std::vector<Tensor> inputs, const GradCheckOptions& options,
                                  const std::string& config) {
  const GradCheckResult r = check_op_gradients(op, std::move(inputs), options);
  INFO(op.type() << " " << config << ": " << r.failure);
  CHECK(r.ok);
  return r.checked;
}

// The op from a create() that must succeed.
template <typename T>
std::unique_ptr<T> unwrap(Result<std::unique_ptr<T>> created) {
  INFO(created.status().message());
  REQUIRE(created.ok());
  return std::move(created.value());
}

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace nl::test
