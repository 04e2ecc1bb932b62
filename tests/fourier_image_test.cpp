// The decorrelated Fourier parameterisation of visualize: known answers (one
// frequency renders as a cosine; the frequency scale), the adjoint identity
// <render(z), g> = <z, adjoint(g)>, exact inversion of a start image, the whole
// chain (transform, sigmoid, colour) against finite differences, and a
// visualization run that raises its objective deterministically.
#include <catch2/catch.hpp>

#include <cmath>

#include "interpret/fourier_image.h"
#include "interpret/visualize.h"
#include "nn/ops/conv2d.h"
#include "tensor/rng.h"

namespace {

constexpr double kPi = 3.14159265358979323846;

nl::FourierImage make(const nl::Shape& s, float decay = 1.0f, bool decorrelate = true) {
  auto f = nl::FourierImage::create(s, {decay, decorrelate}, {2.0f, 1.0f, 0.5f}, {-1.0f, 0.0f, 0.25f});
  REQUIRE(f.ok());
  return std::move(f.value());
}

}  // namespace

TEST_CASE("a single frequency renders as a cosine (and sine), scaled by 1/f", "[visualize][fourier]") {
  for (auto hw : {std::pair<int64_t, int64_t>{8, 8}, {7, 10}, {28, 28}, {5, 3}}) {
    const int64_t h = hw.first, w = hw.second;
    nl::FourierImage f = make(nl::Shape{1, h, w, 1});
    const int64_t half = w / 2 + 1;
    for (auto k : {std::pair<int64_t, int64_t>{0, 0}, {1, 0}, {1, 1}, {h - 1, half - 1}, {h / 2, 1}}) {
      std::vector<float> spec(static_cast<size_t>(h * half * 2), 0.0f);
      const size_t at = static_cast<size_t>(k.first * half + k.second);
      spec[2 * at] = 0.7f;       // a: cosine
      spec[2 * at + 1] = -0.3f;  // b: Re(i b e^{i theta}) = -b sin(theta)
      std::vector<double> plane(static_cast<size_t>(h * w));
      f.spectrum_to_plane(spec.data(), plane.data());
      // The scale: 1 / max(f, 1/max(H, W)) / sqrt(H W).
      const double fy = static_cast<double>(std::min(k.first, h - k.first)) / h, fx = static_cast<double>(k.second) / w;
      const double s = 1.0 / std::max(std::sqrt(fy * fy + fx * fx), 1.0 / std::max(h, w)) / std::sqrt(double(h * w));
      CHECK(f.frequency_scale(k.first, k.second) == Approx(s).epsilon(1e-6));
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) {
          const double theta = 2 * kPi * (double(k.first * y) / h + double(k.second * x) / w);
          const double expected = s * (0.7 * std::cos(theta) + 0.3 * std::sin(theta));
          CHECK(plane[static_cast<size_t>(y * w + x)] == Approx(expected).margin(1e-6));
        }
    }
  }
}

TEST_CASE("the spectrum adjoint satisfies <T z, g> = <z, T* g>", "[visualize][fourier]") {
  for (auto hw : {std::pair<int64_t, int64_t>{6, 9}, {28, 28}, {1, 4}}) {
    const int64_t h = hw.first, w = hw.second, half = w / 2 + 1;
    nl::FourierImage f = make(nl::Shape{1, h, w, 1}, 1.3f);
    nl::Rng rng(5);
    std::vector<float> z(static_cast<size_t>(h * half * 2));
    std::vector<double> g(static_cast<size_t>(h * w)), tz(g.size());
    for (float& v : z) v = static_cast<float>(rng.normal());
    for (double& v : g) v = rng.normal();
    f.spectrum_to_plane(z.data(), tz.data());
    std::vector<float> tg(z.size());
    f.plane_to_spectrum_adjoint(g.data(), tg.data());
    double lhs = 0, rhs = 0;
    for (size_t i = 0; i < g.size(); ++i) lhs += tz[i] * g[i];
    for (size_t i = 0; i < z.size(); ++i) rhs += double(z[i]) * tg[i];
    CHECK(lhs == Approx(rhs).epsilon(1e-5));
  }
}

TEST_CASE("a start image is inverted exactly into a spectrum", "[visualize][fourier]") {
  for (int64_t c : {1, 3})
    for (auto hw : {std::pair<int64_t, int64_t>{8, 8}, {7, 10}, {5, 5}}) {
      const nl::Shape s{2, hw.first, hw.second, c};
      nl::FourierImage f = make(s);
      nl::Tensor x(s);
      nl::Rng rng(9);
      const float scale[3] = {2.0f, 1.0f, 0.5f}, shift[3] = {-1.0f, 0.0f, 0.25f};
      for (int64_t i = 0; i < x.elements(); ++i) {
        const float pixel = static_cast<float>(rng.uniform(0.05, 0.95));
        x[i] = pixel * scale[i % c] + shift[i % c];
      }
      REQUIRE(f.set_from_input(x).ok());
      nl::Tensor back;
      f.render(&back);
      for (int64_t i = 0; i < x.elements(); ++i) CHECK(back[i] == Approx(x[i]).margin(2e-4));
    }
}

TEST_CASE("the whole chain's gradient matches finite differences", "[visualize][fourier]") {
  for (int64_t c : {1, 3}) {
    const nl::Shape s{1, 5, 6, c};
    nl::FourierImage f = make(s, 1.0f, true);
    nl::Rng rng(3);
    f.set_noise(rng, 0.5f);
    // J = sum_i w_i x_i with random w: dJ/dx = w.
    nl::Tensor w(s), x;
    for (int64_t i = 0; i < w.elements(); ++i) w[i] = static_cast<float>(rng.normal());
    auto objective = [&]() {
      f.render(&x);
      double j = 0;
      for (int64_t i = 0; i < x.elements(); ++i) j += double(w[i]) * x[i];
      return j;
    };
    objective();
    std::vector<float> grad;
    f.backward(w, &grad);
    for (size_t p = 0; p < grad.size(); p += 7) {
      const float keep = f.spectrum()[p];
      const float eps = 1e-2f;
      f.spectrum()[p] = keep + eps;
      const double up = objective();
      f.spectrum()[p] = keep - eps;
      const double down = objective();
      f.spectrum()[p] = keep;
      CHECK(grad[p] == Approx((up - down) / (2 * eps)).margin(2e-3).epsilon(1e-2));
    }
  }
}

TEST_CASE("visualize with the Fourier parameterisation raises its objective, deterministically", "[visualize][fourier]") {
  nl::Graph g;
  REQUIRE(g.set_input("image", nl::Shape{1, 12, 12, 3}).ok());
  nl::Conv2DParams p;
  p.in_channels = 3;
  p.out_channels = 2;
  p.kernel_h = p.kernel_w = 3;
  auto conv = nl::Conv2D::create(p);
  REQUIRE(conv.ok());
  nl::Rng rng(1);
  for (int64_t i = 0; i < conv.value()->weight.elements(); ++i) conv.value()->weight[i] = static_cast<float>(rng.normal());
  REQUIRE(g.add("conv", std::move(conv.value()), {0}).ok());
  nl::Executor ex(&g);
  nl::VisualizeOptions o;
  o.parameterization = nl::VisualizeOptions::Parameterization::kFourier;
  o.optimizer = nl::VisualizeOptions::Optimizer::kAdam;
  o.learning_rate = 0.05f;
  o.steps = 60;
  o.jitter = 1;
  for (auto start : {nl::VisualizeOptions::Start::kNoise, nl::VisualizeOptions::Start::kConstant}) {
    o.start = start;
    auto a = nl::visualize(ex, nl::channel_objective(1, 1), o);
    auto b = nl::visualize(ex, nl::channel_objective(1, 1), o);
    REQUIRE((a.ok() && b.ok()));
    const auto& j = a.value().objective;
    CHECK(j.back() > j.front() + 1.0);
    bool same = true;
    for (int64_t i = 0; i < a.value().image.elements(); ++i) same = same && a.value().image[i] == b.value().image[i];
    CHECK(same);
    // Pixels stay in the sigmoid's range: input = pixel * scale + shift with pixel in (0, 1).
    for (int64_t i = 0; i < a.value().image.elements(); ++i) {
      CHECK(a.value().image[i] > 0.0f);
      CHECK(a.value().image[i] < 1.0f);
    }
  }
  // Dream from an image: a start image is reproduced at step 0.
  nl::Tensor start(nl::Shape{1, 12, 12, 3});
  for (int64_t i = 0; i < start.elements(); ++i) start[i] = 0.2f + 0.6f * static_cast<float>((i * 37) % 11) / 10.0f;
  o.start = nl::VisualizeOptions::Start::kImage;
  o.start_image = &start;
  o.steps = 0;
  auto z = nl::visualize(ex, nl::channel_objective(1, 1), o);
  REQUIRE(z.ok());
  for (int64_t i = 0; i < start.elements(); ++i) CHECK(z.value().image[i] == Approx(start[i]).margin(1e-4));
}

TEST_CASE("input_transform_for follows the model's preprocessing", "[visualize]") {
  nl::Preprocessing pre;
  pre.mean = {0.25f};
  pre.std = {0.5f};
  nl::InputTransform t = nl::input_transform_for(pre, 1);
  CHECK(t.to_input(0.8f, 0) == Approx((0.8f - 0.25f) / 0.5f));
  pre.invert = true;
  t = nl::input_transform_for(pre, 1);
  CHECK(t.to_input(0.8f, 0) == Approx((0.2f - 0.25f) / 0.5f));
  CHECK(t.to_pixel(t.to_input(0.3f, 0), 0) == Approx(0.3f));
}
