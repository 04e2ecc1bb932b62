// Feature visualization: the known-answer check of METHOD.md (a hand-set
// vertical-edge filter visualizes as a vertical edge), determinism, cancellation.
#include <catch2/catch.hpp>

#include "interpret/visualize.h"
#include "nn/ops/conv2d.h"

namespace {

// input [1, 15, 15, 1] -> 3x3 conv with a vertical-edge filter (no padding) -> [1, 13, 13, 1]
nl::Graph edge_detector() {
  nl::Graph g;
  REQUIRE(g.set_input("image", nl::Shape{1, 15, 15, 1}).ok());
  nl::Conv2DParams p;
  p.in_channels = 1;
  p.out_channels = 1;
  p.kernel_h = p.kernel_w = 3;
  auto conv = nl::Conv2D::create(p);
  REQUIRE(conv.ok());
  const float filter[9] = {-1, 0, 1, -1, 0, 1, -1, 0, 1};  // dark left, bright right
  for (int i = 0; i < 9; ++i) conv.value()->weight[i] = filter[i];
  REQUIRE(g.add("edge", std::move(conv.value()), {0}).ok());
  return g;
}

float pixel(const nl::Tensor& t, int y, int x) { return t[y * 15 + x]; }

}  // namespace

TEST_CASE("a vertical-edge filter visualizes as a vertical edge", "[visualize]") {
  nl::Graph g = edge_detector();
  nl::Executor ex(&g);
  // The unit at output (6, 6) sees input rows 6..8 and columns 6..8.
  nl::Objective o{1, {{nl::ObjectiveTerm::Kind::kSpatial, 0, 6, 6, 1.0f}}};
  nl::VisualizeOptions opt;  // the paper's defaults: 1000 steps, lr 0.14, blur 0.4
  auto r = nl::visualize(ex, o, opt);
  REQUIRE(r.ok());
  const nl::Tensor& img = r.value().image;
  for (int y = 6; y <= 8; ++y) {
    // Left column dark, right column bright, in every row of the field.
    CHECK(pixel(img, y, 6) < pixel(img, y, 7));
    CHECK(pixel(img, y, 7) < pixel(img, y, 8));
    CHECK(pixel(img, y, 8) - pixel(img, y, 6) > 1.0f);
  }
  // The pattern is vertical: no change from top to bottom, left-right mirror antisymmetry.
  for (int x = 5; x <= 9; ++x) CHECK(pixel(img, 6, x) == Approx(pixel(img, 8, x)).margin(1e-3));
  const float base = opt.start_pixel;
  CHECK(pixel(img, 7, 8) - base == Approx(base - pixel(img, 7, 6)).epsilon(1e-4));
  // The objective rose monotonically (the problem is linear).
  const auto& j = r.value().objective;
  REQUIRE(j.size() == 1000);
  CHECK(j.back() > j.front());
}

TEST_CASE("visualization is deterministic for a seed and differs across seeds", "[visualize]") {
  nl::Graph g = edge_detector();
  nl::Executor ex(&g);
  nl::Objective o = nl::channel_objective(1, 0);
  nl::VisualizeOptions opt;
  opt.steps = 30;
  opt.start = nl::VisualizeOptions::Start::kNoise;
  opt.jitter = 2;
  opt.rotate_degrees = 10;
  opt.scale_jitter = 0.1f;
  opt.optimizer = nl::VisualizeOptions::Optimizer::kAdam;
  opt.learning_rate = 0.05f;
  opt.total_variation = 0.01f;
  opt.l2_decay = 0.01f;
  auto a = nl::visualize(ex, o, opt), b = nl::visualize(ex, o, opt);
  opt.seed = 2;
  auto c = nl::visualize(ex, o, opt);
  REQUIRE((a.ok() && b.ok() && c.ok()));
  bool same_ab = true, same_ac = true;
  for (int64_t i = 0; i < a.value().image.elements(); ++i) {
    same_ab = same_ab && a.value().image[i] == b.value().image[i];
    same_ac = same_ac && a.value().image[i] == c.value().image[i];
  }
  CHECK(same_ab);
  CHECK_FALSE(same_ac);
}

TEST_CASE("visualization can be cancelled from the progress callback", "[visualize]") {
  nl::Graph g = edge_detector();
  nl::Executor ex(&g);
  nl::VisualizeOptions opt;
  int calls = 0;
  auto r = nl::visualize(ex, nl::channel_objective(1, 0), opt, [&](int step, double) {
    ++calls;
    return step < 5;
  });
  REQUIRE(r.ok());
  CHECK(r.value().cancelled);
  CHECK(calls == 5);
  CHECK(r.value().objective.size() == 5);
}

TEST_CASE("visualization rejects bad settings with a message", "[visualize]") {
  nl::Graph g = edge_detector();
  nl::Executor ex(&g);
  nl::VisualizeOptions opt;
  opt.learning_rate = -1;
  auto r = nl::visualize(ex, nl::channel_objective(1, 0), opt);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("learning rate") != std::string::npos);
  auto bad_node = nl::visualize(ex, nl::channel_objective(7, 0), nl::VisualizeOptions{});
  CHECK_FALSE(bad_node.ok());
  auto bad_channel = nl::visualize(ex, nl::channel_objective(1, 3), nl::VisualizeOptions{});
  CHECK_FALSE(bad_channel.ok());
}

TEST_CASE("diversity pushes several images apart", "[visualize]") {
  nl::Graph g = edge_detector();
  nl::Executor ex(&g);
  nl::VisualizeOptions opt;
  opt.steps = 50;
  opt.images = 2;
  opt.start = nl::VisualizeOptions::Start::kNoise;
  auto plain = nl::visualize(ex, nl::channel_objective(1, 0), opt);
  opt.diversity = 50.0f;
  auto diverse = nl::visualize(ex, nl::channel_objective(1, 0), opt);
  REQUIRE((plain.ok() && diverse.ok()));
  auto distance = [](const nl::Tensor& t) {
    double d = 0;
    const int64_t half = t.elements() / 2;
    for (int64_t i = 0; i < half; ++i) d += (t[i] - t[half + i]) * (t[i] - t[half + i]);
    return d;
  };
  CHECK(distance(diverse.value().image) > distance(plain.value().image));
}
