// The method's neuron- and image-side quantities on small hand-built networks,
// each checked against an answer computed independently: linear models whose
// gradients are their weights, the exact decomposition after global pooling,
// hand-made score tables. (PyTorch parity is in torch_interpret_test.cpp.)
#include <catch2/catch.hpp>

#include "interpret/ablation.h"
#include "interpret/activation.h"
#include "interpret/contribution.h"
#include "interpret/domination.h"
#include "interpret/focus.h"
#include "interpret/top_images.h"
#include "nn/ops/conv2d.h"
#include "nn/ops/dense.h"
#include "nn/ops/flatten.h"
#include "nn/ops/global_avg_pool.h"
#include "nn/ops/max_pool2d.h"
#include "nn/ops/relu.h"
#include "tensor/rng.h"

namespace {

template <typename T>
std::unique_ptr<nl::Op> ok(nl::Result<std::unique_ptr<T>> r) {
  REQUIRE(r.ok());
  return std::move(r.value());
}

void randomize(nl::Graph& g, uint64_t seed, float scale = 0.5f) {
  nl::Rng rng(seed);
  for (nl::Param& p : g.params())
    for (int64_t i = 0; i < p.value->elements(); ++i) (*p.value)[i] = static_cast<float>(rng.uniform(-scale, scale));
}

nl::Tensor random_images(int64_t n, int64_t h, int64_t w, int64_t c, uint64_t seed) {
  nl::Rng rng(seed);
  nl::Tensor t(nl::Shape{n, h, w, c});
  for (int64_t i = 0; i < t.elements(); ++i) t[i] = static_cast<float>(rng.uniform(0, 1));
  return t;
}

nl::Conv2DParams conv3x3(int64_t in, int64_t out) {
  nl::Conv2DParams p;
  p.in_channels = in;
  p.out_channels = out;
  p.kernel_h = p.kernel_w = 3;
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
  return p;
}

// image [N,8,8,2] -> conv 2->4 -> relu -> maxpool 2 -> conv 4->6 -> relu -> GAP -> dense 6->3
struct SmallCnn {
  nl::Graph g;
  int conv1, relu1, pool, conv2, relu2, gap, logits;
  SmallCnn() {
    REQUIRE(g.set_input("image", nl::Shape{1, 8, 8, 2}).ok());
    conv1 = g.add("conv1", ok(nl::Conv2D::create(conv3x3(2, 4))), {0}).value();
    relu1 = g.add("relu1", ok(nl::ReLU::create()), {conv1}).value();
    pool = g.add("pool", ok(nl::MaxPool2D::create(nl::Pool2DParams{})), {relu1}).value();
    conv2 = g.add("conv2", ok(nl::Conv2D::create(conv3x3(4, 6))), {pool}).value();
    relu2 = g.add("relu2", ok(nl::ReLU::create()), {conv2}).value();
    gap = g.add("gap", ok(nl::GlobalAvgPool::create()), {relu2}).value();
    logits = g.add("logits", ok(nl::Dense::create(6, 3)), {gap}).value();
    randomize(g, 7);
  }
};

// image [1,4,5,2] -> flatten -> dense 40->3: every gradient is a weight row.
struct LinearModel {
  nl::Graph g;
  nl::Dense* dense = nullptr;
  LinearModel() {
    REQUIRE(g.set_input("image", nl::Shape{1, 4, 5, 2}).ok());
    int f = g.add("flat", ok(nl::Flatten::create()), {0}).value();
    auto d = nl::Dense::create(40, 3);
    REQUIRE(d.ok());
    dense = d.value().get();
    REQUIRE(g.add("logits", std::move(d.value()), {f}).ok());
    randomize(g, 3);
  }
};

}  // namespace

TEST_CASE("gradient x activation after global pooling equals the exact linear decomposition", "[interpret]") {
  SmallCnn net;
  nl::Executor ex(&net.g);
  nl::Tensor images = random_images(5, 8, 8, 2, 11);
  std::vector<int> used;
  auto c = nl::contributions(ex, images, net.relu2, {}, {}, &used);
  REQUIRE(c.ok());
  auto exact = nl::linear_decomposition(ex, net.relu2, used);
  REQUIRE(exact.ok());
  const nl::Tensor logits = ex.value(net.logits);
  auto* dense = dynamic_cast<nl::Dense*>(net.g.node(net.logits).op.get());
  for (int64_t b = 0; b < 5; ++b) {
    double sum = dense->bias[used[static_cast<size_t>(b)]];
    for (int64_t k = 0; k < 6; ++k) {
      CHECK(c.value()[b * 6 + k] == Approx(exact.value()[b * 6 + k]).margin(1e-6));
      sum += c.value()[b * 6 + k];
    }
    // The terms and the bias add up to the logit of the predicted class, which is the largest.
    CHECK(sum == Approx(logits[b * 3 + used[static_cast<size_t>(b)]]).margin(1e-5));
    for (int j = 0; j < 3; ++j) CHECK(logits[b * 3 + j] <= logits[b * 3 + used[static_cast<size_t>(b)]]);
  }
  auto not_linear = nl::linear_decomposition(ex, net.conv1, used);
  CHECK_FALSE(not_linear.ok());
}

TEST_CASE("saliency and gradient scores of a linear model are its weights", "[interpret]") {
  LinearModel m;
  nl::Executor ex(&m.g);
  nl::Tensor x = random_images(1, 4, 5, 2, 5);
  auto s = nl::saliency(ex, x, 2);
  REQUIRE(s.ok());
  for (int64_t p = 0; p < 20; ++p) {
    const float expected = std::max(std::fabs(m.dense->weight[2 * 40 + p * 2]), std::fabs(m.dense->weight[2 * 40 + p * 2 + 1]));
    CHECK(s.value().values[static_cast<size_t>(p)] == Approx(expected));
  }
}

TEST_CASE("occlusion of single pixels drops a linear logit by w * x", "[interpret]") {
  LinearModel m;
  nl::Executor ex(&m.g);
  nl::Tensor x = random_images(1, 4, 5, 2, 6);
  auto occ = nl::occlusion(ex, x, 1, nl::OcclusionOptions{1, 1, 0.0f});
  REQUIRE(occ.ok());
  for (int64_t p = 0; p < 20; ++p) {
    const double expected = m.dense->weight[40 + p * 2] * x[p * 2] + m.dense->weight[40 + p * 2 + 1] * x[p * 2 + 1];
    CHECK(occ.value().values[static_cast<size_t>(p)] == Approx(expected).margin(1e-5));
  }
  // Larger patches still cover every pixel.
  auto coarse = nl::occlusion(ex, x, 1, nl::OcclusionOptions{3, 2, 0.0f});
  REQUIRE(coarse.ok());
  CHECK(coarse.value().values.size() == 20);
}

TEST_CASE("Grad-CAM weights channels by their mean gradient", "[interpret]") {
  SmallCnn net;
  nl::Executor ex(&net.g);
  nl::Tensor x = random_images(1, 8, 8, 2, 12);
  auto cam = nl::grad_cam(ex, x, net.relu2, 0);
  REQUIRE(cam.ok());
  // After GAP -> dense, dy_0/dA_k = w_0k / (4*4) at every position, so the
  // 4x4 map is ReLU(sum_k w_0k A_k / 16); check its mean against the map's values.
  nl::Tensor a = ex.value(net.relu2);
  auto* dense = dynamic_cast<nl::Dense*>(net.g.node(net.logits).op.get());
  std::vector<float> expected(16);
  for (int p = 0; p < 16; ++p) {
    double s = 0;
    for (int k = 0; k < 6; ++k) s += dense->weight[k] / 16.0 * a[p * 6 + k];
    expected[static_cast<size_t>(p)] = static_cast<float>(std::max(0.0, s));
  }
  std::vector<float> up = nl::resize_map(expected, 4, 4, 8, 8);
  REQUIRE(cam.value().values.size() == 64);
  for (size_t i = 0; i < 64; ++i) CHECK(cam.value().values[i] == Approx(up[i]).margin(1e-6));
  // resize_map of a constant map is constant.
  std::vector<float> flat = nl::resize_map(std::vector<float>(4, 2.5f), 2, 2, 5, 3);
  for (float v : flat) CHECK(v == Approx(2.5f));
}

TEST_CASE("domination on hand-made scores, invariant to scaling", "[interpret]") {
  nl::Tensor scores(nl::Shape{3, 4});
  const float v[12] = {1, 5, 2, 0, /**/ -1, -2, -0.5f, -3, /**/ 3, 3, 1, 1};
  for (int i = 0; i < 12; ++i) scores[i] = v[i];
  auto d = nl::dominant_categories(scores);
  CHECK(d[0].category == 1);
  CHECK(d[0].margin == Approx(3.0 / 8.0));
  CHECK(d[1].category == 2);
  CHECK(d[2].category == 0);
  CHECK(d[2].margin == Approx(0.0));
  for (int i = 0; i < 12; ++i) scores[i] *= 7.5f;
  auto scaled = nl::dominant_categories(scores);
  for (int k = 0; k < 3; ++k) {
    CHECK(scaled[static_cast<size_t>(k)].category == d[static_cast<size_t>(k)].category);
    CHECK(scaled[static_cast<size_t>(k)].margin == Approx(d[static_cast<size_t>(k)].margin));
  }
  const float c[6] = {0.1f, 4, -2, 3, 2, 1};  // positive total 10.1
  CHECK(nl::dominating_set(c, 6, 0.5) == std::vector<int>{1, 3});    // 4 + 3 = 7 >= 5.05
  CHECK(nl::dominating_set(c, 6, 0.8) == std::vector<int>{1, 3, 4}); // 9 >= 8.08
  const float none[2] = {-1, 0};
  CHECK(nl::dominating_set(none, 2, 0.5).empty());
  auto share = nl::contribution_shares(c, 6);
  CHECK(share[1] == Approx(4 / 10.1));
  CHECK(share[2] == Approx(-2 / 10.1));
}

TEST_CASE("ablation keeping every neuron reproduces the logits exactly; removing all leaves the bias", "[interpret]") {
  SmallCnn net;
  nl::Executor ex(&net.g);
  nl::Tensor x = random_images(4, 8, 8, 2, 21);
  REQUIRE(ex.forward(x).ok());
  const nl::Tensor original = ex.value(net.logits);
  auto all = nl::logits_with_kept_channels(ex, x, net.relu2, {0, 1, 2, 3, 4, 5});
  REQUIRE(all.ok());
  for (int64_t i = 0; i < original.elements(); ++i) CHECK(all.value()[i] == original[i]);
  auto none = nl::logits_with_kept_channels(ex, x, net.relu2, {});
  REQUIRE(none.ok());
  auto* dense = dynamic_cast<nl::Dense*>(net.g.node(net.logits).op.get());
  for (int64_t b = 0; b < 4; ++b)
    for (int j = 0; j < 3; ++j) CHECK(none.value()[b * 3 + j] == Approx(dense->bias[j]));
  // The weights are restored afterwards.
  REQUIRE(ex.forward(x).ok());
  for (int64_t i = 0; i < original.elements(); ++i) CHECK(ex.value(net.logits)[i] == original[i]);
  CHECK(nl::kept_parameters(net.g, net.relu2, {0, 2}).value() == 2 * (3 * 3 * 4 + 1));
  CHECK_FALSE(nl::logits_with_kept_channels(ex, x, net.relu2, {9}).ok());
  CHECK_FALSE(nl::channel_producer(net.g, net.gap).ok());
}

TEST_CASE("ablation accuracy with all kept equals the plain accuracy", "[interpret]") {
  SmallCnn net;
  nl::Executor ex(&net.g);
  nl::ImageSet set;
  set.images = random_images(40, 8, 8, 2, 31);
  REQUIRE(ex.forward(set.images).ok());
  int64_t correct = 0;
  for (int64_t b = 0; b < 40; ++b) {
    const int label = static_cast<int>(b % 3);
    set.labels.push_back(label);
    const float* row = ex.value(net.logits).data() + b * 3;
    correct += (std::max_element(row, row + 3) - row) == label;
  }
  auto r = nl::evaluate_with_kept_channels(ex, set, 3, net.relu2, {}, true);
  REQUIRE(r.ok());
  CHECK(r.value().overall == Approx(correct / 40.0));
  CHECK(r.value().per_class_count == std::vector<int64_t>{14, 13, 13});
}

TEST_CASE("receptive fields and top activating images", "[interpret]") {
  SmallCnn net;
  // conv3x3 pad 1 -> 3x3 field; maxpool 2 -> 4x4, stride 2; conv3x3 pad 1 -> 4 + 2*2 = 8.
  nl::ReceptiveField rf = nl::receptive_field(net.g, net.relu2);
  CHECK(rf.size_y == 8);
  CHECK(rf.stride_y == 2);
  CHECK(rf.offset_y == -3);
  nl::Executor ex(&net.g);
  nl::ImageSet set;
  set.images = random_images(50, 8, 8, 2, 41);
  set.labels.assign(50, 0);
  auto top = nl::top_activating_images(ex, set, net.relu2, 3, 5);
  REQUIRE(top.ok());
  auto responses = nl::neuron_responses(ex, set, net.relu2, nl::Reduction::kSum);
  REQUIRE(responses.ok());
  std::vector<float> r;
  for (int64_t b = 0; b < 50; ++b) r.push_back(responses.value()[b * 6 + 3]);
  std::vector<float> sorted = r;
  std::sort(sorted.rbegin(), sorted.rend());
  REQUIRE(top.value().size() == 5);
  for (size_t i = 0; i < 5; ++i) {
    CHECK(top.value()[i].response == Approx(sorted[i]));
    CHECK(r[static_cast<size_t>(top.value()[i].index)] == Approx(sorted[i]));
    CHECK(top.value()[i].box_y1 > top.value()[i].box_y0);
  }
}

TEST_CASE("per-category activation is the mean over each category's images", "[interpret]") {
  SmallCnn net;
  nl::Executor ex(&net.g);
  nl::ImageSet set;
  set.images = random_images(9, 8, 8, 2, 51);
  set.labels = {0, 1, 2, 0, 1, 2, 0, 1, 1};
  auto act = nl::category_activation(ex, set, net.conv2, 3, nl::Reduction::kMean);
  auto r = nl::neuron_responses(ex, set, net.conv2, nl::Reduction::kMean);
  REQUIRE((act.ok() && r.ok()));
  for (int k = 0; k < 6; ++k) {
    const double mean1 = (r.value()[1 * 6 + k] + r.value()[4 * 6 + k] + r.value()[7 * 6 + k] + r.value()[8 * 6 + k]) / 4;
    CHECK(act.value()[k * 3 + 1] == Approx(mean1).margin(1e-6));
  }
  CHECK(nl::post_activation_node(net.g, net.conv2) == net.relu2);
  CHECK(nl::post_activation_node(net.g, net.gap) == net.gap);
  CHECK(nl::logits_node(net.g) == net.logits);
}
