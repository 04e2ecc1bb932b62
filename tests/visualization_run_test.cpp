// VisualizationRun (interpret/visualize.h): the step-wise form of visualize()
// that the web app's worker drives. Stepped to the end it must give the same
// image bit for bit as visualize(), whatever else the executor does between
// steps; every step's image is available; stepping past the end is an error.
#include <catch2/catch.hpp>

#include "interpret/visualize.h"
#include "nn/ops/conv2d.h"
#include "nn/ops/relu.h"

namespace {

// input [1, 9, 9, 1] -> 3x3 conv, 2 channels, padding 1 -> ReLU
nl::Graph small_net() {
  nl::Graph g;
  REQUIRE(g.set_input("image", nl::Shape{1, 9, 9, 1}).ok());
  nl::Conv2DParams p;
  p.in_channels = 1;
  p.out_channels = 2;
  p.kernel_h = p.kernel_w = 3;
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
  auto conv = nl::Conv2D::create(p);
  REQUIRE(conv.ok());
  for (int64_t i = 0; i < conv.value()->weight.elements(); ++i) conv.value()->weight[i] = 0.1f * static_cast<float>((i * 7) % 5) - 0.2f;
  REQUIRE(g.add("conv", std::move(conv.value()), {0}).ok());
  auto relu = nl::ReLU::create();
  REQUIRE(relu.ok());
  REQUIRE(g.add("relu", std::move(relu.value()), {1}).ok());
  return g;
}

nl::VisualizeOptions busy_options() {
  nl::VisualizeOptions o;
  o.steps = 25;
  o.start = nl::VisualizeOptions::Start::kNoise;
  o.optimizer = nl::VisualizeOptions::Optimizer::kAdam;
  o.learning_rate = 0.05f;
  o.jitter = 1;
  o.rotate_degrees = 5;
  o.total_variation = 0.01f;
  o.seed = 7;
  return o;
}

}  // namespace

TEST_CASE("a visualization run stepped to the end equals visualize(), with other work between steps", "[visualize]") {
  nl::Graph g = small_net();
  nl::Executor ex(&g);
  const nl::Objective objective = nl::channel_objective(1, 1);
  const nl::VisualizeOptions options = busy_options();
  auto whole = nl::visualize(ex, objective, options);
  REQUIRE(whole.ok());

  auto started = nl::VisualizationRun::start(ex, objective, options);
  REQUIRE(started.ok());
  nl::VisualizationRun& run = started.value();
  CHECK(run.steps_done() == 0);
  CHECK(run.steps_total() == 25);
  nl::Tensor other(nl::Shape{3, 9, 9, 1});
  other.fill(0.5f);
  std::vector<float> previous(run.image().data(), run.image().data() + run.image().elements());
  while (!run.finished()) {
    REQUIRE(run.step().ok());
    // Each step's image is there, and it moved.
    std::vector<float> now(run.image().data(), run.image().data() + run.image().elements());
    CHECK(now != previous);
    previous = now;
    // The executor serves someone else between steps (another batch size too).
    REQUIRE(ex.forward(other).ok());
  }
  CHECK(run.steps_done() == 25);
  REQUIRE(run.objective_trace().size() == 25);
  const nl::Tensor& a = whole.value().image;
  const nl::Tensor& b = run.image();
  REQUIRE(a.elements() == b.elements());
  bool identical = true;
  for (int64_t i = 0; i < a.elements(); ++i) identical = identical && a[i] == b[i];
  CHECK(identical);
  CHECK(run.objective_trace() == whole.value().objective);
  // Past the end: an error, not a crash.
  CHECK_FALSE(run.step().ok());
}

TEST_CASE("a visualization run checks its settings when it starts", "[visualize]") {
  nl::Graph g = small_net();
  nl::Executor ex(&g);
  CHECK_FALSE(nl::VisualizationRun::start(ex, nl::channel_objective(9, 0), nl::VisualizeOptions{}).ok());
  CHECK_FALSE(nl::VisualizationRun::start(ex, nl::channel_objective(1, 5), nl::VisualizeOptions{}).ok());
  nl::VisualizeOptions bad;
  bad.learning_rate = -1;
  CHECK_FALSE(nl::VisualizationRun::start(ex, nl::channel_objective(1, 0), bad).ok());
  nl::VisualizationRun empty;
  CHECK_FALSE(empty.step().ok());
}
