// softmax_cross_entropy: a hand-computed value, finite differences of the
// loss on random logits and labels, stability for large logits, and rejected
// shapes and labels.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "nn/loss.h"
#include "op_test_util.h"

using namespace nl;
using namespace nl::test;

TEST_CASE("softmax_cross_entropy on hand-computed logits", "[loss]") {
  // Row 0: logits (0, ln 2), label 1: p = 2/3, loss = ln(3/2); gradient (1/3, -1/3).
  // Row 1: logits (0, 0), label 0: loss = ln 2; gradient (-1/2, 1/2). Both halved by the mean.
  Tensor z(Shape{2, 2});
  z[0] = 0.0f;
  z[1] = std::log(2.0f);
  const std::vector<int> labels = {1, 0};
  Tensor g;
  auto loss = softmax_cross_entropy(z, labels, &g);
  REQUIRE(loss.ok());
  CHECK(loss.value() == Approx((std::log(1.5) + std::log(2.0)) / 2).epsilon(1e-6));
  REQUIRE(g.shape() == z.shape());
  CHECK(g[0] == Approx(1.0 / 6).epsilon(1e-6));
  CHECK(g[1] == Approx(-1.0 / 6).epsilon(1e-6));
  CHECK(g[2] == Approx(-0.25).epsilon(1e-6));
  CHECK(g[3] == Approx(0.25).epsilon(1e-6));
  // The gradient is overwritten, not accumulated, and may be skipped.
  auto again = softmax_cross_entropy(z, labels, &g);
  CHECK(g[0] == Approx(1.0 / 6).epsilon(1e-6));
  CHECK(softmax_cross_entropy(z, labels, nullptr).value() == again.value());
}

TEST_CASE("softmax_cross_entropy gradient matches finite differences", "[loss]") {
  std::mt19937_64 rng(701);
  for (int trial = 0; trial < 200; ++trial) {
    const int64_t N = random_int(rng, 1, 5), C = random_int(rng, 1, 7);
    const float spread = random_float(rng, 0.1f, 10.0f);
    Tensor z = random_tensor(Shape{N, C}, rng, -spread, spread);
    std::vector<int> labels;
    for (int64_t n = 0; n < N; ++n) labels.push_back(random_int(rng, 0, static_cast<int>(C) - 1));
    Tensor g;
    const float base = softmax_cross_entropy(z, labels, &g).value();
    REQUIRE(std::isfinite(base));
    REQUIRE(base >= 0.0f);
    for (int64_t i = 0; i < z.elements(); ++i) {
      const float x0 = z[i];
      const float h = 1e-2f;
      z[i] = x0 + h;
      const double up = softmax_cross_entropy(z, labels, nullptr).value();
      z[i] = x0 - h;
      const double down = softmax_cross_entropy(z, labels, nullptr).value();
      z[i] = x0;
      const double numeric = (up - down) / (2.0 * h);
      INFO("N " << N << " C " << C << " element " << i);
      REQUIRE(g[i] == Approx(numeric).margin(2e-4 + 2e-3 * std::fabs(numeric)));
    }
  }
}

TEST_CASE("softmax_cross_entropy is stable for large logits", "[loss]") {
  Tensor z(Shape{1, 3});
  z[0] = 1000.0f;
  z[1] = -1000.0f;
  z[2] = 0.0f;
  Tensor g;
  const std::vector<int> right = {0}, wrong = {1};
  CHECK(softmax_cross_entropy(z, right, &g).value() == Approx(0.0).margin(1e-6));
  CHECK(softmax_cross_entropy(z, wrong, &g).value() == Approx(2000.0));
  CHECK(g[0] == Approx(1.0));
  CHECK(g[1] == Approx(-1.0));
  CHECK(g[2] == Approx(0.0).margin(1e-6));
}

TEST_CASE("softmax_cross_entropy rejects bad shapes and labels", "[loss]") {
  Tensor z(Shape{2, 3});
  const std::vector<int> too_few = {0};
  auto count = softmax_cross_entropy(z, too_few, nullptr);
  REQUIRE_FALSE(count.ok());
  CHECK(contains(count.status().message(), "1 labels for a batch of 2"));
  const std::vector<int> out_of_range = {0, 3};
  auto label = softmax_cross_entropy(z, out_of_range, nullptr);
  REQUIRE_FALSE(label.ok());
  CHECK(contains(label.status().message(), "label 3 of sample 1"));
  const std::vector<int> negative = {-1, 0};
  CHECK_FALSE(softmax_cross_entropy(z, negative, nullptr).ok());
  Tensor image(Shape{2, 1, 1, 3});
  const std::vector<int> two = {0, 1};
  auto rank = softmax_cross_entropy(image, two, nullptr);
  REQUIRE_FALSE(rank.ok());
  CHECK(contains(rank.status().message(), "[2, 1, 1, 3]"));
}
