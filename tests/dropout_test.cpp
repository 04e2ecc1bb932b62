// Dropout: identity in inference; in training a mask that is a function of the
// seed only (same seed, same mask; forward and backward agree), the expected
// drop rate, inverted scaling, finite differences with a fixed seed, and
// rejected settings.
#include <catch2/catch.hpp>

#include <cmath>

#include "nn/ops/dropout.h"
#include "op_test_util.h"

using namespace nl;
using namespace nl::test;

TEST_CASE("Dropout is the identity in inference", "[dropout]") {
  auto drop = unwrap(Dropout::create(0.5f));
  std::mt19937_64 rng(501);
  const Tensor x = random_tensor(Shape{3, 4, 5, 6}, rng);
  const Tensor y = run_forward(*drop, {&x});
  for (int64_t i = 0; i < x.elements(); ++i) REQUIRE(y[i] == x[i]);
  const Tensor dy = random_tensor(y.shape(), rng);
  const Tensor dx = run_backward(*drop, {&x}, y, dy)[0];
  for (int64_t i = 0; i < x.elements(); ++i) REQUIRE(dx[i] == dy[i]);
}

TEST_CASE("Dropout in training: seeded mask, inverted scaling, matching backward", "[dropout]") {
  std::mt19937_64 rng(502);
  for (int trial = 0; trial < 200; ++trial) {
    const float p = random_float(rng, 0.0f, 0.9f);
    auto drop = unwrap(Dropout::create(p));
    const Shape s = random_shape(rng, random_int(rng, 1, 4), 5);
    const Tensor x = random_tensor(s, rng);
    OpContext ctx;
    ctx.training = true;
    ctx.seed = rng();
    const Tensor y = run_forward(*drop, {&x}, ctx);
    const double scale = 1.0 / (1.0 - p);
    for (int64_t i = 0; i < x.elements(); ++i)
      REQUIRE(y[i] == Approx(drop->keeps(ctx.seed, i) ? x[i] * scale : 0.0).epsilon(1e-6));
    // Finite differences in training with the same fixed seed for every evaluation.
    GradCheckOptions o;
    o.training = true;
    o.seed = ctx.seed;
    expect_gradients_match(*drop, {x}, o, "p " + std::to_string(p) + " x " + s.str());
  }
}

TEST_CASE("Dropout masks: rate, determinism, and seed dependence", "[dropout]") {
  auto drop = unwrap(Dropout::create(0.3f));
  Tensor x(Shape{100000});
  x.fill(1.0f);
  OpContext ctx;
  ctx.training = true;
  ctx.seed = 42;
  const Tensor y1 = run_forward(*drop, {&x}, ctx);
  const Tensor y2 = run_forward(*drop, {&x}, ctx);
  int64_t kept = 0;
  double sum = 0.0;
  for (int64_t i = 0; i < x.elements(); ++i) {
    REQUIRE(y1[i] == y2[i]);
    kept += y1[i] != 0.0f;
    sum += y1[i];
  }
  // Binomial(100000, 0.7): standard deviation about 145; 6 sigma is 870.
  CHECK(std::llabs(kept - 70000) < 870);
  CHECK(sum / 100000.0 == Approx(1.0).margin(0.02));  // inverted dropout keeps the mean
  for (int64_t i = 0; i < 10; ++i)
    if (y1[i] != 0.0f) CHECK(y1[i] == Approx(1.0 / 0.7));

  ctx.seed = 43;
  const Tensor y3 = run_forward(*drop, {&x}, ctx);
  int64_t differ = 0;
  for (int64_t i = 0; i < x.elements(); ++i) differ += (y1[i] != 0.0f) != (y3[i] != 0.0f);
  CHECK(differ > 30000);  // independent masks disagree on 2 * 0.3 * 0.7 = 42% of elements

  // Backward regenerates the forward's mask: dx is zero exactly where y is.
  Tensor dy(x.shape());
  dy.fill(2.0f);
  ctx.seed = 42;
  const Tensor dx = run_backward(*drop, {&x}, y1, dy, ctx)[0];
  for (int64_t i = 0; i < x.elements(); ++i) REQUIRE((dx[i] == 0.0f) == (y1[i] == 0.0f));

  auto none = unwrap(Dropout::create(0.0f));
  const Tensor same = run_forward(*none, {&x}, ctx);
  for (int64_t i = 0; i < x.elements(); ++i) REQUIRE(same[i] == 1.0f);
}

TEST_CASE("Dropout rejects p outside [0, 1)", "[dropout]") {
  for (float p : {-0.1f, 1.0f, 2.0f, std::nanf("")}) {
    auto r = Dropout::create(p);
    REQUIRE_FALSE(r.ok());
    CHECK(contains(r.status().message(), "Dropout: p must be in [0, 1)"));
  }
  CHECK(contains(Dropout::create(1.5f).status().message(), "1.5"));
}
