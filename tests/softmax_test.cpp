// Softmax over the last dimension: values against a double-precision
// definition, finite differences on random shapes, known values, stability for
// large logits, and rejected shapes.
#include <catch2/catch.hpp>

#include <cmath>

#include "nn/ops/softmax.h"
#include "op_test_util.h"

using namespace nl;
using namespace nl::test;

TEST_CASE("Softmax matches the definition and finite differences", "[softmax]") {
  auto softmax = unwrap(Softmax::create());
  std::mt19937_64 rng(601);
  for (int trial = 0; trial < 200; ++trial) {
    const Shape s = random_shape(rng, random_int(rng, 1, 4), 5);
    const float spread = random_float(rng, 0.1f, 8.0f);
    const Tensor x = random_tensor(s, rng, -spread, spread);
    const Tensor y = run_forward(*softmax, {&x});
    const int64_t K = s[s.rank() - 1], rows = x.elements() / K;
    for (int64_t r = 0; r < rows; ++r) {
      double z = 0.0, sum = 0.0;
      for (int64_t j = 0; j < K; ++j) z += std::exp(static_cast<double>(x[r * K + j]));
      for (int64_t j = 0; j < K; ++j) {
        const double want = std::exp(static_cast<double>(x[r * K + j])) / z;
        REQUIRE(y[r * K + j] == Approx(want).epsilon(2e-6).margin(1e-9));
        sum += y[r * K + j];
      }
      REQUIRE(sum == Approx(1.0).epsilon(1e-6));
    }
    GradCheckOptions o;
    o.seed = 601 + static_cast<uint64_t>(trial);
    expect_gradients_match(*softmax, {x}, o, s.str() + " spread " + std::to_string(spread));
  }
}

TEST_CASE("Softmax known values and large logits", "[softmax]") {
  auto softmax = unwrap(Softmax::create());
  const float ln2 = std::log(2.0f);
  Tensor x(Shape{3, 2});
  x[0] = 0.0f;  // softmax(0, ln 2) = (1/3, 2/3)
  x[1] = ln2;
  x[2] = 1000.0f;  // the same, shifted: no overflow
  x[3] = 1000.0f + ln2;
  x[4] = -1000.0f;  // far apart: (1, 0) exactly
  x[5] = 0.0f;
  const Tensor y = run_forward(*softmax, {&x});
  CHECK(y[0] == Approx(1.0 / 3.0).epsilon(1e-6));
  CHECK(y[1] == Approx(2.0 / 3.0).epsilon(1e-6));
  CHECK(y[2] == Approx(1.0 / 3.0).epsilon(1e-4));  // 1000 + ln 2 rounds in float
  CHECK(y[3] == Approx(2.0 / 3.0).epsilon(1e-4));
  CHECK(y[4] == 0.0f);
  CHECK(y[5] == 1.0f);
  // dx_j = y_j (dy_j - sum_k dy_k y_k); with dy = (1, 0): (1/3 * 2/3, -2/3 * 1/3).
  Tensor dy(x.shape());
  dy[0] = 1.0f;
  const Tensor dx = run_backward(*softmax, {&x}, y, dy)[0];
  CHECK(dx[0] == Approx(2.0 / 9.0).epsilon(1e-6));
  CHECK(dx[1] == Approx(-2.0 / 9.0).epsilon(1e-6));
  // A constant dy changes nothing: the outputs always sum to 1.
  Tensor ones(x.shape());
  ones.fill(1.0f);
  const Tensor flat = run_backward(*softmax, {&x}, y, ones)[0];
  for (int64_t i = 0; i < flat.elements(); ++i) CHECK(flat[i] == Approx(0.0).margin(1e-7));
}

TEST_CASE("Softmax rejects shapes without a last dimension", "[softmax]") {
  auto softmax = unwrap(Softmax::create());
  Shape out;
  const Shape empty_last{4, 0};
  const Status s = softmax->output_shape(std::span<const Shape>(&empty_last, 1), &out);
  REQUIRE_FALSE(s.ok());
  CHECK(contains(s.message(), "[4, 0]"));
  const Shape scalar;
  CHECK_FALSE(softmax->output_shape(std::span<const Shape>(&scalar, 1), &out).ok());
  const Shape two[2] = {Shape{2, 3}, Shape{2, 3}};
  CHECK(contains(softmax->output_shape(two, &out).message(), "got 2"));
}
