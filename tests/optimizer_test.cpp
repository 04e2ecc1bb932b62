// Optimizers and learning-rate schedules against hand-computed steps.
// Every expected value below was worked out by hand from the formulas in
// src/nn/optimizer.h and agrees with torch.optim (PyTorch 1.13) to float
// precision: the same two gradients, 0.5 then -0.2, on a parameter starting at 1.
#include <catch2/catch.hpp>

#include <cmath>

#include "nn/optimizer.h"
#include "nn/schedule.h"

namespace {

// Runs `opt` on a single scalar parameter with the given gradients; returns p after each step.
std::vector<float> run_scalar(nl::Optimizer& opt, std::vector<float> grads, float lr, bool decay = true) {
  nl::Tensor p(nl::Shape{1}), g(nl::Shape{1});
  p[0] = 1.0f;
  REQUIRE(opt.add({"p", &p, &g, decay}).ok());
  std::vector<float> after;
  for (float gi : grads) {
    g[0] = gi;
    REQUIRE(opt.step(lr).ok());
    after.push_back(p[0]);
  }
  return after;
}

std::unique_ptr<nl::Sgd> sgd(nl::SgdOptions o) {
  auto r = nl::Sgd::create(o);
  REQUIRE(r.ok());
  return std::move(r.value());
}
std::unique_ptr<nl::Adam> adam(nl::AdamOptions o) {
  auto r = nl::Adam::create(o);
  REQUIRE(r.ok());
  return std::move(r.value());
}

}  // namespace

TEST_CASE("SGD with momentum and weight decay: two steps by hand", "[optimizer]") {
  // lr 0.1, momentum 0.9, decay 0.01.
  // step 1: g = 0.5 + 0.01*1 = 0.51; b = g (first step) = 0.51; p = 1 - 0.051 = 0.949
  // step 2: g = -0.2 + 0.01*0.949 = -0.19051; b = 0.9*0.51 + g = 0.26849; p = 0.949 - 0.026849 = 0.922151
  auto opt = sgd({.momentum = 0.9f, .weight_decay = 0.01f});
  auto p = run_scalar(*opt, {0.5f, -0.2f}, 0.1f);
  CHECK(p[0] == Approx(0.949).epsilon(1e-6));
  CHECK(p[1] == Approx(0.922151).epsilon(1e-6));
}

TEST_CASE("SGD Nesterov and dampening: two steps by hand", "[optimizer]") {
  SECTION("nesterov") {
    // step 1: b = 0.51, g' = 0.51 + 0.9*0.51 = 0.969, p = 0.9031
    // step 2: g = -0.2 + 0.01*0.9031 = -0.190969, b = 0.459 + g = 0.268031,
    //         g' = g + 0.9*b = 0.0502589, p = 0.9031 - 0.00502589 = 0.89807411
    auto opt = sgd({.momentum = 0.9f, .weight_decay = 0.01f, .nesterov = true});
    auto p = run_scalar(*opt, {0.5f, -0.2f}, 0.1f);
    CHECK(p[0] == Approx(0.9031).epsilon(1e-6));
    CHECK(p[1] == Approx(0.89807411).epsilon(1e-6));
  }
  SECTION("dampening 0.5 (ignored on the first step, as in PyTorch)") {
    // step 2: b = 0.9*0.51 + 0.5*(-0.19051) = 0.363745, p = 0.949 - 0.0363745 = 0.9126255
    auto opt = sgd({.momentum = 0.9f, .dampening = 0.5f, .weight_decay = 0.01f});
    auto p = run_scalar(*opt, {0.5f, -0.2f}, 0.1f);
    CHECK(p[0] == Approx(0.949).epsilon(1e-6));
    CHECK(p[1] == Approx(0.9126255).epsilon(1e-6));
  }
  SECTION("a tensor registered without decay ignores weight_decay") {
    // plain momentum: p1 = 1 - 0.05 = 0.95; b = 0.45 - 0.2 = 0.25, p2 = 0.925
    auto opt = sgd({.momentum = 0.9f, .weight_decay = 0.01f});
    auto p = run_scalar(*opt, {0.5f, -0.2f}, 0.1f, /*decay=*/false);
    CHECK(p[0] == Approx(0.95).epsilon(1e-6));
    CHECK(p[1] == Approx(0.925).epsilon(1e-6));
  }
}

TEST_CASE("Adam: one step by hand, then a second", "[optimizer]") {
  // lr 0.01, betas 0.9/0.999, eps 1e-8.
  // step 1: m = 0.05, v = 0.00025, m_hat = 0.5, v_hat = 0.25: p = 1 - 0.01 * 0.5 / (0.5 + 1e-8) = 0.99
  // step 2: m = 0.045 - 0.02 = 0.025, v = 0.00024975 + 0.00004 = 0.00028975,
  //         p = 0.99 - (0.01/0.19) * 0.025 / (sqrt(0.00028975)/sqrt(0.001999) + 1e-8) = 0.98654394
  auto opt = adam({});
  auto p = run_scalar(*opt, {0.5f, -0.2f}, 0.01f);
  CHECK(p[0] == Approx(0.99).epsilon(1e-6));
  CHECK(p[1] == Approx(0.98654394).epsilon(1e-6));
  CHECK(opt->type() == "adam");
}

TEST_CASE("Adam's coupled L2 decay differs from AdamW's decoupled decay", "[optimizer]") {
  SECTION("L2 (torch.optim.Adam weight_decay=0.1)") {
    // step 1: g = 0.6, p = 0.99; step 2: g = -0.2 + 0.099 = -0.101, m = 0.054 - 0.0101 = 0.0439,
    // v = 0.000359640 + 0.0000102010 = 0.000369841: p = 0.98462832
    auto opt = adam({.weight_decay = 0.1f});
    auto p = run_scalar(*opt, {0.5f, -0.2f}, 0.01f);
    CHECK(p[0] == Approx(0.99).epsilon(1e-6));
    CHECK(p[1] == Approx(0.98462832).epsilon(1e-6));
  }
  SECTION("decoupled (torch.optim.AdamW weight_decay=0.1)") {
    // step 1: p = 1 * (1 - 0.001) - 0.01 = 0.989; step 2: p = 0.989 * 0.999 - 0.00198894 = 0.98455494
    auto opt = adam({.weight_decay = 0.1f, .decoupled_weight_decay = true});
    auto p = run_scalar(*opt, {0.5f, -0.2f}, 0.01f);
    CHECK(p[0] == Approx(0.989).epsilon(1e-6));
    CHECK(p[1] == Approx(0.98455494).epsilon(1e-6));
    CHECK(opt->type() == "adamw");
  }
}

TEST_CASE("optimizers converge on an ill-conditioned quadratic", "[optimizer]") {
  // f(p) = 1/2 sum_i a_i (p_i - t_i)^2, curvatures spanning 100x.
  const std::vector<float> a = {0.1f, 1.0f, 3.0f, 10.0f}, target = {-2.0f, 0.5f, 1.5f, 3.0f};
  auto minimise = [&](nl::Optimizer& opt, float lr, int steps) {
    nl::Tensor p(nl::Shape{4}), g(nl::Shape{4});
    REQUIRE(opt.add({"p", &p, &g}).ok());
    for (int s = 0; s < steps; ++s) {
      for (int i = 0; i < 4; ++i) g[i] = a[static_cast<size_t>(i)] * (p[i] - target[static_cast<size_t>(i)]);
      REQUIRE(opt.step(lr).ok());
    }
    double worst = 0;
    for (int i = 0; i < 4; ++i) worst = std::max(worst, std::fabs(static_cast<double>(p[i] - target[static_cast<size_t>(i)])));
    return worst;
  };
  auto momentum = sgd({.momentum = 0.9f});
  CHECK(minimise(*momentum, 0.05f, 600) < 1e-3);
  auto nesterov = sgd({.momentum = 0.9f, .nesterov = true});
  CHECK(minimise(*nesterov, 0.05f, 600) < 1e-3);
  auto adam_opt = adam({});
  // Adam's steps stay near lr in size: it needs about |t|/lr steps, then settles.
  CHECK(minimise(*adam_opt, 0.05f, 2000) < 1e-2);
}

TEST_CASE("optimizers reject bad settings and mismatched gradients with clear errors", "[optimizer]") {
  CHECK_FALSE(nl::Sgd::create({.momentum = 1.0f}).ok());
  CHECK_FALSE(nl::Sgd::create({.weight_decay = -1.0f}).ok());
  auto nesterov = nl::Sgd::create({.nesterov = true});
  REQUIRE_FALSE(nesterov.ok());
  CHECK(nesterov.status().message().find("Nesterov") != std::string::npos);
  CHECK_FALSE(nl::Adam::create({.beta1 = 1.0f}).ok());
  CHECK_FALSE(nl::Adam::create({.eps = 0.0f}).ok());

  auto opt = sgd({});
  nl::Tensor p(nl::Shape{3}), g(nl::Shape{2});
  REQUIRE(opt->add({"layer.weight", &p, &g}).ok());
  CHECK_FALSE(opt->add({"layer.weight", &p, &g}).ok());
  auto s = opt->step(0.1f);
  REQUIRE_FALSE(s.ok());
  CHECK(s.message().find("layer.weight") != std::string::npos);
  CHECK(opt->steps_taken() == 0);
  CHECK_FALSE(opt->step(std::nanf("")).ok());
}

TEST_CASE("cosine schedule with linear warm-up", "[optimizer]") {
  nl::ScheduleOptions o;
  o.kind = nl::ScheduleOptions::Kind::cosine;
  o.base_lr = 0.1f;
  o.min_lr = 0.001f;
  o.warmup_steps = 10;
  o.warmup_start_factor = 0.1f;
  o.total_steps = 110;
  auto r = nl::LearningRateSchedule::create(o);
  REQUIRE(r.ok());
  const auto& s = r.value();
  CHECK(s.at(0) == Approx(0.01));                      // base * f
  CHECK(s.at(5) == Approx(0.1 * (0.1 + 0.9 * 0.5)));   // halfway through warm-up
  CHECK(s.at(10) == Approx(0.1));                      // warm-up done: cosine starts at base
  CHECK(s.at(60) == Approx((0.1 + 0.001) / 2));        // half the cosine
  CHECK(s.at(35) == Approx(0.001 + 0.099 * (1 + std::cos(3.14159265358979 / 4)) / 2));
  CHECK(s.at(110) == Approx(0.001));
  CHECK(s.at(500) == Approx(0.001));                   // stays at the floor
}

TEST_CASE("step schedule multiplies by gamma at each milestone", "[optimizer]") {
  nl::ScheduleOptions o;
  o.kind = nl::ScheduleOptions::Kind::step;
  o.base_lr = 0.1f;
  o.gamma = 0.2f;
  o.milestones = {100, 150};
  auto r = nl::LearningRateSchedule::create(o);
  REQUIRE(r.ok());
  CHECK(r.value().at(0) == Approx(0.1));
  CHECK(r.value().at(99) == Approx(0.1));
  CHECK(r.value().at(100) == Approx(0.02));
  CHECK(r.value().at(149) == Approx(0.02));
  CHECK(r.value().at(150) == Approx(0.004));

  o.milestones = {100, 50};
  auto bad = nl::LearningRateSchedule::create(o);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("ascend") != std::string::npos);
  o.kind = nl::ScheduleOptions::Kind::cosine;
  o.total_steps = 10;
  o.warmup_steps = 20;
  CHECK_FALSE(nl::LearningRateSchedule::create(o).ok());
  CHECK_FALSE(nl::LearningRateSchedule::parse_kind("linear").ok());
}
