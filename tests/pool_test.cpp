// MaxPool2D, AvgPool2D and GlobalAvgPool: output sizes against a brute-force
// count, values against a direct definition written independently of the op
// (whole padded window, bounds tested per tap), gradients by finite
// differences, hand-computed and PyTorch 1.13 values, thread-count
// independence, and rejected settings and shapes.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>

#include "kernels/thread_pool.h"
#include "nn/ops/avg_pool2d.h"
#include "nn/ops/global_avg_pool.h"
#include "nn/ops/max_pool2d.h"
#include "op_test_util.h"

using namespace nl;
using namespace nl::test;

namespace {

std::string describe(const Pool2DParams& p, const Shape& x) {
  std::ostringstream s;
  s << "x " << x.str() << " kernel " << p.kernel_h << "x" << p.kernel_w << " stride " << p.stride_h << "x"
    << p.stride_w << " pads t" << p.pad_top << " l" << p.pad_left << " b" << p.pad_bottom << " r" << p.pad_right
    << (p.ceil_mode ? " ceil" : " floor") << (p.count_include_pad ? " include_pad" : " exclude_pad");
  return s.str();
}

// Windows counted one by one. Floor: the window lies inside the padded input.
// Ceil (PyTorch): it may overhang the padded input by less than one stride,
// but must start inside the input or the leading padding.
int64_t brute_force_output_size(int64_t in, int k, int s, int pad_begin, int pad_end, bool ceil_mode) {
  int64_t count = 0;
  for (int64_t o = 0;; ++o) {
    const int64_t start = o * s - pad_begin;
    const bool fits = ceil_mode ? (start + k < in + pad_end + s && start < in) : (start + k <= in + pad_end);
    if (!fits) return count;
    ++count;
  }
}

// Direct definition: every tap of the kernel, in padded coordinates.
Tensor reference_pool(const Tensor& x, const Pool2DParams& p, bool is_max, int64_t OH, int64_t OW) {
  const int64_t N = x.shape().n(), H = x.shape().h(), W = x.shape().w(), C = x.shape().c();
  Tensor y(Shape{N, OH, OW, C});
  for (int64_t n = 0; n < N; ++n)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow)
        for (int64_t c = 0; c < C; ++c) {
          double best = -std::numeric_limits<double>::infinity(), sum = 0.0;
          int in_bounds = 0, in_padded = 0;
          for (int kh = 0; kh < p.kernel_h; ++kh)
            for (int kw = 0; kw < p.kernel_w; ++kw) {
              const int64_t ih = oh * p.stride_h - p.pad_top + kh, iw = ow * p.stride_w - p.pad_left + kw;
              if (ih < H + p.pad_bottom && iw < W + p.pad_right) ++in_padded;
              if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
              const double v = x[((n * H + ih) * W + iw) * C + c];
              best = std::max(best, v);
              sum += v;
              ++in_bounds;
            }
          y[((n * OH + oh) * OW + ow) * C + c] =
              static_cast<float>(is_max ? best : sum / (p.count_include_pad ? in_padded : in_bounds));
        }
  return y;
}

Pool2DParams random_params(std::mt19937_64& rng) {
  Pool2DParams p;
  p.kernel_h = random_int(rng, 1, 4);
  p.kernel_w = random_int(rng, 1, 4);
  p.stride_h = random_int(rng, 1, 3);
  p.stride_w = random_int(rng, 1, 3);
  p.pad_top = random_int(rng, 0, p.kernel_h - 1);
  p.pad_bottom = random_int(rng, 0, p.kernel_h - 1);
  p.pad_left = random_int(rng, 0, p.kernel_w - 1);
  p.pad_right = random_int(rng, 0, p.kernel_w - 1);
  p.ceil_mode = random_int(rng, 0, 1) == 1;
  p.count_include_pad = random_int(rng, 0, 1) == 1;
  return p;
}

// 200 valid random configurations (and the too-small inputs met on the way,
// which must be rejected): shape, forward against the reference, gradients.
template <typename PoolOp>
void sweep_pool(bool is_max, uint64_t seed) {
  std::mt19937_64 rng(seed);
  int valid = 0, rejected = 0;
  while (valid < 200) {
    const Pool2DParams p = random_params(rng);
    const Shape xs{random_int(rng, 1, 2), random_int(rng, 1, 7), random_int(rng, 1, 7), random_int(rng, 1, 5)};
    auto op = unwrap(PoolOp::create(p));
    const int64_t oh = brute_force_output_size(xs.h(), p.kernel_h, p.stride_h, p.pad_top, p.pad_bottom, p.ceil_mode);
    const int64_t ow = brute_force_output_size(xs.w(), p.kernel_w, p.stride_w, p.pad_left, p.pad_right, p.ceil_mode);
    const std::string config = describe(p, xs);
    INFO(config);
    Shape out;
    const Status s = op->output_shape(std::span<const Shape>(&xs, 1), &out);
    if (oh < 1 || ow < 1) {
      CHECK_FALSE(s.ok());
      CHECK(contains(s.message(), xs.str()));
      ++rejected;
      continue;
    }
    REQUIRE(s.ok());
    REQUIRE(out == Shape{xs.n(), oh, ow, xs.c()});
    const Tensor x = is_max ? random_distinct_tensor(xs, rng) : random_tensor(xs, rng);
    const Tensor y = run_forward(*op, {&x});
    const Tensor want = reference_pool(x, p, is_max, oh, ow);
    for (int64_t i = 0; i < y.elements(); ++i) REQUIRE(y[i] == Approx(want[i]).margin(1e-6));
    GradCheckOptions o;
    o.seed = seed + static_cast<uint64_t>(valid);
    expect_gradients_match(*op, {x}, o, config);
    ++valid;
  }
  CHECK(rejected > 0);  // the sweep reaches the too-small case too
}

Tensor make(const Shape& s, const std::vector<float>& values) {
  Tensor t(s);
  REQUIRE(static_cast<int64_t>(values.size()) == t.elements());
  for (size_t i = 0; i < values.size(); ++i) t[static_cast<int64_t>(i)] = values[i];
  return t;
}

void expect_tensor(const Tensor& t, const std::vector<float>& values) {
  REQUIRE(static_cast<int64_t>(values.size()) == t.elements());
  for (size_t i = 0; i < values.size(); ++i) {
    INFO("element " << i);
    CHECK(t[static_cast<int64_t>(i)] == Approx(values[i]).margin(1e-6));
  }
}

const std::vector<float> kOneToSixteen = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

Pool2DParams pool(int kh, int kw, int sh, int sw, int pad_h = 0, int pad_w = 0, bool ceil_mode = false,
                  bool include = true) {
  Pool2DParams p;
  p.kernel_h = kh;
  p.kernel_w = kw;
  p.stride_h = sh;
  p.stride_w = sw;
  p.pad_top = p.pad_bottom = pad_h;
  p.pad_left = p.pad_right = pad_w;
  p.ceil_mode = ceil_mode;
  p.count_include_pad = include;
  return p;
}

}  // namespace

TEST_CASE("MaxPool2D matches the direct definition and finite differences on random settings", "[pool][maxpool]") {
  sweep_pool<MaxPool2D>(true, 201);
}

TEST_CASE("AvgPool2D matches the direct definition and finite differences on random settings", "[pool][avgpool]") {
  sweep_pool<AvgPool2D>(false, 202);
}

TEST_CASE("MaxPool2D on a 4x4 image, with ties and overlapping windows", "[pool][maxpool]") {
  auto op = unwrap(MaxPool2D::create(pool(2, 2, 2, 2)));
  const Tensor x = make(Shape{1, 4, 4, 1}, kOneToSixteen);
  const Tensor y = run_forward(*op, {&x});
  expect_tensor(y, {6, 8, 14, 16});
  const Tensor dy = make(y.shape(), {1, 2, 3, 4});
  expect_tensor(run_backward(*op, {&x}, y, dy)[0], {0, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4});

  // All equal: the gradient goes to the first element in row-major order, as PyTorch.
  const Tensor ties = make(Shape{1, 2, 2, 1}, {5, 5, 5, 5});
  const Tensor yt = run_forward(*op, {&ties});
  expect_tensor(run_backward(*op, {&ties}, yt, make(yt.shape(), {1}))[0], {1, 0, 0, 0});

  // Overlapping 2x2 windows, stride 1: the centre is every window's maximum.
  auto overlap = unwrap(MaxPool2D::create(pool(2, 2, 1, 1)));
  const Tensor peak = make(Shape{1, 3, 3, 1}, {1, 2, 3, 4, 9, 5, 6, 7, 8});
  const Tensor yp = run_forward(*overlap, {&peak});
  expect_tensor(yp, {9, 9, 9, 9});
  expect_tensor(run_backward(*overlap, {&peak}, yp, make(yp.shape(), {1, 1, 1, 1}))[0], {0, 0, 0, 0, 4, 0, 0, 0, 0});

  // Two channels pooled independently (NHWC interleaving).
  const Tensor two = make(Shape{1, 2, 2, 2}, {1, 8, 2, 7, 3, 6, 4, 5});
  expect_tensor(run_forward(*op, {&two}), {4, 8});
}

TEST_CASE("AvgPool2D on hand-computed and PyTorch cases", "[pool][avgpool]") {
  auto op = unwrap(AvgPool2D::create(pool(2, 2, 2, 2)));
  const Tensor x = make(Shape{1, 4, 4, 1}, kOneToSixteen);
  const Tensor y = run_forward(*op, {&x});
  expect_tensor(y, {3.5f, 5.5f, 11.5f, 13.5f});
  const Tensor dy = make(y.shape(), {4, 8, 12, 16});
  expect_tensor(run_backward(*op, {&x}, y, dy)[0], {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});

  // [[1, 2], [3, 4]], kernel 2, stride 1, padding 1: with and without the padding in the divisor.
  const Tensor small = make(Shape{1, 2, 2, 1}, {1, 2, 3, 4});
  auto include = unwrap(AvgPool2D::create(pool(2, 2, 1, 1, 1, 1, false, true)));
  expect_tensor(run_forward(*include, {&small}), {0.25f, 0.75f, 0.5f, 1.0f, 2.5f, 1.5f, 0.75f, 1.75f, 1.0f});
  auto exclude = unwrap(AvgPool2D::create(pool(2, 2, 1, 1, 1, 1, false, false)));
  expect_tensor(run_forward(*exclude, {&small}), {1, 1.5f, 2, 2, 2.5f, 3, 3, 3.5f, 4});
}

TEST_CASE("ceil_mode follows PyTorch, including the dropped window", "[pool][maxpool][avgpool]") {
  // Values from torch.nn.functional.{avg,max}_pool2d (PyTorch 1.13) on a 1x5 or 1x6 row.
  const Tensor five = make(Shape{1, 1, 5, 1}, {1, 2, 3, 4, 5});
  expect_tensor(run_forward(*unwrap(AvgPool2D::create(pool(1, 2, 1, 2, 0, 0, true))), {&five}), {1.5f, 3.5f, 5});
  expect_tensor(run_forward(*unwrap(MaxPool2D::create(pool(1, 2, 1, 2, 0, 0, true))), {&five}), {2, 4, 5});
  expect_tensor(run_forward(*unwrap(AvgPool2D::create(pool(1, 2, 1, 2, 0, 0, false))), {&five}), {1.5f, 3.5f});
  // Padding 1: a fourth window would start in the right padding and is dropped.
  expect_tensor(run_forward(*unwrap(AvgPool2D::create(pool(1, 2, 1, 2, 0, 1, true))), {&five}), {0.5f, 2.5f, 4.5f});
  expect_tensor(run_forward(*unwrap(AvgPool2D::create(pool(1, 2, 1, 2, 0, 1, true, false))), {&five}), {1, 2.5f, 4.5f});
  expect_tensor(run_forward(*unwrap(MaxPool2D::create(pool(1, 2, 1, 2, 0, 1, true))), {&five}), {1, 3, 5});
  // A last window hanging past the padding: the divisor counts only up to the padding.
  const Tensor six = make(Shape{1, 1, 6, 1}, {1, 2, 3, 4, 5, 6});
  expect_tensor(run_forward(*unwrap(AvgPool2D::create(pool(1, 3, 1, 2, 0, 1, true))), {&six}), {1, 3, 5, 3});
  expect_tensor(run_forward(*unwrap(AvgPool2D::create(pool(1, 3, 1, 2, 0, 1, true, false))), {&six}), {1.5f, 3, 5, 6});
  expect_tensor(run_forward(*unwrap(MaxPool2D::create(pool(1, 3, 1, 2, 0, 1, true))), {&six}), {2, 4, 6, 6});
}

TEST_CASE("GlobalAvgPool averages each channel over the image", "[pool][global_avg_pool]") {
  auto op = unwrap(GlobalAvgPool::create());
  std::mt19937_64 rng(203);
  for (int trial = 0; trial < 200; ++trial) {
    const Shape xs{random_int(rng, 1, 3), random_int(rng, 1, 5), random_int(rng, 1, 5), random_int(rng, 1, 6)};
    const Tensor x = random_tensor(xs, rng);
    const Tensor y = run_forward(*op, {&x});
    REQUIRE(y.shape() == Shape{xs.n(), xs.c()});
    for (int64_t n = 0; n < xs.n(); ++n)
      for (int64_t c = 0; c < xs.c(); ++c) {
        double sum = 0.0;
        for (int64_t i = 0; i < xs.h() * xs.w(); ++i) sum += x[(n * xs.h() * xs.w() + i) * xs.c() + c];
        REQUIRE(y[n * xs.c() + c] == Approx(sum / static_cast<double>(xs.h() * xs.w())).margin(1e-6));
      }
    GradCheckOptions o;
    o.seed = 203 + static_cast<uint64_t>(trial);
    expect_gradients_match(*op, {x}, o, "x " + xs.str());
  }
  const Tensor x = make(Shape{1, 2, 2, 2}, {1, 10, 2, 20, 3, 30, 4, 40});
  const Tensor y = run_forward(*op, {&x});
  expect_tensor(y, {2.5f, 25});
  expect_tensor(run_backward(*op, {&x}, y, make(y.shape(), {4, 8}))[0], {1, 2, 1, 2, 1, 2, 1, 2});
}

TEST_CASE("pooling gives the same bits with and without a thread pool", "[pool]") {
  std::mt19937_64 rng(204);
  ThreadPool threads(2);
  OpContext parallel;
  parallel.pool = &threads;
  const Shape xs{3, 13, 11, 150};  // three channel blocks, the last partial
  const Tensor x = random_tensor(xs, rng);
  Pool2DParams p = pool(3, 3, 2, 2, 1, 1, true, false);
  std::vector<std::unique_ptr<Op>> ops;
  ops.push_back(unwrap(MaxPool2D::create(p)));
  ops.push_back(unwrap(AvgPool2D::create(p)));
  ops.push_back(unwrap(GlobalAvgPool::create()));
  for (auto& op : ops) {
    INFO(op->type());
    const Tensor y1 = run_forward(*op, {&x});
    const Tensor y2 = run_forward(*op, {&x}, parallel);
    REQUIRE(std::memcmp(y1.data(), y2.data(), sizeof(float) * static_cast<size_t>(y1.elements())) == 0);
    const Tensor dy = random_tensor(y1.shape(), rng);
    const Tensor dx1 = run_backward(*op, {&x}, y1, dy)[0];
    const Tensor dx2 = run_backward(*op, {&x}, y1, dy, parallel)[0];
    REQUIRE(std::memcmp(dx1.data(), dx2.data(), sizeof(float) * static_cast<size_t>(dx1.elements())) == 0);
  }
}

TEST_CASE("pooling rejects bad settings and shapes, naming the values", "[pool]") {
  auto expect_error = [](const Status& s, std::vector<std::string> parts) {
    REQUIRE_FALSE(s.ok());
    for (const std::string& part : parts) {
      INFO(s.message() << " should mention " << part);
      CHECK(contains(s.message(), part));
    }
  };
  expect_error(MaxPool2D::create(pool(0, 2, 1, 1)).status(), {"MaxPool2D", "kernel", "0x2"});
  expect_error(AvgPool2D::create(pool(2, 2, 0, 3)).status(), {"AvgPool2D", "stride", "0x3"});
  expect_error(AvgPool2D::create(pool(2, 2, 1, 1, 2, 0)).status(), {"pad", "top 2"});
  Pool2DParams negative = pool(3, 3, 1, 1);
  negative.pad_right = -1;
  expect_error(MaxPool2D::create(negative).status(), {"right -1"});
  expect_error(MaxPool2D::create(pool(1 << 20, 2, 1, 1)).status(), {"kernel", "1048576"});

  auto op = unwrap(MaxPool2D::create(pool(3, 3, 1, 1)));
  Shape out;
  const Shape rank2{4, 9};
  expect_error(op->output_shape(std::span<const Shape>(&rank2, 1), &out), {"[N, H, W, C]", "[4, 9]"});
  const Shape too_small{1, 2, 5, 3};
  expect_error(op->output_shape(std::span<const Shape>(&too_small, 1), &out), {"[1, 2, 5, 3]", "kernel 3x3"});
  const Shape empty{1, 0, 5, 3};
  expect_error(op->output_shape(std::span<const Shape>(&empty, 1), &out), {"[1, 0, 5, 3]"});
  const Shape huge{1, 50000, 50000, 1};
  expect_error(op->output_shape(std::span<const Shape>(&huge, 1), &out), {"[1, 50000, 50000, 1]", "2^31"});
  const Shape two[2] = {Shape{1, 4, 4, 1}, Shape{1, 4, 4, 1}};
  expect_error(op->output_shape(two, &out), {"takes 1 input, got 2"});
  expect_error(unwrap(GlobalAvgPool::create())->output_shape(std::span<const Shape>(&rank2, 1), &out),
               {"GlobalAvgPool", "[4, 9]"});
}
