// Graph construction and the executor's gradient routing, on hand-made ops.
#include <catch2/catch.hpp>

#include "nn/executor.h"

namespace {

// y = scale * x, elementwise: the smallest op with a known gradient.
class ScaleOp : public nl::Op {
 public:
  explicit ScaleOp(float s) : s_(s) {}
  std::string type() const override { return "Scale"; }
  nl::Status output_shape(std::span<const nl::Shape> in, nl::Shape* out) const override {
    if (in.size() != 1) return nl::Status::Error("needs one input");
    *out = in[0];
    return nl::Status::Ok();
  }
  void forward(const nl::OpContext&, std::span<const nl::Tensor* const> in, nl::Tensor& out) override {
    for (int64_t i = 0; i < out.elements(); ++i) out[i] = s_ * (*in[0])[i];
  }
  void backward(const nl::OpContext&, std::span<const nl::Tensor* const>, const nl::Tensor&, const nl::Tensor& dy,
                std::span<nl::Tensor* const> dx, bool) override {
    if (dx[0])
      for (int64_t i = 0; i < dy.elements(); ++i) (*dx[0])[i] += s_ * dy[i];
  }

 private:
  float s_;
};

// y = a + b
class SumOp : public nl::Op {
 public:
  std::string type() const override { return "Sum"; }
  nl::Status output_shape(std::span<const nl::Shape> in, nl::Shape* out) const override {
    if (in.size() != 2 || in[0] != in[1]) return nl::Status::Error("needs two equal shapes");
    *out = in[0];
    return nl::Status::Ok();
  }
  void forward(const nl::OpContext&, std::span<const nl::Tensor* const> in, nl::Tensor& out) override {
    for (int64_t i = 0; i < out.elements(); ++i) out[i] = (*in[0])[i] + (*in[1])[i];
  }
  void backward(const nl::OpContext&, std::span<const nl::Tensor* const>, const nl::Tensor&, const nl::Tensor& dy,
                std::span<nl::Tensor* const> dx, bool) override {
    for (nl::Tensor* d : dx)
      if (d)
        for (int64_t i = 0; i < dy.elements(); ++i) (*d)[i] += dy[i];
  }
};

}  // namespace

TEST_CASE("graph rejects bad wiring with a message naming the node", "[graph]") {
  nl::Graph g;
  REQUIRE(g.set_input("x", nl::Shape{1, 2, 2, 3}).ok());
  auto bad = g.add("s", std::make_unique<ScaleOp>(2.0f), {5});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("'s'") != std::string::npos);
  auto mismatch = g.add("a", std::make_unique<SumOp>(), {0});
  REQUIRE_FALSE(mismatch.ok());
  CHECK(mismatch.status().message().find("Sum") != std::string::npos);
}

TEST_CASE("executor sums gradients over branches of a residual graph", "[graph]") {
  // y = 3x + 2(3x) = 9x: the gradient at x is 9 for every element, and at the
  // branch point (3x) it is 1 + 2 = 3.
  nl::Graph g;
  REQUIRE(g.set_input("x", nl::Shape{2, 1, 1, 4}).ok());
  int a = g.add("a", std::make_unique<ScaleOp>(3.0f), {0}).value();
  int b = g.add("b", std::make_unique<ScaleOp>(2.0f), {a}).value();
  int y = g.add("y", std::make_unique<SumOp>(), {a, b}).value();
  nl::Executor ex(&g);
  nl::Tensor x(nl::Shape{2, 1, 1, 4});
  for (int i = 0; i < 8; ++i) x[i] = static_cast<float>(i) - 3.5f;
  REQUIRE(ex.forward(x).ok());
  for (int i = 0; i < 8; ++i) CHECK(ex.value(y)[i] == Approx(9.0 * x[i]));
  nl::Tensor seed(ex.value(y).shape());
  seed.fill(1.0f);
  REQUIRE(ex.backward({y, &seed}).ok());
  for (int i = 0; i < 8; ++i) {
    CHECK(ex.grad(0)[i] == Approx(9.0));
    CHECK(ex.grad(a)[i] == Approx(3.0));
  }
  // Stopping at `a` leaves the input without a gradient.
  REQUIRE(ex.backward({y, &seed, a}).ok());
  CHECK(ex.has_grad(a));
  CHECK_FALSE(ex.has_grad(0));
}

TEST_CASE("executor: freeing consumed gradients gives the same answer and keeps only stop_at's", "[graph]") {
  // e = 0.5 (a + 2a) + a = 2.5a with a = 3x: de/dx = 7.5, de/da = 2.5. Node a
  // feeds three consumers, one through a long skip, so its gradient must
  // survive until the last of them has run.
  nl::Graph g;
  REQUIRE(g.set_input("x", nl::Shape{1, 2, 3, 4}).ok());
  int a = g.add("a", std::make_unique<ScaleOp>(3.0f), {0}).value();
  int b = g.add("b", std::make_unique<ScaleOp>(2.0f), {a}).value();
  int c = g.add("c", std::make_unique<SumOp>(), {a, b}).value();
  int d = g.add("d", std::make_unique<ScaleOp>(0.5f), {c}).value();
  int e = g.add("e", std::make_unique<SumOp>(), {d, a}).value();
  nl::Executor ex(&g);
  nl::Tensor x(nl::Shape{1, 2, 3, 4});
  for (int64_t i = 0; i < x.elements(); ++i) x[i] = 0.1f * static_cast<float>(i) - 1.0f;
  REQUIRE(ex.forward(x).ok());
  nl::Tensor seed(ex.value(e).shape());
  for (int64_t i = 0; i < seed.elements(); ++i) seed[i] = 1.0f + 0.01f * static_cast<float>(i);

  // Alternate the modes so spare buffers from one pass are reused (and re-zeroed) by the next.
  for (int round = 0; round < 3; ++round) {
    INFO("round " << round);
    REQUIRE(ex.backward({.from = e, .seed = &seed, .keep_intermediate_grads = false}).ok());
    REQUIRE(ex.has_grad(0));
    for (int node : {a, b, c, d, e}) CHECK_FALSE(ex.has_grad(node));
    for (int64_t i = 0; i < x.elements(); ++i) CHECK(ex.grad(0)[i] == Approx(7.5 * seed[i]));

    REQUIRE(ex.backward({.from = e, .seed = &seed, .stop_at = a, .keep_intermediate_grads = false}).ok());
    REQUIRE(ex.has_grad(a));
    CHECK_FALSE(ex.has_grad(0));
    CHECK_FALSE(ex.has_grad(c));
    for (int64_t i = 0; i < x.elements(); ++i) CHECK(ex.grad(a)[i] == Approx(2.5 * seed[i]));

    // Without the stop node's own gradient (training's case): everything above it, nothing at it.
    REQUIRE(ex.backward({.from = e, .seed = &seed, .want_stop_at_grad = false}).ok());
    CHECK_FALSE(ex.has_grad(0));
    REQUIRE(ex.has_grad(a));
    for (int64_t i = 0; i < x.elements(); ++i) CHECK(ex.grad(a)[i] == Approx(2.5 * seed[i]));

    REQUIRE(ex.backward({.from = e, .seed = &seed}).ok());  // keeping them all: every node has its gradient
    for (int node : {0, a, b, c, d, e}) CHECK(ex.has_grad(node));
    for (int64_t i = 0; i < x.elements(); ++i) {
      CHECK(ex.grad(0)[i] == Approx(7.5 * seed[i]));
      CHECK(ex.grad(c)[i] == Approx(0.5 * seed[i]));
    }
  }
}
