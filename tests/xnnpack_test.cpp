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
#include "nn/ops/conv2d.h"
#include "nn/ops/dense.h"

namespace {

void fill_uniform(nl::Tensor& t, std::mt19937& rng, float scale = 1.0f) {
  std::uniform_real_distribution<float> uniform(-scale, scale);
  for (int64_t i = 0; i < t.elements(); ++i) t[i] = uniform(rng);
}

void randomize_params(nl::Graph& g, std::mt19937& rng) {
  for (nl::Param& p : g.params())
    if (p.value && p.value->elements() > 0) fill_uniform(*p.value, rng, 0.5f);
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
                           uint32_t seed = 1) {
  std::mt19937 rng(seed);
  randomize_params(g, rng);
  nl::Shape in_shape = g.node(0).shape;
  in_shape[0] = batch;
  nl::Tensor x(in_shape);
  fill_uniform(x, rng);

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
#endif  // NL_XNNPACK
