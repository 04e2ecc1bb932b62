// Add, Scale, Concat and Flatten: values against direct definitions on random
// shapes, finite differences for every input, hand-computed cases, and
// rejected settings and shapes.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "nn/ops/add.h"
#include "nn/ops/concat.h"
#include "nn/ops/flatten.h"
#include "nn/ops/scale.h"
#include "op_test_util.h"

using namespace nl;
using namespace nl::test;

namespace {

Status shapes_status(const Op& op, std::vector<Shape> shapes, Shape* out) { return op.output_shape(shapes, out); }

}  // namespace

TEST_CASE("Add sums two or more inputs and copies dy to each", "[add]") {
  auto add = unwrap(Add::create());
  std::mt19937_64 rng(401);
  for (int trial = 0; trial < 200; ++trial) {
    const Shape s = random_shape(rng, random_int(rng, 1, 4), 4);
    const int count = random_int(rng, 2, 4);
    std::vector<Tensor> xs;
    for (int i = 0; i < count; ++i) xs.push_back(random_tensor(s, rng));
    std::vector<const Tensor*> ptrs;
    for (const Tensor& t : xs) ptrs.push_back(&t);
    const Tensor y = run_forward(*add, ptrs);
    for (int64_t e = 0; e < y.elements(); ++e) {
      float want = xs[0][e];
      for (int i = 1; i < count; ++i) want += xs[static_cast<size_t>(i)][e];
      REQUIRE(y[e] == want);
    }
    GradCheckOptions o;
    o.seed = 401 + static_cast<uint64_t>(trial);
    expect_gradients_match(*add, xs, o, std::to_string(count) + " x " + s.str());
  }
  Tensor a(Shape{2}), b(Shape{2}), c(Shape{2});
  a[0] = 1; a[1] = 2; b[0] = 10; b[1] = 20; c[0] = 100; c[1] = 200;
  const Tensor y = run_forward(*add, {&a, &b, &c});
  CHECK(y[0] == 111.0f);
  CHECK(y[1] == 222.0f);
  // Only the wanted gradients are written.
  Tensor dy(Shape{2});
  dy[0] = 1.5f;
  dy[1] = -2.0f;
  Tensor da(Shape{2}), dc(Shape{2});
  Tensor* grads[3] = {&da, nullptr, &dc};
  const Tensor* ins[3] = {&a, &b, &c};
  add->backward({}, ins, y, dy, grads, false);
  CHECK(da[0] == 1.5f);
  CHECK(dc[1] == -2.0f);

  Shape out;
  const Status one = shapes_status(*add, {Shape{2, 3}}, &out);
  REQUIRE_FALSE(one.ok());
  CHECK(contains(one.message(), "got 1"));
  const Status mismatch = shapes_status(*add, {Shape{2, 3}, Shape{2, 3}, Shape{3, 2}}, &out);
  REQUIRE_FALSE(mismatch.ok());
  CHECK(contains(mismatch.message(), "input 2 is [3, 2]"));
}

TEST_CASE("Scale multiplies by a constant", "[scale]") {
  std::mt19937_64 rng(402);
  for (int trial = 0; trial < 200; ++trial) {
    const float factor = random_float(rng, -3.0f, 3.0f);
    auto scale = unwrap(Scale::create(factor));
    const Shape s = random_shape(rng, random_int(rng, 1, 4), 5);
    const Tensor x = random_tensor(s, rng);
    const Tensor y = run_forward(*scale, {&x});
    for (int64_t e = 0; e < y.elements(); ++e) REQUIRE(y[e] == factor * x[e]);
    GradCheckOptions o;
    o.seed = 402 + static_cast<uint64_t>(trial);
    expect_gradients_match(*scale, {x}, o, "factor " + std::to_string(factor) + " x " + s.str());
  }
  auto half = unwrap(Scale::create(0.5f));
  CHECK(half->factor() == 0.5f);
  Tensor x(Shape{1});
  x[0] = 3.0f;
  const Tensor y = run_forward(*half, {&x});
  CHECK(y[0] == 1.5f);
  Tensor dy(Shape{1});
  dy[0] = 4.0f;
  CHECK(run_backward(*half, {&x}, y, dy)[0][0] == 2.0f);
  auto bad = Scale::create(std::numeric_limits<float>::infinity());
  REQUIRE_FALSE(bad.ok());
  CHECK(contains(bad.status().message(), "inf"));
}

TEST_CASE("Concat joins on the last dimension", "[concat]") {
  auto concat = unwrap(Concat::create());
  std::mt19937_64 rng(403);
  for (int trial = 0; trial < 200; ++trial) {
    const int rank = random_int(rng, 1, 4);
    const Shape outer = random_shape(rng, rank, 3);
    const int count = random_int(rng, 1, 4);
    std::vector<Tensor> xs;
    int64_t total = 0;
    for (int i = 0; i < count; ++i) {
      Shape s = outer;
      s[rank - 1] = random_int(rng, 1, 4);
      total += s[rank - 1];
      xs.push_back(random_tensor(s, rng));
    }
    std::vector<const Tensor*> ptrs;
    for (const Tensor& t : xs) ptrs.push_back(&t);
    const Tensor y = run_forward(*concat, ptrs);
    REQUIRE(y.shape()[rank - 1] == total);
    // Element (row, channel) of y comes from the input whose channel range holds it.
    const int64_t rows = y.elements() / total;
    for (int64_t r = 0; r < rows; ++r) {
      int64_t offset = 0;
      for (const Tensor& t : xs) {
        const int64_t c = t.shape()[rank - 1];
        for (int64_t k = 0; k < c; ++k) REQUIRE(y[r * total + offset + k] == t[r * c + k]);
        offset += c;
      }
    }
    GradCheckOptions o;
    o.seed = 403 + static_cast<uint64_t>(trial);
    expect_gradients_match(*concat, xs, o, std::to_string(count) + " inputs, outer " + outer.str());
  }
  // [1, 1, 2, 1] and [1, 1, 2, 2] -> [1, 1, 2, 3]: pixel by pixel, a's channel then b's.
  Tensor a(Shape{1, 1, 2, 1}), b(Shape{1, 1, 2, 2});
  a[0] = 1; a[1] = 2;
  b[0] = 10; b[1] = 11; b[2] = 20; b[3] = 21;
  const Tensor y = run_forward(*concat, {&a, &b});
  REQUIRE(y.shape() == Shape{1, 1, 2, 3});
  const float want[6] = {1, 10, 11, 2, 20, 21};
  for (int i = 0; i < 6; ++i) CHECK(y[i] == want[i]);

  Shape out;
  const Status none = shapes_status(*concat, {}, &out);
  REQUIRE_FALSE(none.ok());
  CHECK(contains(none.message(), "got 0"));
  const Status mismatch = shapes_status(*concat, {Shape{1, 4, 4, 3}, Shape{1, 4, 5, 3}}, &out);
  REQUIRE_FALSE(mismatch.ok());
  CHECK(contains(mismatch.message(), "[1, 4, 5, 3]"));
  CHECK_FALSE(shapes_status(*concat, {Shape{2, 3}, Shape{2, 1, 3}}, &out).ok());
}

TEST_CASE("Flatten keeps N and joins H, W, C in memory order", "[flatten]") {
  auto flatten = unwrap(Flatten::create());
  std::mt19937_64 rng(404);
  for (int trial = 0; trial < 200; ++trial) {
    const Shape s = random_shape(rng, random_int(rng, 2, 4), 4);
    const Tensor x = random_tensor(s, rng);
    const Tensor y = run_forward(*flatten, {&x});
    REQUIRE(y.shape() == Shape{s[0], s.elements() / s[0]});
    for (int64_t e = 0; e < y.elements(); ++e) REQUIRE(y[e] == x[e]);
    GradCheckOptions o;
    o.seed = 404 + static_cast<uint64_t>(trial);
    expect_gradients_match(*flatten, {x}, o, s.str());
  }
  Shape out;
  REQUIRE(shapes_status(*flatten, {Shape{2, 3, 4, 5}}, &out).ok());
  CHECK(out == Shape{2, 60});
  const Status rank1 = shapes_status(*flatten, {Shape{7}}, &out);
  REQUIRE_FALSE(rank1.ok());
  CHECK(contains(rank1.message(), "[7]"));
  CHECK_FALSE(shapes_status(*flatten, {Shape{2, 3}, Shape{2, 3}}, &out).ok());
}
