// XNNPACK forward backend (native builds with NL_XNNPACK only): every node it
// takes must give the built-in op's value within 1e-4, relative to the largest
// magnitude of the output. The built-in ops are the oracle (they have their
// own tests against PyTorch); each case also checks that XNNPACK really ran the
// node rather than passing it back to the op.
#if NL_XNNPACK
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>

#include "backends/xnnpack_forward.h"
#include "kernels/thread_pool.h"
#include "nn/executor.h"
#include "nn/ops/add.h"
#include "nn/ops/avg_pool2d.h"
#include "nn/ops/batch_norm.h"
#include "nn/ops/clip.h"
#include "nn/ops/conv2d.h"
#include "nn/ops/dense.h"
#include "nn/ops/flatten.h"
#include "nn/ops/global_avg_pool.h"
#include "nn/ops/hard_swish.h"
#include "nn/ops/leaky_relu.h"
#include "nn/ops/max_pool2d.h"
#include "nn/ops/relu.h"
#include "nn/ops/sigmoid.h"
#include "nn/ops/softmax.h"

namespace {

void fill_uniform(nl::Tensor& t, std::mt19937& rng, float scale = 1.0f) {
  std::uniform_real_distribution<float> uniform(-scale, scale);
  for (int64_t i = 0; i < t.elements(); ++i) t[i] = uniform(rng);
}

void randomize_params(nl::Graph& g, std::mt19937& rng) {
  for (nl::Param& p : g.params()) {
    if (!p.value || p.value->elements() == 0) continue;
    fill_uniform(*p.value, rng, 0.5f);
    if (p.name.ends_with("running_var"))  // variances must stay positive
      for (int64_t i = 0; i < p.value->elements(); ++i) (*p.value)[i] += 1.0f;
  }
}

// max |a - b| / max |a|, and where it is largest.
struct Difference {
  double relative = 0;
  int64_t at = -1;
};
Difference relative_difference(const nl::Tensor& expected, const nl::Tensor& actual) {
  Difference d;
  double scale = 1e-30, worst = 0;
  for (int64_t i = 0; i < expected.elements(); ++i) {
    scale = std::max(scale, static_cast<double>(std::fabs(expected[i])));
    const double diff = std::fabs(static_cast<double>(expected[i]) - actual[i]);
    if (diff > worst) worst = diff, d.at = i;
  }
  d.relative = worst / scale;
  return d;
}

// Runs `g` forward with the built-in ops and with XNNPACK, and compares every node.
// `xnnpack_nodes` must be taken by XNNPACK (not declined).
void check_against_builtin(nl::Graph& g, int64_t batch, const std::vector<int>& xnnpack_nodes, int threads = 1,
                           float input_scale = 1.0f) {
  std::mt19937 rng(1);
  randomize_params(g, rng);
  nl::Shape in_shape = g.node(0).shape;
  in_shape[0] = batch;
  nl::Tensor x(in_shape);
  fill_uniform(x, rng, input_scale);

  nl::ThreadPool pool(threads);
  nl::Executor builtin(&g, &pool);
  REQUIRE(builtin.forward(x).ok());

  auto backend = nl::XnnpackForward::create(g, {.threads = threads});
  REQUIRE(backend.ok());
  INFO(backend.value()->describe());
  for (int id : xnnpack_nodes) CHECK(backend.value()->handles(id));
  nl::Executor fast(&g, &pool);
  fast.set_forward_backend(backend.value().get());
  REQUIRE(fast.forward(x).ok());
  // Twice: the second run reuses operators already set up for these buffers.
  REQUIRE(fast.forward(x).ok());

  for (int i = 1; i < g.size(); ++i) {
    const nl::Tensor& want = builtin.value(i);
    const nl::Tensor& got = fast.value(i);
    INFO("node " << g.node(i).name << " (" << g.node(i).op->type() << ") " << want.shape().str());
    REQUIRE(got.shape() == want.shape());
    const Difference d = relative_difference(want, got);
    INFO("largest difference at element " << d.at << ": built-in " << (d.at >= 0 ? want[d.at] : 0.0f)
                                          << ", xnnpack " << (d.at >= 0 ? got[d.at] : 0.0f));
    CHECK(d.relative <= 1e-4);
  }
}

// A graph of one op over an input of `shape`; returns the op's node id.
template <typename OpPtr>
int single_op_graph(nl::Graph& g, const nl::Shape& shape, nl::Result<OpPtr> op) {
  REQUIRE(op.ok());
  REQUIRE(g.set_input("x", shape).ok());
  std::string name = op.value()->type();
  auto id = g.add(std::move(name), std::move(op.value()), {0});
  REQUIRE(id.ok());
  return id.value();
}

nl::Pool2DParams pool(int kh, int kw, int sh, int sw, int pt = 0, int pl = 0, int pb = 0, int pr = 0,
                      bool ceil_mode = false, bool count_include_pad = true) {
  nl::Pool2DParams p;
  p.kernel_h = kh, p.kernel_w = kw, p.stride_h = sh, p.stride_w = sw;
  p.pad_top = pt, p.pad_left = pl, p.pad_bottom = pb, p.pad_right = pr;
  p.ceil_mode = ceil_mode;
  p.count_include_pad = count_include_pad;
  return p;
}

struct ConvCase {
  const char* what;
  int64_t batch, h, w, cin, cout;
  int kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, groups;
  bool bias;
};

}  // namespace

TEST_CASE("XNNPACK convolution matches the built-in Conv2D", "[xnnpack]") {
  // Sizes below, at and above XNNPACK's tiles; channel counts off multiples of 4 and 8.
  const ConvCase cases[] = {
      {"1x1", 2, 5, 6, 8, 16, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, true},
      {"3x3 same", 1, 9, 9, 3, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true},
      {"3x3 stride 2, asymmetric pads", 3, 11, 8, 5, 13, 3, 3, 2, 2, 1, 1, 0, 1, 1, 0, 1, true},
      {"3x3 pads only bottom and right", 2, 7, 6, 4, 5, 3, 3, 1, 1, 1, 1, 0, 0, 2, 1, 1, true},
      {"5x3 stride 3x1, no bias", 1, 13, 10, 4, 6, 5, 3, 3, 1, 1, 1, 2, 1, 2, 1, 1, false},
      {"3x3 dilation 2", 2, 12, 12, 6, 9, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1, true},
      {"groups 2", 2, 7, 7, 8, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, true},
      {"groups 3, stride 2", 1, 10, 9, 9, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 3, true},
      {"depthwise 3x3", 2, 10, 10, 17, 17, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 17, true},
      {"depthwise 5x5 stride 2", 1, 15, 14, 8, 8, 5, 5, 2, 2, 1, 1, 2, 2, 2, 2, 8, true},
      {"depthwise multiplier 2", 1, 8, 8, 5, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 5, false},
      {"7x7 stride 2 stem", 1, 32, 32, 3, 24, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3, 1, true},
      {"kernel larger than padded input rows", 1, 4, 9, 2, 3, 3, 5, 1, 2, 1, 1, 0, 2, 0, 2, 1, true},
  };
  for (const ConvCase& c : cases) {
    for (int threads : {1, 2}) {
      DYNAMIC_SECTION(c.what << ", " << threads << " thread(s)") {
        nl::Conv2DParams p;
        p.in_channels = c.cin, p.out_channels = c.cout;
        p.kernel_h = c.kh, p.kernel_w = c.kw;
        p.stride_h = c.sh, p.stride_w = c.sw;
        p.dilation_h = c.dh, p.dilation_w = c.dw;
        p.pad_top = c.pt, p.pad_left = c.pl, p.pad_bottom = c.pb, p.pad_right = c.pr;
        p.groups = c.groups;
        p.has_bias = c.bias;
        auto conv = nl::Conv2D::create(p);
        REQUIRE(conv.ok());
        nl::Graph g;
        REQUIRE(g.set_input("x", nl::Shape{1, c.h, c.w, c.cin}).ok());
        auto id = g.add("conv", std::move(conv.value()), {0});
        REQUIRE(id.ok());
        check_against_builtin(g, c.batch, {id.value()}, threads);
      }
    }
  }
}

TEST_CASE("XNNPACK fully connected matches the built-in Dense", "[xnnpack]") {
  struct DenseCase {
    int64_t batch, in, out;
    bool bias;
  };
  for (const DenseCase& c : {DenseCase{1, 1, 1, true}, DenseCase{3, 17, 10, true}, DenseCase{8, 64, 33, false},
                             DenseCase{5, 300, 7, true}}) {
    DYNAMIC_SECTION(c.in << " -> " << c.out << ", batch " << c.batch) {
      auto dense = nl::Dense::create(c.in, c.out, c.bias);
      REQUIRE(dense.ok());
      nl::Graph g;
      REQUIRE(g.set_input("x", nl::Shape{1, c.in}).ok());
      auto id = g.add("fc", std::move(dense.value()), {0});
      REQUIRE(id.ok());
      check_against_builtin(g, c.batch, {id.value()}, 2);
    }
  }
}

TEST_CASE("XNNPACK backend declines what it does not know and says so", "[xnnpack]") {
  // A node type XNNPACK has no operator for runs through its own op.
  class Negate : public nl::Op {
   public:
    std::string type() const override { return "NegateForTest"; }
    nl::Status output_shape(std::span<const nl::Shape> in, nl::Shape* out) const override {
      *out = in[0];
      return nl::Status::Ok();
    }
    void forward(const nl::OpContext&, std::span<const nl::Tensor* const> in, nl::Tensor& out) override {
      for (int64_t i = 0; i < out.elements(); ++i) out[i] = -(*in[0])[i];
    }
    void backward(const nl::OpContext&, std::span<const nl::Tensor* const>, const nl::Tensor&, const nl::Tensor&,
                  std::span<nl::Tensor* const>, bool) override {}
  };
  nl::Conv2DParams p;
  p.in_channels = 2, p.out_channels = 3, p.kernel_h = p.kernel_w = 3;
  nl::Graph g;
  REQUIRE(g.set_input("x", nl::Shape{1, 6, 6, 2}).ok());
  const int conv = g.add("conv", std::move(nl::Conv2D::create(p).value()), {0}).value();
  const int neg = g.add("neg", std::make_unique<Negate>(), {conv}).value();
  auto backend = nl::XnnpackForward::create(g);
  REQUIRE(backend.ok());
  CHECK(backend.value()->handles(conv));
  CHECK_FALSE(backend.value()->handles(neg));
  CHECK(backend.value()->describe().find("no XNNPACK operator for NegateForTest") != std::string::npos);
  check_against_builtin(g, 2, {conv});

  CHECK_FALSE(nl::XnnpackForward::create(g, {.threads = 0}).ok());
}

TEST_CASE("XNNPACK max pooling matches the built-in MaxPool2D", "[xnnpack]") {
  struct PoolCase {
    const char* what;
    nl::Shape shape;
    nl::Pool2DParams params;
  };
  const PoolCase cases[] = {
      {"2x2 stride 2", {2, 8, 8, 5}, pool(2, 2, 2, 2)},
      {"2x2 stride 2, odd input", {1, 9, 7, 16}, pool(2, 2, 2, 2)},
      {"3x3 stride 2 pad 1", {2, 11, 11, 3}, pool(3, 3, 2, 2, 1, 1, 1, 1)},
      {"3x3 stride 1 pad 1", {1, 6, 7, 9}, pool(3, 3, 1, 1, 1, 1, 1, 1)},
      {"3x2 stride 1x2, asymmetric pads", {1, 7, 9, 4}, pool(3, 2, 1, 2, 2, 0, 0, 1)},
      {"3x3 stride 2, ceil_mode", {2, 8, 8, 6}, pool(3, 3, 2, 2, 0, 0, 0, 0, true)},
      {"2x2 stride 2, ceil_mode, odd input", {1, 7, 5, 3}, pool(2, 2, 2, 2, 0, 0, 0, 0, true)},
      {"3x3 stride 3 pad 1, ceil_mode", {1, 10, 11, 2}, pool(3, 3, 3, 3, 1, 1, 1, 1, true)},
  };
  for (const PoolCase& c : cases) {
    DYNAMIC_SECTION(c.what) {
      nl::Graph g;
      const int id = single_op_graph(g, c.shape, nl::MaxPool2D::create(c.params));
      check_against_builtin(g, c.shape.n(), {id}, 2);
    }
  }
  SECTION("1x1 stride 2, which XNNPACK refuses, runs built-in") {
    nl::Graph g;
    const int id = single_op_graph(g, nl::Shape{1, 6, 6, 3}, nl::MaxPool2D::create(pool(1, 1, 2, 2)));
    check_against_builtin(g, 2, {}, 1);
    auto backend = nl::XnnpackForward::create(g);
    REQUIRE(backend.ok());
    INFO(backend.value()->describe());
    CHECK_FALSE(backend.value()->handles(id));
    CHECK(backend.value()->describe().find("refused") != std::string::npos);
  }
}

TEST_CASE("XNNPACK average pooling matches the built-in AvgPool2D", "[xnnpack]") {
  struct PoolCase {
    const char* what;
    nl::Shape shape;
    nl::Pool2DParams params;
    bool xnnpack;  // false: XNNPACK cannot express it, the op must run
  };
  const PoolCase cases[] = {
      {"2x2 stride 2", {2, 8, 8, 5}, pool(2, 2, 2, 2), true},
      {"3x3 stride 1, odd channels", {1, 7, 6, 13}, pool(3, 3, 1, 1), true},
      {"3x3 stride 1 pad 1, padding not counted", {2, 6, 6, 4}, pool(3, 3, 1, 1, 1, 1, 1, 1, false, false), true},
      {"3x3 stride 2, ceil_mode", {1, 8, 8, 3}, pool(3, 3, 2, 2, 0, 0, 0, 0, true, true), true},
      {"3x3 stride 2 pad 1, ceil_mode, padding not counted", {1, 9, 10, 3},
       pool(3, 3, 2, 2, 1, 1, 1, 1, true, false), true},
      {"3x3 stride 1 pad 1, padding counted", {1, 6, 6, 4}, pool(3, 3, 1, 1, 1, 1, 1, 1, false, true), false},
  };
  for (const PoolCase& c : cases) {
    DYNAMIC_SECTION(c.what) {
      nl::Graph g;
      const int id = single_op_graph(g, c.shape, nl::AvgPool2D::create(c.params));
      check_against_builtin(g, c.shape.n(), c.xnnpack ? std::vector<int>{id} : std::vector<int>{}, 2);
      auto backend = nl::XnnpackForward::create(g);
      REQUIRE(backend.ok());
      CHECK(backend.value()->handles(id) == c.xnnpack);
    }
  }
}

TEST_CASE("XNNPACK global average pooling and elementwise ops match the built-in ops", "[xnnpack]") {
  const nl::Shape image{2, 5, 6, 7}, rows{3, 10};
  SECTION("GlobalAvgPool") {
    nl::Graph g;
    check_against_builtin(g, 2, {single_op_graph(g, image, nl::GlobalAvgPool::create())}, 2);
  }
  SECTION("ReLU") {
    nl::Graph g;
    check_against_builtin(g, 2, {single_op_graph(g, image, nl::ReLU::create())});
  }
  SECTION("Clip") {
    nl::Graph g;
    check_against_builtin(g, 3, {single_op_graph(g, rows, nl::Clip::create(-0.5f, 0.7f))});
  }
  SECTION("LeakyReLU") {
    nl::Graph g;
    check_against_builtin(g, 2, {single_op_graph(g, image, nl::LeakyReLU::create(0.1f))});
  }
  SECTION("Sigmoid") {
    nl::Graph g;
    check_against_builtin(g, 2, {single_op_graph(g, image, nl::Sigmoid::create())}, 1, 8.0f);
  }
  SECTION("HardSwish") {
    nl::Graph g;
    check_against_builtin(g, 2, {single_op_graph(g, image, nl::HardSwish::create())}, 1, 5.0f);
  }
  SECTION("Softmax over the last dimension") {
    nl::Graph g;
    check_against_builtin(g, 3, {single_op_graph(g, rows, nl::Softmax::create())}, 1, 6.0f);
  }
}

namespace {

template <typename OpPtr>
int add_node(nl::Graph& g, const std::string& name, nl::Result<OpPtr> op, std::vector<int> inputs) {
  REQUIRE(op.ok());
  auto id = g.add(name, std::move(op.value()), std::move(inputs));
  INFO(id.status().message());
  REQUIRE(id.ok());
  return id.value();
}

nl::Conv2DParams conv(int64_t cin, int64_t cout, int k, int stride = 1, int groups = 1) {
  nl::Conv2DParams p;
  p.in_channels = cin, p.out_channels = cout;
  p.kernel_h = p.kernel_w = k;
  p.stride_h = p.stride_w = stride;
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = k / 2;
  p.groups = groups;
  return p;
}

// A small residual CNN over 20x20 RGB images, with every supported op and a
// few that are not (BatchNorm, Flatten).
struct SmallNetwork {
  nl::Graph g;
  std::vector<int> xnnpack_nodes;  // every node but the input, BatchNorm and Flatten
  int logits = -1;

  SmallNetwork() {
    REQUIRE(g.set_input("image", nl::Shape{1, 20, 20, 3}).ok());
    auto x = [&](const std::string& name, auto op, std::vector<int> in, bool xnnpack = true) {
      const int id = add_node(g, name, std::move(op), std::move(in));
      if (xnnpack) xnnpack_nodes.push_back(id);
      return id;
    };
    int h = x("stem", nl::Conv2D::create(conv(3, 12, 5, 2)), {0});
    h = x("stem_bn", nl::BatchNorm::create(12), {h}, false);
    h = x("stem_relu", nl::ReLU::create(), {h});
    int r = x("block_dw", nl::Conv2D::create(conv(12, 12, 3, 1, 12)), {h});
    r = x("block_dw_relu6", nl::Clip::create_relu6(), {r});
    r = x("block_pw", nl::Conv2D::create(conv(12, 12, 1)), {r});
    h = x("block_add", nl::Add::create(), {h, r});
    h = x("block_relu", nl::ReLU::create(), {h});
    h = x("pool", nl::MaxPool2D::create(pool(3, 3, 2, 2, 1, 1, 1, 1)), {h});
    h = x("conv2", nl::Conv2D::create(conv(12, 20, 3)), {h});
    h = x("conv2_act", nl::HardSwish::create(), {h});
    int gap = x("gap", nl::GlobalAvgPool::create(), {h});
    int avg = x("avg", nl::AvgPool2D::create(pool(2, 2, 2, 2, 0, 0, 0, 0, true)), {h});
    int flat = x("flatten", nl::Flatten::create(), {avg}, false);
    int side = x("side_fc", nl::Dense::create(g.node(flat).shape[1], 20), {flat});
    side = x("side_leaky", nl::LeakyReLU::create(0.05f), {side});
    h = x("join", nl::Add::create(), {gap, side});
    h = x("fc", nl::Dense::create(20, 10), {h});
    logits = h;
    x("probabilities", nl::Softmax::create(), {h});
  }
};

}  // namespace

TEST_CASE("XNNPACK runs a small network like the built-in ops, and backward agrees", "[xnnpack]") {
  for (int threads : {1, 2}) {
    DYNAMIC_SECTION(threads << " thread(s)") {
      SmallNetwork net;
      check_against_builtin(net.g, 3, net.xnnpack_nodes, threads);

      // Backward runs the ops on XNNPACK's values: the input gradient of the
      // top logit must match the one computed after a built-in forward.
      std::mt19937 rng(5);
      nl::Tensor x(nl::Shape{3, 20, 20, 3});
      fill_uniform(x, rng);
      nl::ThreadPool pool(threads);
      nl::Executor builtin(&net.g, &pool), fast(&net.g, &pool);
      auto backend = nl::XnnpackForward::create(net.g, {.threads = threads});
      REQUIRE(backend.ok());
      fast.set_forward_backend(backend.value().get());
      REQUIRE(builtin.forward(x).ok());
      REQUIRE(fast.forward(x).ok());
      nl::Tensor seed(builtin.value(net.logits).shape());
      fill_uniform(seed, rng);
      REQUIRE(builtin.backward({net.logits, &seed}).ok());
      REQUIRE(fast.backward({net.logits, &seed}).ok());
      const Difference d = relative_difference(builtin.grad(0), fast.grad(0));
      INFO("largest input-gradient difference at " << d.at);
      CHECK(d.relative <= 1e-4);
    }
  }
}

TEST_CASE("XNNPACK folds ReLU and Clip into their producers when asked", "[xnnpack]") {
  SmallNetwork net;
  std::mt19937 rng(3);
  randomize_params(net.g, rng);
  nl::Tensor x(nl::Shape{2, 20, 20, 3});
  fill_uniform(x, rng);
  nl::Executor builtin(&net.g), fused(&net.g);
  auto backend = nl::XnnpackForward::create(net.g, {.threads = 2, .fuse_activations = true});
  REQUIRE(backend.ok());
  const std::string routes = backend.value()->describe();
  INFO(routes);
  // stem -> BatchNorm (built-in) -> ReLU: nothing to fold into. block_dw -> relu6 folds;
  // block_add -> block_relu folds (the add's value is read only by the ReLU).
  CHECK(routes.find("block_dw_relu6 Clip: fused into 'block_dw'") != std::string::npos);
  CHECK(routes.find("block_relu ReLU: fused into 'block_add'") != std::string::npos);
  CHECK(routes.find("stem_relu ReLU: xnnpack clamp_nc_f32") != std::string::npos);
  fused.set_forward_backend(backend.value().get());
  REQUIRE(builtin.forward(x).ok());
  REQUIRE(fused.forward(x).ok());
  const int dw = net.g.find("block_dw"), add = net.g.find("block_add");
  for (int i = 1; i < net.g.size(); ++i) {
    nl::Tensor want = builtin.value(i);
    // A producer's value is now its activation's output.
    if (i == dw)
      for (int64_t k = 0; k < want.elements(); ++k) want[k] = std::min(std::max(want[k], 0.0f), 6.0f);
    if (i == add)
      for (int64_t k = 0; k < want.elements(); ++k) want[k] = std::max(want[k], 0.0f);
    INFO("node " << net.g.node(i).name);
    CHECK(relative_difference(want, fused.value(i)).relative <= 1e-4);
  }
}

TEST_CASE("XNNPACK splits a convolution with a large weight into slices of output channels", "[xnnpack]") {
  // Each slice's weight stays under 512 KB, in multiples of 16 channels: 3x3x256
  // floats (9 KB) per output channel gives slices of 48, so 72 channels run as
  // 48 + 24 and 256 as 5 x 48 + 16; 1x1x1536 (6 KB) gives 80, so 100 run as
  // 80 + 20. With 2 threads the slices run side by side, and 256 channels are
  // cut into 8 equal slices of 32 instead (72 and 100 have no even split).
  struct SlicedCase {
    const char* what;
    nl::Conv2DParams params;
    nl::Shape input;
    const char* route_1_thread;
    const char* route_2_threads;
  };
  nl::Conv2DParams pointwise = conv(1536, 100, 1, 2);
  pointwise.has_bias = false;
  const SlicedCase cases[] = {
      {"3x3 256 -> 72, bias", conv(256, 72, 3), nl::Shape{1, 6, 5, 256}, "in 2 slices of 48 output channels",
       "in 2 slices of 48 output channels"},
      {"3x3 256 -> 256", conv(256, 256, 3), nl::Shape{1, 4, 3, 256}, "in 6 slices of 48 output channels",
       "in 8 slices of 32 output channels"},
      {"1x1 stride 2 1536 -> 100, no bias", pointwise, nl::Shape{1, 7, 7, 1536}, "in 2 slices of 80 output channels",
       "in 2 slices of 80 output channels"},
  };
  for (const SlicedCase& c : cases) {
    for (int threads : {1, 2}) {
      DYNAMIC_SECTION(c.what << ", " << threads << " thread(s)") {
        nl::Graph g;
        const int id = single_op_graph(g, c.input, nl::Conv2D::create(c.params));
        auto backend = nl::XnnpackForward::create(g, {.threads = threads});
        REQUIRE(backend.ok());
        INFO(backend.value()->describe());
        CHECK(backend.value()->describe().find(threads == 1 ? c.route_1_thread : c.route_2_threads) !=
              std::string::npos);
        check_against_builtin(g, 2, {id}, threads);
      }
    }
  }
  SECTION("a ReLU folded into the slices clamps every one of them") {
    nl::Graph g;
    REQUIRE(g.set_input("x", nl::Shape{1, 6, 5, 256}).ok());
    const int id = add_node(g, "conv", nl::Conv2D::create(conv(256, 72, 3)), {0});
    const int relu = add_node(g, "relu", nl::ReLU::create(), {id});
    add_node(g, "pool", nl::GlobalAvgPool::create(), {relu});  // so the conv is not the output
    std::mt19937 rng(5);
    randomize_params(g, rng);
    nl::Tensor x(nl::Shape{2, 6, 5, 256});
    fill_uniform(x, rng);
    nl::Executor builtin(&g), fused(&g);
    auto backend = nl::XnnpackForward::create(g, {.threads = 2, .fuse_activations = true});
    REQUIRE(backend.ok());
    INFO(backend.value()->describe());
    REQUIRE(backend.value()->describe().find("relu ReLU: fused into 'conv'") != std::string::npos);
    fused.set_forward_backend(backend.value().get());
    REQUIRE(builtin.forward(x).ok());
    REQUIRE(fused.forward(x).ok());
    // The conv's value is now its ReLU's output, in both slices.
    CHECK(relative_difference(builtin.value(relu), fused.value(id)).relative <= 1e-4);
    CHECK(relative_difference(builtin.value(relu), fused.value(relu)).relative <= 1e-4);
  }
}

TEST_CASE("XNNPACK uses the weights packed at creation until repack()", "[xnnpack]") {
  nl::Graph g;
  const int id = single_op_graph(g, nl::Shape{1, 6, 6, 4}, nl::Conv2D::create(conv(4, 5, 3)));
  std::mt19937 rng(9);
  randomize_params(g, rng);
  nl::Tensor x(nl::Shape{2, 6, 6, 4});
  fill_uniform(x, rng);
  auto backend = nl::XnnpackForward::create(g);
  REQUIRE(backend.ok());
  nl::Executor builtin(&g), fast(&g);
  fast.set_forward_backend(backend.value().get());

  // Training changes the weights: the packed copy is stale until repacked.
  auto& op = static_cast<nl::Conv2D&>(*g.node(id).op);
  for (int64_t i = 0; i < op.weight.elements(); ++i) op.weight[i] *= -2.0f;
  REQUIRE(builtin.forward(x).ok());
  REQUIRE(fast.forward(x).ok());
  CHECK(relative_difference(builtin.value(id), fast.value(id)).relative > 0.5);
  REQUIRE(backend.value()->repack().ok());
  REQUIRE(fast.forward(x).ok());
  CHECK(relative_difference(builtin.value(id), fast.value(id)).relative <= 1e-4);
}

TEST_CASE("XNNPACK follows changes of batch size and buffers between runs", "[xnnpack]") {
  SmallNetwork net;
  std::mt19937 rng(11);
  randomize_params(net.g, rng);
  nl::ThreadPool pool(2);
  auto backend = nl::XnnpackForward::create(net.g, {.threads = 2});
  REQUIRE(backend.ok());
  nl::Executor builtin(&net.g, &pool), fast(&net.g, &pool);
  fast.set_forward_backend(backend.value().get());
  for (int64_t batch : {3, 1, 4, 4, 2}) {
    nl::Tensor x(nl::Shape{batch, 20, 20, 3});
    fill_uniform(x, rng);
    REQUIRE(builtin.forward(x).ok());
    REQUIRE(fast.forward(x).ok());
    const int out = net.g.output();
    INFO("batch " << batch);
    CHECK(relative_difference(builtin.value(out), fast.value(out)).relative <= 1e-4);
    CHECK(relative_difference(builtin.value(net.logits), fast.value(net.logits)).relative <= 1e-4);
  }
  // A second executor has other buffers: the same backend must rebind to them.
  nl::Executor other(&net.g, &pool);
  other.set_forward_backend(backend.value().get());
  nl::Tensor x(nl::Shape{2, 20, 20, 3});
  fill_uniform(x, rng);
  REQUIRE(builtin.forward(x).ok());
  REQUIRE(other.forward(x).ok());
  CHECK(relative_difference(builtin.value(net.logits), other.value(net.logits)).relative <= 1e-4);
}
#endif  // NL_XNNPACK
