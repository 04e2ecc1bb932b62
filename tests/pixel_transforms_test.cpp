// Pixel-space transforms of the visualizer: each adjoint satisfies
// <F x, y> = <x, F^T y>, blur preserves constants, TV matches finite differences.
#include <catch2/catch.hpp>

#include "interpret/objective.h"
#include "interpret/pixel_transforms.h"
#include "tensor/rng.h"

namespace {

nl::Tensor random_image(const nl::Shape& s, uint64_t seed) {
  nl::Rng rng(seed);
  nl::Tensor t(s);
  for (int64_t i = 0; i < t.elements(); ++i) t[i] = static_cast<float>(rng.uniform(-1, 1));
  return t;
}

double dot(const nl::Tensor& a, const nl::Tensor& b) {
  double s = 0;
  for (int64_t i = 0; i < a.elements(); ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

}  // namespace

TEST_CASE("resample_backward is the adjoint of resample_forward", "[pixel]") {
  for (int trial = 0; trial < 20; ++trial) {
    nl::Rng rng(100 + trial);
    nl::Shape s{2, 5 + trial % 7, 4 + trial % 5, 1 + trial % 3};
    nl::Tensor x = random_image(s, trial), y = random_image(s, 1000 + trial);
    nl::Similarity2D t{static_cast<float>(rng.uniform(0.7, 1.3)), static_cast<float>(rng.uniform(-0.6, 0.6))};
    nl::Tensor fx, fty(s);
    nl::resample_forward(x, t, &fx);
    nl::resample_backward(y, t, &fty);
    CHECK(dot(fx, y) == Approx(dot(x, fty)).epsilon(1e-5));
  }
}

TEST_CASE("resample with identity transform is the identity", "[pixel]") {
  nl::Tensor x = random_image(nl::Shape{1, 6, 7, 2}, 3), y;
  nl::resample_forward(x, nl::Similarity2D{}, &y);
  for (int64_t i = 0; i < x.elements(); ++i) CHECK(y[i] == Approx(x[i]).margin(1e-6));
}

TEST_CASE("rolling back undoes a roll", "[pixel]") {
  nl::Tensor x = random_image(nl::Shape{2, 5, 6, 3}, 4), r, back;
  nl::roll_image(x, 2, -3, &r);
  // Pixel (y, x) moves to (y + 2, x - 3) modulo the size.
  CHECK(r[((0 * 5 + 2) * 6 + 3) * 3 + 1] == x[((0 * 5 + 0) * 6 + 0) * 3 + 1]);
  nl::roll_image(r, -2, 3, &back);
  for (int64_t i = 0; i < x.elements(); ++i) CHECK(back[i] == x[i]);
}

TEST_CASE("blur keeps a constant image constant and smooths a spike by the Gaussian weights", "[pixel]") {
  nl::Tensor c(nl::Shape{1, 5, 5, 2});
  c.fill(0.7f);
  nl::gaussian_blur_3x3(&c, 0.4f);
  for (int64_t i = 0; i < c.elements(); ++i) CHECK(c[i] == Approx(0.7f));
  nl::Tensor spike(nl::Shape{1, 5, 5, 1});
  spike[2 * 5 + 2] = 1.0f;
  nl::gaussian_blur_3x3(&spike, 0.4f);
  const double side = std::exp(-1.0 / (2 * 0.4 * 0.4)), norm = 1 + 2 * side;
  CHECK(spike[2 * 5 + 2] == Approx(1 / (norm * norm)));
  CHECK(spike[2 * 5 + 3] == Approx(side / (norm * norm)));
  CHECK(spike[1 * 5 + 3] == Approx(side * side / (norm * norm)));
}

TEST_CASE("total variation gradient matches finite differences", "[pixel]") {
  nl::Tensor x = random_image(nl::Shape{1, 4, 5, 2}, 9), g(x.shape());
  nl::total_variation(x, 1.0f, &g);
  for (int64_t i = 0; i < x.elements(); i += 3) {
    const float x0 = x[i];
    const float h = 1e-2f;
    x[i] = x0 + h;
    const double up = nl::total_variation(x, 1.0f, nullptr);
    x[i] = x0 - h;
    const double down = nl::total_variation(x, 1.0f, nullptr);
    x[i] = x0;
    CHECK(g[i] == Approx((up - down) / (2 * h)).epsilon(1e-3));
  }
}

TEST_CASE("objective values and seeds on a hand-made map", "[objective]") {
  nl::Tensor v(nl::Shape{1, 2, 2, 3});
  for (int64_t i = 0; i < v.elements(); ++i) v[i] = static_cast<float>(i);
  // Channel 1 holds 1, 4, 7, 10.
  std::vector<double> j;
  nl::Tensor seed;
  nl::evaluate_objective(nl::channel_objective(1, 1, false), v, &j, &seed);
  CHECK(j[0] == Approx(22));
  CHECK(seed[4] == 1.0f);
  CHECK(seed[5] == 0.0f);
  nl::evaluate_objective(nl::channel_objective(1, 1, true), v, &j, &seed);
  CHECK(j[0] == Approx(5.5));
  CHECK(seed[7] == 0.25f);
  nl::Objective spatial{1, {{nl::ObjectiveTerm::Kind::kSpatial, 2, 1, 0, 2.0f}}};
  REQUIRE(nl::validate_objective(spatial, v.shape()).ok());
  nl::evaluate_objective(spatial, v, &j, &seed);
  CHECK(j[0] == Approx(2 * 8));  // (y=1, x=0, c=2) is element 8
  CHECK_FALSE(nl::validate_objective(nl::channel_objective(1, 3), v.shape()).ok());
  CHECK_FALSE(nl::validate_objective(nl::unit_objective(1, 0), v.shape()).ok());
}
