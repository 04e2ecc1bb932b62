// Elementwise activations: ReLU, Clip (ReLU6), LeakyReLU, Sigmoid, Tanh,
// HardSigmoid, HardSwish. Each is checked against a double-precision
// reference on random shapes and settings, by finite differences on the same
// configurations, on hand-computed values, and for rejected settings.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <limits>

#include "kernels/exp_f32.h"
#include "nn/ops/clip.h"
#include "nn/ops/hard_sigmoid.h"
#include "nn/ops/hard_swish.h"
#include "nn/ops/leaky_relu.h"
#include "nn/ops/relu.h"
#include "nn/ops/sigmoid.h"
#include "nn/ops/tanh.h"
#include "op_test_util.h"

using namespace nl;
using namespace nl::test;

namespace {

// One random configuration of an activation: the op, its double reference,
// and a description for failure messages.
struct Activation {
  std::unique_ptr<Op> op;
  std::function<double(double)> reference;
  std::string description;
  std::vector<float> kinks = {};  // inputs where the derivative jumps
};

// For each of 200 random shapes and settings: forward against the reference
// (absolute tolerance abs_tol plus relative rel_tol), then finite differences.
void sweep(const std::function<Activation(std::mt19937_64&)>& make, float input_range, double abs_tol, double rel_tol,
           uint64_t seed) {
  std::mt19937_64 rng(seed);
  int checked = 0;
  for (int trial = 0; trial < 200; ++trial) {
    Activation a = make(rng);
    const Shape shape = random_shape(rng, random_int(rng, 1, 4), 5);
    Tensor x = random_tensor(shape, rng, -input_range, input_range);
    for (float k : a.kinks) push_away_from_kinks(x, {k});
    const Tensor y = run_forward(*a.op, {&x});
    REQUIRE(y.shape() == shape);
    for (int64_t i = 0; i < x.elements(); ++i) {
      const double want = a.reference(x[i]);
      INFO(a.description << " shape " << shape.str() << " x " << x[i]);
      REQUIRE(std::fabs(y[i] - want) <= abs_tol + rel_tol * std::fabs(want));
    }
    GradCheckOptions o;
    o.seed = seed + static_cast<uint64_t>(trial);
    checked += expect_gradients_match(*a.op, {x}, o, a.description + " shape " + shape.str());
  }
  CHECK(checked > 200 * 10);  // the kink skipping must not swallow the test
}

// Forward and backward (dy = 1) at a few points.
void expect_values(Op& op, const std::vector<float>& xs, const std::vector<float>& ys, const std::vector<float>& dxs,
                   double tol = 1e-6) {
  Tensor x(Shape{static_cast<int64_t>(xs.size())});
  for (size_t i = 0; i < xs.size(); ++i) x[static_cast<int64_t>(i)] = xs[i];
  const Tensor y = run_forward(op, {&x});
  Tensor ones(y.shape());
  ones.fill(1.0f);
  const Tensor dx = run_backward(op, {&x}, y, ones)[0];
  for (size_t i = 0; i < xs.size(); ++i) {
    INFO(op.type() << " at x = " << xs[i]);
    CHECK(y[static_cast<int64_t>(i)] == Approx(ys[i]).margin(tol));
    CHECK(dx[static_cast<int64_t>(i)] == Approx(dxs[i]).margin(tol));
  }
}

double sigmoid_ref(double x) { return 1.0 / (1.0 + std::exp(-x)); }

}  // namespace

TEST_CASE("ReLU matches max(0, x) and its derivative", "[relu]") {
  sweep(
      [](std::mt19937_64&) {
        return Activation{unwrap(ReLU::create()), [](double x) { return x > 0 ? x : 0.0; }, "ReLU", {0.0f}};
      },
      2.0f, 0.0, 0.0, 101);
  auto relu = unwrap(ReLU::create());
  expect_values(*relu, {-2.0f, 0.0f, 0.5f, 3.0f}, {0.0f, 0.0f, 0.5f, 3.0f}, {0.0f, 0.0f, 1.0f, 1.0f});
  Tensor nan_in(Shape{1});
  nan_in[0] = std::numeric_limits<float>::quiet_NaN();
  CHECK(std::isnan(run_forward(*relu, {&nan_in})[0]));  // as PyTorch: NaN is not hidden
}

TEST_CASE("Clip and ReLU6 clamp and pass gradients strictly inside the bounds", "[clip]") {
  sweep(
      [](std::mt19937_64& rng) {
        const float lo = random_float(rng, -2.0f, 1.0f), hi = lo + random_float(rng, 0.0f, 2.5f);
        return Activation{unwrap(Clip::create(lo, hi)),
                          [=](double x) { return std::min(std::max(x, double{lo}), double{hi}); },
                          "Clip(" + std::to_string(lo) + ", " + std::to_string(hi) + ")",
                          {lo, hi}};
      },
      3.0f, 0.0, 0.0, 102);
  auto relu6 = unwrap(Clip::create_relu6());
  CHECK(relu6->min_value() == 0.0f);
  CHECK(relu6->max_value() == 6.0f);
  expect_values(*relu6, {-1.0f, 0.0f, 3.0f, 6.0f, 7.5f}, {0.0f, 0.0f, 3.0f, 6.0f, 6.0f},
                {0.0f, 0.0f, 1.0f, 0.0f, 0.0f});
  auto one_sided = unwrap(Clip::create(-1.0f, std::numeric_limits<float>::infinity()));
  expect_values(*one_sided, {-3.0f, 1e30f}, {-1.0f, 1e30f}, {0.0f, 1.0f});
}

TEST_CASE("LeakyReLU scales the negative side by alpha", "[leaky_relu]") {
  sweep(
      [](std::mt19937_64& rng) {
        const float alpha = random_float(rng, -0.5f, 1.5f);
        return Activation{unwrap(LeakyReLU::create(alpha)),
                          [=](double x) { return x > 0 ? x : alpha * x; },
                          "LeakyReLU(" + std::to_string(alpha) + ")",
                          {0.0f}};
      },
      2.0f, 1e-7, 1e-6, 103);
  auto leaky = unwrap(LeakyReLU::create(0.1f));
  expect_values(*leaky, {-2.0f, 0.0f, 3.0f}, {-0.2f, 0.0f, 3.0f}, {0.1f, 0.1f, 1.0f});
  CHECK(unwrap(LeakyReLU::create())->alpha() == 0.01f);
}

TEST_CASE("Sigmoid is accurate over its range, tails included", "[sigmoid]") {
  sweep(
      [](std::mt19937_64&) {
        return Activation{unwrap(Sigmoid::create()), sigmoid_ref, "Sigmoid"};
      },
      8.0f, 1e-7, 1e-6, 104);
  auto sigmoid = unwrap(Sigmoid::create());
  const float ln3 = std::log(3.0f);
  expect_values(*sigmoid, {0.0f, ln3, -ln3}, {0.5f, 0.75f, 0.25f}, {0.25f, 0.1875f, 0.1875f});
  // Far tails: no overflow, the small side keeps relative accuracy.
  Tensor x(Shape{4});
  x[0] = -30.0f;
  x[1] = 30.0f;
  x[2] = -200.0f;
  x[3] = 200.0f;
  const Tensor y = run_forward(*sigmoid, {&x});
  CHECK(y[0] == Approx(sigmoid_ref(-30.0)).epsilon(1e-6));
  CHECK(y[1] == 1.0f);
  CHECK(y[2] == 0.0f);
  CHECK(y[3] == 1.0f);
}

TEST_CASE("Tanh is accurate near zero and saturates", "[tanh]") {
  sweep(
      [](std::mt19937_64&) {
        return Activation{unwrap(Tanh::create()), [](double x) { return std::tanh(x); }, "Tanh"};
      },
      4.0f, 1e-7, 1e-6, 105);
  auto tanh_op = unwrap(Tanh::create());
  const float ln2 = std::log(2.0f);  // tanh(ln 2) = (4 - 1) / (4 + 1)
  expect_values(*tanh_op, {0.0f, ln2, -ln2}, {0.0f, 0.6f, -0.6f}, {1.0f, 0.64f, 0.64f});
  // Relative accuracy for small inputs and across the branch point at 0.25.
  Tensor x(Shape{6});
  const float xs[6] = {1e-6f, -3e-4f, 0.2499f, 0.25f, 0.2501f, 20.0f};
  for (int i = 0; i < 6; ++i) x[i] = xs[i];
  const Tensor y = run_forward(*tanh_op, {&x});
  for (int i = 0; i < 6; ++i) CHECK(y[i] == Approx(std::tanh(static_cast<double>(xs[i]))).epsilon(4e-7));
}

TEST_CASE("HardSigmoid follows ONNX's max(0, min(1, alpha x + beta))", "[hard_sigmoid]") {
  sweep(
      [](std::mt19937_64& rng) {
        const float alpha = random_float(rng, 0.05f, 1.0f), beta = random_float(rng, 0.0f, 1.0f);
        return Activation{unwrap(HardSigmoid::create(alpha, beta)),
                          [=](double x) { return std::min(1.0, std::max(0.0, double{alpha} * x + double{beta})); },
                          "HardSigmoid(" + std::to_string(alpha) + ", " + std::to_string(beta) + ")",
                          {-beta / alpha, (1.0f - beta) / alpha}};
      },
      5.0f, 1e-6, 1e-6, 106);
  auto onnx_default = unwrap(HardSigmoid::create());  // alpha 0.2, beta 0.5
  expect_values(*onnx_default, {-3.0f, 1.0f, 3.0f}, {0.0f, 0.7f, 1.0f}, {0.0f, 0.2f, 0.0f});
  auto pytorch = unwrap(HardSigmoid::create(1.0f / 6.0f, 0.5f));
  expect_values(*pytorch, {-4.0f, 0.0f, 1.5f, 4.0f}, {0.0f, 0.5f, 0.75f, 1.0f}, {0.0f, 1.0f / 6.0f, 1.0f / 6.0f, 0.0f});
}

TEST_CASE("HardSwish follows x * relu6(x + 3) / 6", "[hard_swish]") {
  sweep(
      [](std::mt19937_64&) {
        return Activation{unwrap(HardSwish::create()),
                          [](double x) { return x * std::min(6.0, std::max(0.0, x + 3.0)) / 6.0; },
                          "HardSwish",
                          {-3.0f, 3.0f}};
      },
      5.0f, 1e-6, 1e-6, 107);
  auto hs = unwrap(HardSwish::create());
  expect_values(*hs, {-4.0f, -1.5f, 1.0f, 4.0f}, {0.0f, -0.375f, 4.0f / 6.0f, 4.0f},
                {0.0f, 0.0f, 1.0f / 3.0f + 0.5f, 1.0f});
}

TEST_CASE("activations reject bad settings and input counts with the values",
          "[relu][clip][leaky_relu][hard_sigmoid]") {
  auto bad_clip = Clip::create(2.0f, 1.0f);
  REQUIRE_FALSE(bad_clip.ok());
  CHECK(contains(bad_clip.status().message(), "min 2"));
  CHECK(contains(bad_clip.status().message(), "max 1"));
  CHECK_FALSE(Clip::create(std::nanf(""), 1.0f).ok());
  auto bad_leaky = LeakyReLU::create(std::numeric_limits<float>::infinity());
  REQUIRE_FALSE(bad_leaky.ok());
  CHECK(contains(bad_leaky.status().message(), "inf"));
  auto bad_hs = HardSigmoid::create(0.2f, std::nanf(""));
  REQUIRE_FALSE(bad_hs.ok());
  CHECK(contains(bad_hs.status().message(), "nan"));

  auto relu = unwrap(ReLU::create());
  Shape out;
  const Shape two[2] = {Shape{2, 3}, Shape{2, 3}};
  const Status s = relu->output_shape(two, &out);
  REQUIRE_FALSE(s.ok());
  CHECK(contains(s.message(), "ReLU takes 1 input, got 2"));
}

TEST_CASE("exp_f32 is within a few ulps of exp over the float range", "[exp]") {
  double worst = 0.0;
  for (int i = 0; i <= 400000; ++i) {
    const float x = -87.0f + 175.0f * static_cast<float>(i) / 400000.0f;
    const double want = std::exp(static_cast<double>(x));
    worst = std::max(worst, std::fabs(exp_f32(x) - want) / want);
  }
  INFO("worst relative error " << worst);
  CHECK(worst < 3e-7);
  CHECK(exp_f32(0.0f) == 1.0f);
  CHECK(exp_f32(-100.0f) == 0.0f);
  CHECK(exp_f32(-std::numeric_limits<float>::infinity()) == 0.0f);
  CHECK(std::isfinite(exp_f32(std::numeric_limits<float>::infinity())));
  CHECK(std::isnan(exp_f32(std::nanf(""))));
}
