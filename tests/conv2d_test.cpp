// Conv2D: hand-computed cases, finite differences on random settings, a slow
// direct-loop convolution (written without im2col) as the oracle for forward
// and every gradient, thread-count independence, im2col's adjoint property,
// and the errors bad settings give.
//
// Sections:
//   1. the direct-loop reference and random settings
//   2. hand-computed cases
//   3. finite differences on random settings
//   4. against the reference on random and band-splitting shapes
//   5. im2col / col2im
//   6. validation
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <sstream>
#include <vector>

#include "gradcheck.h"
#include "kernels/gemm.h"
#include "kernels/im2col.h"
#include "kernels/thread_pool.h"
#include "nn/ops/conv2d.h"

namespace {

using nl::Conv2D;
using nl::Conv2DParams;
using nl::Shape;
using nl::Tensor;

// ---- 1. the direct-loop reference and random settings -----------------------------

std::string describe(const Conv2DParams& p, const Shape& x) {
  std::ostringstream s;
  s << "input " << x.str() << " Cout=" << p.out_channels << " k=" << p.kernel_h << "x" << p.kernel_w
    << " s=" << p.stride_h << "x" << p.stride_w << " d=" << p.dilation_h << "x" << p.dilation_w << " pad(t,l,b,r)=("
    << p.pad_top << "," << p.pad_left << "," << p.pad_bottom << "," << p.pad_right << ") groups=" << p.groups
    << " bias=" << p.has_bias;
  return s.str();
}

// The convolution and its gradients by the definition, in double. Each result
// comes with the sum of the magnitudes of its terms, which scales the
// tolerance for float rounding.
struct Reference {
  std::vector<double> y, dx, dw, db;
  std::vector<double> y_mag, dx_mag, dw_mag, db_mag;
};

Reference reference_conv(const Conv2DParams& p, const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& dy) {
  const int64_t N = x.shape()[0], H = x.shape()[1], W = x.shape()[2], C = x.shape()[3];
  const int64_t OH = dy.shape()[1], OW = dy.shape()[2], M = p.out_channels;
  const int64_t Cg = C / p.groups, Mg = M / p.groups;
  Reference r;
  r.y.assign(static_cast<size_t>(N * OH * OW * M), 0.0);
  r.y_mag = r.y;
  r.dx.assign(static_cast<size_t>(x.elements()), 0.0);
  r.dx_mag = r.dx;
  r.dw.assign(static_cast<size_t>(w.elements()), 0.0);
  r.dw_mag = r.dw;
  r.db.assign(static_cast<size_t>(M), 0.0);
  r.db_mag = r.db;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow)
        for (int64_t m = 0; m < M; ++m) {
          const int64_t yi = ((n * OH + oh) * OW + ow) * M + m;
          const double g = dy[yi];
          if (p.has_bias) {
            r.y[static_cast<size_t>(yi)] += b[m];
            r.y_mag[static_cast<size_t>(yi)] += std::fabs(b[m]);
            r.db[static_cast<size_t>(m)] += g;
            r.db_mag[static_cast<size_t>(m)] += std::fabs(g);
          }
          const int64_t group = m / Mg;
          for (int64_t kh = 0; kh < p.kernel_h; ++kh)
            for (int64_t kw = 0; kw < p.kernel_w; ++kw) {
              const int64_t ih = oh * p.stride_h + kh * p.dilation_h - p.pad_top;
              const int64_t iw = ow * p.stride_w + kw * p.dilation_w - p.pad_left;
              if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
              for (int64_t ci = 0; ci < Cg; ++ci) {
                const int64_t xi = ((n * H + ih) * W + iw) * C + group * Cg + ci;
                const int64_t wi = ((m * p.kernel_h + kh) * p.kernel_w + kw) * Cg + ci;
                r.y[static_cast<size_t>(yi)] += static_cast<double>(x[xi]) * w[wi];
                r.y_mag[static_cast<size_t>(yi)] += std::fabs(static_cast<double>(x[xi]) * w[wi]);
                r.dx[static_cast<size_t>(xi)] += g * w[wi];
                r.dx_mag[static_cast<size_t>(xi)] += std::fabs(g * w[wi]);
                r.dw[static_cast<size_t>(wi)] += g * x[xi];
                r.dw_mag[static_cast<size_t>(wi)] += std::fabs(g * x[xi]);
              }
            }
        }
  return r;
}

// Random settings of one of several kinds, so every code path is drawn often.
enum class Kind { kGeneral, kGrouped, kDepthwise, kPointwise, kOneByOneStrided, kDilatedAsymmetric, kMultiplier, kCount };

struct Case {
  Conv2DParams params;
  Shape input;
};

Case random_case(std::mt19937_64& rng, Kind kind) {
  // Not std::uniform_int_distribution: its output differs between libstdc++ and
  // libc++, and native and wasm runs should draw the same settings.
  auto pick = [&](int lo, int hi) { return lo + static_cast<int>(rng() % static_cast<uint64_t>(hi - lo + 1)); };
  Conv2DParams p;
  int groups = 1, cg = pick(1, 4), mg = pick(1, 4);
  p.kernel_h = pick(1, 3);
  p.kernel_w = pick(1, 3);
  p.stride_h = pick(1, 2);
  p.stride_w = pick(1, 2);
  p.pad_top = pick(0, 1);
  p.pad_left = pick(0, 1);
  p.pad_bottom = pick(0, 1);
  p.pad_right = pick(0, 1);
  switch (kind) {
    case Kind::kGeneral:
      p.stride_h = pick(1, 3);
      p.dilation_w = pick(1, 2);
      break;
    case Kind::kGrouped:
      groups = pick(2, 3);
      break;
    case Kind::kDepthwise:
      groups = pick(1, 6);
      cg = mg = 1;
      p.dilation_h = pick(1, 2);
      break;
    case Kind::kPointwise:
      groups = pick(1, 2);
      p.kernel_h = p.kernel_w = p.stride_h = p.stride_w = 1;
      p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 0;
      break;
    case Kind::kOneByOneStrided:
      p.kernel_h = p.kernel_w = 1;
      p.stride_h = pick(1, 3);
      break;
    case Kind::kDilatedAsymmetric:
      p.dilation_h = pick(1, 3);
      p.dilation_w = pick(1, 3);
      p.pad_top = pick(0, 3);
      p.pad_bottom = pick(0, 1);
      p.pad_left = 0;
      p.pad_right = pick(0, 3);
      break;
    case Kind::kMultiplier:
      groups = pick(2, 3);
      cg = 1;
      mg = pick(2, 3);
      break;
    default:
      break;
  }
  p.groups = groups;
  p.in_channels = int64_t{groups} * cg;
  p.out_channels = int64_t{groups} * mg;
  p.has_bias = pick(0, 3) != 0;
  // Big enough for at least one output pixel, plus a little.
  const int64_t need_h = std::max<int64_t>(1, int64_t{p.dilation_h} * (p.kernel_h - 1) + 1 - p.pad_top - p.pad_bottom);
  const int64_t need_w = std::max<int64_t>(1, int64_t{p.dilation_w} * (p.kernel_w - 1) + 1 - p.pad_left - p.pad_right);
  return {p, Shape{pick(1, 3), need_h + pick(0, 3), need_w + pick(0, 3), p.in_channels}};
}

std::unique_ptr<Conv2D> make_conv(const Conv2DParams& p, std::mt19937_64& rng) {
  auto made = Conv2D::create(p);
  REQUIRE(made.ok());
  std::unique_ptr<Conv2D> conv = std::move(made.value());
  nl::test::fill_uniform(conv->weight, rng);
  if (p.has_bias) nl::test::fill_uniform(conv->bias, rng);
  return conv;
}

// Runs forward and backward (all gradients wanted, dx and the parameter
// gradients pre-filled with `prior` so that += is checked too).
struct Run {
  Tensor y, dx, dw, db;
};

Run run_conv(Conv2D& conv, const Tensor& x, const Tensor& dy, const Tensor& prior_dx, const Tensor& prior_dw,
             const Tensor& prior_db, nl::ThreadPool* pool) {
  Shape out;
  REQUIRE(conv.output_shape({&x.shape(), 1}, &out).ok());
  Run r;
  r.y = Tensor(out);
  nl::OpContext ctx;
  ctx.pool = pool;
  const Tensor* in[] = {&x};
  conv.forward(ctx, in, r.y);
  r.dx = prior_dx;
  conv.zero_param_grads();
  conv.weight_grad = prior_dw;
  if (conv.settings().has_bias) conv.bias_grad = prior_db;
  Tensor* grads[] = {&r.dx};
  conv.backward(ctx, in, r.y, dy, grads, true);
  r.dw = conv.weight_grad;
  r.db = conv.bias_grad;
  return r;
}

// |fast - (prior + ref)| within float rounding of the terms' magnitude.
void expect_close(const Tensor& fast, const std::vector<double>& ref, const std::vector<double>& mag, const Tensor* prior,
                  const std::string& what, const std::string& where) {
  REQUIRE(static_cast<size_t>(fast.elements()) == ref.size());
  for (size_t i = 0; i < ref.size(); ++i) {
    const double p = prior ? (*prior)[static_cast<int64_t>(i)] : 0.0;
    const double expected = p + ref[i];
    const double tol = 1e-4 * (mag[i] + std::fabs(p)) + 1e-6;
    if (!(std::fabs(fast[static_cast<int64_t>(i)] - expected) <= tol)) {
      FAIL(what << "[" << i << "] = " << fast[static_cast<int64_t>(i)] << ", reference " << expected << " (tolerance "
                << tol << ") for " << where);
    }
  }
}

void compare_with_reference(const Case& c, std::mt19937_64& rng, nl::ThreadPool* pool) {
  const std::string where = describe(c.params, c.input);
  INFO(where);
  std::unique_ptr<Conv2D> conv = make_conv(c.params, rng);
  Shape out;
  REQUIRE(conv->output_shape({&c.input, 1}, &out).ok());
  Tensor x(c.input), dy(out), prior_dx(c.input), prior_dw(conv->weight.shape()), prior_db(conv->bias.shape());
  nl::test::fill_uniform(x, rng);
  nl::test::fill_uniform(dy, rng);
  nl::test::fill_uniform(prior_dx, rng);
  nl::test::fill_uniform(prior_dw, rng);
  nl::test::fill_uniform(prior_db, rng);
  const Run fast = run_conv(*conv, x, dy, prior_dx, prior_dw, prior_db, pool);
  const Reference ref = reference_conv(c.params, x, conv->weight, conv->bias, dy);
  expect_close(fast.y, ref.y, ref.y_mag, nullptr, "y", where);
  expect_close(fast.dx, ref.dx, ref.dx_mag, &prior_dx, "dx", where);
  expect_close(fast.dw, ref.dw, ref.dw_mag, &prior_dw, "dw", where);
  if (c.params.has_bias) expect_close(fast.db, ref.db, ref.db_mag, &prior_db, "db", where);
}

}  // namespace

// ---- 2. hand-computed cases -------------------------------------------------------

TEST_CASE("conv2d: 3x3 Laplacian of a quadratic image is constant", "[conv2d]") {
  // x[i][j] = i^2 + j^2 on a 4x4 image; the 5-point Laplacian of it is exactly
  // (i+1)^2 + (i-1)^2 - 2i^2 + (same in j) = 4 everywhere; bias 0.5 gives 4.5.
  Conv2DParams p;
  p.in_channels = p.out_channels = 1;
  p.kernel_h = p.kernel_w = 3;
  auto conv = std::move(Conv2D::create(p).value());
  const float lap[9] = {0, 1, 0, 1, -4, 1, 0, 1, 0};
  for (int i = 0; i < 9; ++i) conv->weight[i] = lap[i];
  conv->bias[0] = 0.5f;
  Tensor x(Shape{1, 4, 4, 1});
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) x[i * 4 + j] = static_cast<float>(i * i + j * j);
  Tensor y(Shape{1, 2, 2, 1});
  const Tensor* in[] = {&x};
  conv->forward({}, in, y);
  for (int i = 0; i < 4; ++i) CHECK(y[i] == 4.5f);
}

TEST_CASE("conv2d: a weight changed between calls is used", "[conv2d]") {
  // Every way of changing the weight must reach the next forward (nothing
  // derived from it, such as a packed copy, may outlive a call). 1x1 conv of a
  // one-pixel image: y = w x; three channels and one pixel: the weight-heavy path.
  Conv2DParams p;
  p.in_channels = 2;
  p.out_channels = 3;
  p.has_bias = false;
  auto conv = std::move(Conv2D::create(p).value());
  Tensor x(Shape{1, 1, 1, 2});
  x[0] = 1.0f;
  x[1] = 10.0f;
  Tensor y(Shape{1, 1, 1, 3});
  const Tensor* in[] = {&x};
  auto forward = [&] {
    conv->forward({}, in, y);
    return std::vector<float>{y[0], y[1], y[2]};
  };
  for (int i = 0; i < 6; ++i) conv->weight[i] = static_cast<float>(i);  // rows (0,1), (2,3), (4,5)
  CHECK(forward() == std::vector<float>{10, 32, 54});
  CHECK(forward() == std::vector<float>{10, 32, 54});
  conv->weight[0] = 100.0f;  // operator[]
  CHECK(forward() == std::vector<float>{110, 32, 54});
  conv->weight.data()[5] = -1.0f;  // a pointer from data()
  CHECK(forward() == std::vector<float>{110, 32, -6});
  Tensor other(conv->weight.shape());
  other.fill(1.0f);
  conv->weight = other;  // assignment (may reuse the same allocation)
  CHECK(forward() == std::vector<float>{11, 11, 11});
  Tensor moved(conv->weight.shape());
  moved.fill(2.0f);
  conv->weight = std::move(moved);  // a move
  CHECK(forward() == std::vector<float>{22, 22, 22});
  for (const nl::Param& param : conv->params()) param.value->fill(0.5f);  // as optimizers and loaders do
  CHECK(forward() == std::vector<float>{5.5f, 5.5f, 5.5f});
}

TEST_CASE("conv2d: all-ones 3x3 kernel with padding 1 counts neighbours, forward and backward", "[conv2d]") {
  // On a 3x3 image of ones, each output is the number of in-image pixels under
  // the window: 4 at corners, 6 at edges, 9 in the centre. With dy = 1, the
  // input gradient counts the windows covering each pixel and each weight's
  // gradient counts the outputs where that tap is inside: the same pattern.
  Conv2DParams p;
  p.in_channels = p.out_channels = 1;
  p.kernel_h = p.kernel_w = 3;
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
  auto conv = std::move(Conv2D::create(p).value());
  conv->weight.fill(1.0f);
  Tensor x(Shape{1, 3, 3, 1});
  x.fill(1.0f);
  Tensor y(Shape{1, 3, 3, 1}), dy(Shape{1, 3, 3, 1}), dx(Shape{1, 3, 3, 1});
  dy.fill(1.0f);
  const Tensor* in[] = {&x};
  conv->forward({}, in, y);
  const float counts[9] = {4, 6, 4, 6, 9, 6, 4, 6, 4};
  for (int i = 0; i < 9; ++i) CHECK(y[i] == counts[i]);
  conv->zero_param_grads();
  Tensor* grads[] = {&dx};
  conv->backward({}, in, y, dy, grads, true);
  for (int i = 0; i < 9; ++i) {
    CHECK(dx[i] == counts[i]);
    CHECK(conv->weight_grad[i] == counts[i]);
  }
  CHECK(conv->bias_grad[0] == 9.0f);
}

TEST_CASE("conv2d: stride 2 with two input and two output channels, by hand", "[conv2d]") {
  // Input 1x3x3x2, channel 0 = 1..9, channel 1 = 10 * channel 0. A 1x1 kernel
  // at stride 2 picks pixels (0,0), (0,2), (2,0), (2,2) = 1, 3, 7, 9.
  // Output channel 0 = ch0 + ch1 = 11 * v; output channel 1 = 2*ch0 - ch1 = -8 * v, bias 1.
  Conv2DParams p;
  p.in_channels = p.out_channels = 2;
  p.stride_h = p.stride_w = 2;
  auto conv = std::move(Conv2D::create(p).value());
  const float w[4] = {1, 1, 2, -1};  // [Cout][1][1][Cin]
  for (int i = 0; i < 4; ++i) conv->weight[i] = w[i];
  conv->bias[0] = 0.0f;
  conv->bias[1] = 1.0f;
  Tensor x(Shape{1, 3, 3, 2});
  for (int i = 0; i < 9; ++i) {
    x[2 * i] = static_cast<float>(i + 1);
    x[2 * i + 1] = 10.0f * static_cast<float>(i + 1);
  }
  Tensor y(Shape{1, 2, 2, 2});
  const Tensor* in[] = {&x};
  conv->forward({}, in, y);
  const float picked[4] = {1, 3, 7, 9};
  for (int i = 0; i < 4; ++i) {
    CHECK(y[2 * i] == 11.0f * picked[i]);
    CHECK(y[2 * i + 1] == -8.0f * picked[i] + 1.0f);
  }
}

TEST_CASE("conv2d: depthwise 2x2 with asymmetric padding, by hand", "[conv2d]") {
  // Two channels, 2x2 image: channel 0 = [[1,2],[3,4]], channel 1 = [[10,20],[30,40]].
  // Padding bottom=1, right=1 only: out 2x2; weights ch0 = [[1,0],[0,0]] (copies x),
  // ch1 = [[0,0],[0,1]] (reads the pixel down-right, 0 past the edge).
  Conv2DParams p;
  p.in_channels = p.out_channels = p.groups = 2;
  p.kernel_h = p.kernel_w = 2;
  p.pad_bottom = p.pad_right = 1;
  p.has_bias = false;
  auto conv = std::move(Conv2D::create(p).value());
  const float w[8] = {1, 0, 0, 0, 0, 0, 0, 1};  // [2][2][2][1]
  for (int i = 0; i < 8; ++i) conv->weight[i] = w[i];
  Tensor x(Shape{1, 2, 2, 2});
  const float xs[8] = {1, 10, 2, 20, 3, 30, 4, 40};
  for (int i = 0; i < 8; ++i) x[i] = xs[i];
  Tensor y(Shape{1, 2, 2, 2});
  const Tensor* in[] = {&x};
  conv->forward({}, in, y);
  const float expected[8] = {1, 40, 2, 0, 3, 0, 4, 0};
  for (int i = 0; i < 8; ++i) CHECK(y[i] == expected[i]);
}

TEST_CASE("conv2d: gradients that are not wanted are not touched", "[conv2d]") {
  std::mt19937_64 rng(7);
  Conv2DParams p;
  p.in_channels = 3;
  p.out_channels = 4;
  p.kernel_h = p.kernel_w = 3;
  auto conv = make_conv(p, rng);
  Tensor x(Shape{1, 5, 5, 3}), y(Shape{1, 3, 3, 4}), dy(Shape{1, 3, 3, 4}), dx(Shape{1, 5, 5, 3});
  nl::test::fill_uniform(x, rng);
  nl::test::fill_uniform(dy, rng);
  const Tensor* in[] = {&x};
  conv->forward({}, in, y);
  conv->zero_param_grads();
  Tensor* none[] = {nullptr};
  conv->backward({}, in, y, dy, none, false);
  for (int64_t i = 0; i < conv->weight_grad.elements(); ++i) REQUIRE(conv->weight_grad[i] == 0.0f);
  Tensor* grads[] = {&dx};
  conv->backward({}, in, y, dy, grads, false);  // input only
  for (int64_t i = 0; i < conv->weight_grad.elements(); ++i) REQUIRE(conv->weight_grad[i] == 0.0f);
  double sum = 0;
  for (int64_t i = 0; i < dx.elements(); ++i) sum += std::fabs(dx[i]);
  CHECK(sum > 0.0);
}

// ---- 3. finite differences on random settings ------------------------------------

TEST_CASE("conv2d: gradients match finite differences on 280 random settings", "[conv2d]") {
  std::mt19937_64 rng(2024);
  const int kinds = static_cast<int>(Kind::kCount);
  for (int i = 0; i < 280; ++i) {
    const Case c = random_case(rng, static_cast<Kind>(i % kinds));
    INFO("case " << i << ": " << describe(c.params, c.input));
    std::unique_ptr<Conv2D> conv = make_conv(c.params, rng);
    Tensor x(c.input);
    nl::test::fill_uniform(x, rng);
    nl::test::GradCheckOptions o;
    o.max_points = 24;
    o.seed = 100 + static_cast<uint64_t>(i);
    const nl::test::GradCheckResult r = nl::test::check_op_gradients(*conv, {x}, o);
    INFO(r.failure);
    REQUIRE(r.ok);
    CHECK(r.checked > 0);
  }
}

// ---- 4. against the reference on random and band-splitting shapes -----------------

TEST_CASE("conv2d: forward and all gradients match direct loops on 240 random settings", "[conv2d]") {
  std::mt19937_64 rng(99);
  nl::ThreadPool pool(2);
  const int kinds = static_cast<int>(Kind::kCount);
  for (int i = 0; i < 240; ++i) {
    INFO("case " << i);
    compare_with_reference(random_case(rng, static_cast<Kind>(i % kinds)), rng, i % 2 ? &pool : nullptr);
  }
}

namespace {

// Shapes big enough that one image's work is cut into several bands of output
// rows (about 64K floats of column matrix each), including kernels taller than
// a band's natural height, so the two-pass col2im is exercised; and one band
// alone, which hands the thread pool to the GEMMs instead.
std::vector<Case> banded_cases() {
  std::vector<Case> cases;
  auto add = [&](Shape x, int64_t cout, int k, int stride, int dil, int pt, int pb, int groups, bool bias) {
    Conv2DParams p;
    p.in_channels = x.c();
    p.out_channels = cout;
    p.kernel_h = p.kernel_w = k;
    p.stride_h = p.stride_w = stride;
    p.dilation_h = p.dilation_w = dil;
    p.pad_top = p.pad_left = pt;
    p.pad_bottom = p.pad_right = pb;
    p.groups = groups;
    p.has_bias = bias;
    cases.push_back({p, x});
  };
  add(Shape{2, 20, 40, 48}, 16, 3, 1, 2, 1, 2, 1, true);    // dilated: bands of 5 rows
  add(Shape{1, 33, 30, 64}, 8, 3, 2, 1, 1, 1, 1, true);     // strided
  add(Shape{1, 40, 24, 24}, 12, 5, 1, 3, 6, 5, 2, false);   // tall dilated kernel, groups
  add(Shape{2, 40, 40, 64}, 8, 1, 1, 1, 0, 0, 1, true);     // pointwise, several bands
  add(Shape{1, 30, 30, 20}, 20, 3, 1, 1, 1, 1, 20, true);   // depthwise
  add(Shape{1, 37, 41, 35}, 10, 4, 3, 1, 2, 0, 5, true);    // even kernel, stride 3, odd sizes
  add(Shape{1, 8, 8, 96}, 64, 3, 1, 1, 1, 1, 1, true);      // one band: the GEMMs take the pool
  add(Shape{3, 14, 14, 64}, 64, 3, 1, 1, 1, 1, 1, true);    // bands of 112 and 84 pixels share weight-gradient GEMMs
  add(Shape{6, 7, 7, 64}, 128, 3, 1, 1, 1, 1, 1, false);    // 49-pixel images, five to a weight-gradient GEMM
  add(Shape{1, 7, 7, 64}, 128, 3, 1, 1, 1, 1, 1, true);     // weight-heavy, its kernel rows read in place
  add(Shape{1, 5, 5, 16}, 64, 3, 1, 1, 1, 1, 1, true);      // weight-heavy, short kernel rows: the forward packs the columns
  add(Shape{2, 28, 28, 1}, 32, 3, 1, 1, 1, 1, 1, true);     // 9 columns: the weight gradient is computed transposed
  add(Shape{7, 6, 6, 2}, 8, 3, 1, 1, 1, 1, 1, true);        // the same on 36-pixel images, several to a GEMM
  return cases;
}

}  // namespace

TEST_CASE("conv2d: band-splitting shapes match direct loops", "[conv2d]") {
  std::mt19937_64 rng(5);
  nl::ThreadPool pool(2);
  for (const Case& c : banded_cases()) compare_with_reference(c, rng, &pool);
}

namespace {

// Runs c's forward and backward on one thread, then on 2 and 3, and requires
// the output and every gradient to be bitwise the same. With prior_dx the
// input gradient starts from random values (it is added to what dx holds).
void require_same_bits_on_any_pool(const Case& c, std::mt19937_64& rng, bool prior_dx) {
  nl::ThreadPool two(2), three(3);
  std::unique_ptr<Conv2D> conv = make_conv(c.params, rng);
  Shape out;
  REQUIRE(conv->output_shape({&c.input, 1}, &out).ok());
  Tensor x(c.input), dy(out), dx0(c.input), zero_dw(conv->weight.shape()), zero_db(conv->bias.shape());
  nl::test::fill_uniform(x, rng);
  nl::test::fill_uniform(dy, rng);
  if (prior_dx) nl::test::fill_uniform(dx0, rng);
  const Run a = run_conv(*conv, x, dy, dx0, zero_dw, zero_db, nullptr);
  for (nl::ThreadPool* pool : {&two, &three}) {
    const Run b = run_conv(*conv, x, dy, dx0, zero_dw, zero_db, pool);
    for (int64_t i = 0; i < a.y.elements(); ++i) REQUIRE(a.y[i] == b.y[i]);
    for (int64_t i = 0; i < a.dx.elements(); ++i) REQUIRE(a.dx[i] == b.dx[i]);
    for (int64_t i = 0; i < a.dw.elements(); ++i) REQUIRE(a.dw[i] == b.dw[i]);
    for (int64_t i = 0; i < a.db.elements(); ++i) REQUIRE(a.db[i] == b.db[i]);
  }
}

}  // namespace

TEST_CASE("conv2d: results are bitwise the same for 1, 2 and 3 threads", "[conv2d]") {
  std::mt19937_64 rng(11);
  for (const Case& c : banded_cases()) {
    INFO(describe(c.params, c.input));
    require_same_bits_on_any_pool(c, rng, /*prior_dx=*/false);
  }
}

// At stride 1, with one group, at most 64 output channels and at least a GEMM
// panel's width of input channels, the input gradient is computed as a
// convolution of dy with the flipped weight and mirrored padding. These shapes
// take that route (40 input channels fill a panel of every kernel) with
// non-square and even kernels, dilation in one direction only, asymmetric
// padding from none to the kernel's whole extent, one output channel, and
// several bands; and, for contrast, a padding beyond the extent (a 1x1 kernel
// padded by 1), which must take the direct route.
namespace {

// A case with every setting per axis (one group): kernel, stride, dilation
// (height, width), padding (top, left, bottom, right).
Case axis_case(Shape x, int64_t cout, int kh, int kw, int sh, int sw, int dh, int dw, int pt, int pl, int pb, int pr,
               bool bias) {
  Conv2DParams p;
  p.in_channels = x.c();
  p.out_channels = cout;
  p.kernel_h = kh;
  p.kernel_w = kw;
  p.stride_h = sh;
  p.stride_w = sw;
  p.dilation_h = dh;
  p.dilation_w = dw;
  p.pad_top = pt;
  p.pad_left = pl;
  p.pad_bottom = pb;
  p.pad_right = pr;
  p.has_bias = bias;
  return {p, x};
}

// Each case against direct loops on one thread and on two, then bitwise the
// same on 1, 2 and 3 threads (dx given a prior value to add to when prior_dx).
void check_route_cases(const std::vector<Case>& cases, uint64_t seed, bool prior_dx) {
  std::mt19937_64 rng(seed);
  nl::ThreadPool two(2);
  for (const Case& c : cases) {
    INFO(describe(c.params, c.input));
    compare_with_reference(c, rng, nullptr);
    compare_with_reference(c, rng, &two);
    require_same_bits_on_any_pool(c, rng, prior_dx);
  }
}

}  // namespace

TEST_CASE("conv2d: the stride-1 input gradient by the flipped weight matches direct loops, on any pool", "[conv2d]") {
  REQUIRE(nl::gemm_f32_panel_width() <= 40);
  std::vector<Case> cases;
  auto add = [&](Shape x, int64_t cout, int kh, int kw, int dh, int dw, int pt, int pl, int pb, int pr) {
    cases.push_back(axis_case(x, cout, kh, kw, 1, 1, dh, dw, pt, pl, pb, pr, /*bias=*/true));
  };
  add(Shape{2, 9, 11, 40}, 24, 3, 3, 1, 1, 1, 1, 1, 1);      // 'same'
  add(Shape{1, 10, 9, 40}, 64, 2, 5, 1, 1, 0, 4, 1, 0);      // even and wide kernel, pads 0 to the whole extent
  add(Shape{2, 12, 7, 40}, 1, 3, 1, 2, 1, 4, 0, 0, 0);       // dilated rows only, one output channel
  add(Shape{1, 48, 40, 40}, 32, 3, 3, 1, 1, 2, 1, 0, 2);     // several bands of dx rows
  add(Shape{1, 6, 6, 40}, 16, 1, 1, 1, 1, 1, 1, 1, 1);       // padding beyond the extent: the direct route
  check_route_cases(cases, 17, /*prior_dx=*/true);
}

// With one group and no horizontal dilation, and a kernel row of at least 64
// floats (KW * Cin), the forward pass, the flipped-weight input gradient and
// the weight gradient read each pixel's kernel rows in place
// (im2col_row_pointers, gemm_f32_indirect and gemm_f32_indirect_b) instead
// of unfolding them. These shapes take that route
// with: partial register tiles; a kernel row longer than one K block (3 x 100
// floats) without a bias, so nothing is in C before the first block; strides,
// vertical dilation and uneven padding, so some kernel rows are cut at the
// left or right edge; padding so wide that whole kernel rows fall above the
// image or entirely beside it; and, for contrast, horizontal dilation, which
// must take the unfolding route.
TEST_CASE("conv2d: the indirect route (kernel rows read in place) matches direct loops, on any pool", "[conv2d]") {
  std::vector<Case> cases;
  auto add = [&](auto... settings) { cases.push_back(axis_case(settings...)); };
  add(Shape{2, 9, 11, 40}, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true);     // 'same', partial tiles
  add(Shape{1, 10, 12, 100}, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, false);  // kernel rows of 300 floats, no bias
  add(Shape{1, 11, 9, 32}, 16, 2, 5, 2, 3, 2, 1, 3, 4, 0, 2, true);     // strides, vertical dilation, uneven pads
  add(Shape{2, 6, 5, 24}, 8, 3, 3, 1, 1, 1, 1, 4, 4, 4, 4, false);      // rows wholly above, below and beside
  add(Shape{1, 9, 10, 40}, 12, 3, 3, 1, 1, 1, 2, 1, 2, 1, 2, true);     // dilated across: unfolded instead
  check_route_cases(cases, 23, /*prior_dx=*/false);
}

// A 3x3 stride-1 convolution of one group with at least 16 input and output
// channels and at least 128 tiles of 2x2 outputs (32 in wasm) computes its
// forward pass and its input gradient by Winograd's F(2x2, 3x3)
// (kernels/winograd_3x3.h): the input gradient as the convolution of dy with
// the weight rotated and its padding mirrored, added into dx. These shapes take
// that route with: 'same' padding; odd output sizes (partial tiles at the
// bottom and right) and channel counts that are not multiples of 4 (the
// transforms' scalar tails) without a bias; no padding; padding 2, whose
// mirror is none; uneven padding; and enough tiles for several blocks.
TEST_CASE("conv2d: the 3x3 stride-1 route by Winograd's method matches direct loops, on any pool", "[conv2d]") {
  std::vector<Case> cases;
  auto add = [&](Shape x, int64_t cout, int pt, int pl, int pb, int pr, bool bias) {
    cases.push_back(axis_case(x, cout, 3, 3, 1, 1, 1, 1, pt, pl, pb, pr, bias));
  };
  add(Shape{2, 16, 16, 16}, 24, 1, 1, 1, 1, true);   // 'same': 128 tiles
  add(Shape{1, 23, 21, 19}, 33, 1, 1, 1, 1, false);  // odd sizes, channels 19 and 33
  add(Shape{3, 18, 20, 16}, 16, 0, 0, 0, 0, true);   // no padding: 16x18 outputs
  add(Shape{1, 22, 22, 17}, 16, 2, 2, 2, 2, true);   // padding 2: 24x24 outputs
  add(Shape{1, 25, 26, 20}, 17, 2, 0, 0, 1, true);   // uneven padding: 25x25 outputs
  add(Shape{4, 30, 30, 16}, 16, 1, 1, 1, 1, false);  // 900 tiles: several blocks
  check_route_cases(cases, 29, /*prior_dx=*/true);
}

// ---- 5. im2col / col2im -----------------------------------------------------------

TEST_CASE("im2col picks the right pixels, its packed-panel form matches, and col2im is its adjoint", "[conv2d][im2col]") {
  // <im2col(x), c> == <x, col2im(c)> for random x and c, and every column entry
  // equals the pixel the definition names (or 0 in the padding).
  std::mt19937_64 rng(3);
  const int kinds = static_cast<int>(Kind::kCount);
  for (int i = 0; i < 100; ++i) {
    const Case c = random_case(rng, static_cast<Kind>(i % kinds));
    const Conv2DParams& p = c.params;
    INFO(describe(p, c.input));
    nl::ConvGeometry g;
    g.in_h = c.input.h();
    g.in_w = c.input.w();
    g.in_c = c.input.c();
    g.out_h = nl::conv_output_size(g.in_h, p.kernel_h, p.stride_h, p.dilation_h, p.pad_top, p.pad_bottom);
    g.out_w = nl::conv_output_size(g.in_w, p.kernel_w, p.stride_w, p.dilation_w, p.pad_left, p.pad_right);
    g.kernel_h = p.kernel_h;
    g.kernel_w = p.kernel_w;
    g.stride_h = p.stride_h;
    g.stride_w = p.stride_w;
    g.dilation_h = p.dilation_h;
    g.dilation_w = p.dilation_w;
    g.pad_top = p.pad_top;
    g.pad_left = p.pad_left;
    g.groups = p.groups;
    REQUIRE(g.out_h >= 1);
    REQUIRE(g.out_w >= 1);
    // Unfold a middle range of rows to check row_begin > 0 too.
    const int64_t r0 = g.out_h / 3, r1 = g.out_h;
    const int64_t rows = (r1 - r0) * g.out_w, width = g.col_width(), cg = g.group_channels();
    Tensor x(Shape{g.in_h, g.in_w, g.in_c});
    nl::test::fill_uniform(x, rng);
    std::vector<float> col(static_cast<size_t>(rows * width), 123.0f);
    nl::im2col_nhwc(g, x.data(), r0, r1, col.data());
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t oh = r0 + r / g.out_w, ow = r % g.out_w;
      for (int grp = 0; grp < g.groups; ++grp)
        for (int kh = 0; kh < g.kernel_h; ++kh)
          for (int kw = 0; kw < g.kernel_w; ++kw)
            for (int64_t ci = 0; ci < cg; ++ci) {
              const int64_t ih = oh * g.stride_h + kh * g.dilation_h - g.pad_top;
              const int64_t iw = ow * g.stride_w + kw * g.dilation_w - g.pad_left;
              const bool inside = ih >= 0 && ih < g.in_h && iw >= 0 && iw < g.in_w;
              const float want = inside ? x[(ih * g.in_w + iw) * g.in_c + grp * cg + ci] : 0.0f;
              const int64_t at = r * width + grp * g.group_col_width() + (kh * g.kernel_w + kw) * cg + ci;
              REQUIRE(col[static_cast<size_t>(at)] == want);
            }
    }
    // The same matrix written as packed-B panels, for several panel widths
    // (the kernel's own among them), with the columns past the width zeroed.
    // Also at an offset inside taller panels (as when several bands share
    // one GEMM): rows outside this call's must stay untouched.
    for (int nr : {4, 16, 32, nl::gemm_f32_panel_width()}) {
      for (int64_t spare : {0, 3}) {
        INFO("panel width " << nr << ", spare rows " << spare);
        const int64_t panels = (width + nr - 1) / nr, stride = (rows + spare) * nr;
        std::vector<float> packed(static_cast<size_t>(panels * stride), 123.0f);
        nl::im2col_nhwc_panels(g, x.data(), r0, r1, nr, stride, packed.data() + (spare > 0 ? nr : 0));
        for (int64_t q = 0; q < panels; ++q)
          for (int64_t r = 0; r < rows + spare; ++r)
            for (int64_t j = 0; j < nr; ++j) {
              const int64_t column = q * nr + j, row = r - (spare > 0 ? 1 : 0);
              float want = 123.0f;
              if (row >= 0 && row < rows) want = column < width ? col[static_cast<size_t>(row * width + column)] : 0.0f;
              REQUIRE(packed[static_cast<size_t>(q * stride + r * nr + j)] == want);
            }
      }
    }
    Tensor c_rand(Shape{rows, width}), back(x.shape());
    nl::test::fill_uniform(c_rand, rng);
    nl::col2im_nhwc_add(g, c_rand.data(), r0, r1, back.data());
    double lhs = 0, rhs = 0;
    for (int64_t k = 0; k < rows * width; ++k) lhs += static_cast<double>(col[static_cast<size_t>(k)]) * c_rand[k];
    for (int64_t k = 0; k < x.elements(); ++k) rhs += static_cast<double>(x[k]) * back[k];
    CHECK(lhs == Approx(rhs).epsilon(1e-5).margin(1e-5));
  }
}

TEST_CASE("conv_output_size follows the formula and reports a kernel that does not fit", "[conv2d][im2col]") {
  CHECK(nl::conv_output_size(28, 3, 1, 1, 0, 0) == 26);
  CHECK(nl::conv_output_size(28, 3, 2, 1, 1, 1) == 14);
  CHECK(nl::conv_output_size(7, 3, 1, 3, 0, 0) == 1);   // dilated extent 7
  CHECK(nl::conv_output_size(6, 3, 1, 3, 0, 0) == 0);   // does not fit
  CHECK(nl::conv_output_size(6, 3, 1, 3, 0, 1) == 1);   // padding makes it fit
  CHECK(nl::conv_output_size(10, 4, 3, 1, 2, 0) == 3);  // (10+2-4)/3+1
}

// ---- 6. validation ----------------------------------------------------------------

namespace {

std::string create_error(const Conv2DParams& p) {
  auto r = Conv2D::create(p);
  return r.ok() ? std::string("(created)") : r.status().message();
}

Conv2DParams valid_params() {
  Conv2DParams p;
  p.in_channels = 4;
  p.out_channels = 6;
  p.kernel_h = p.kernel_w = 3;
  return p;
}

}  // namespace

TEST_CASE("conv2d: bad settings are refused with the values named", "[conv2d]") {
  using Catch::Matchers::Contains;
  REQUIRE(Conv2D::create(valid_params()).ok());
  Conv2DParams p = valid_params();
  p.kernel_w = 0;
  CHECK_THAT(create_error(p), Contains("kernel") && Contains("3x0"));
  p = valid_params();
  p.stride_h = -2;
  CHECK_THAT(create_error(p), Contains("stride") && Contains("-2x1"));
  p = valid_params();
  p.dilation_w = 0;
  CHECK_THAT(create_error(p), Contains("dilation") && Contains("1x0"));
  p = valid_params();
  p.pad_right = -1;
  CHECK_THAT(create_error(p), Contains("padding") && Contains("right=-1"));
  p = valid_params();
  p.in_channels = 0;
  CHECK_THAT(create_error(p), Contains("in_channels=0"));
  p = valid_params();
  p.groups = 0;
  CHECK_THAT(create_error(p), Contains("groups") && Contains("0"));
  p = valid_params();
  p.groups = 4;  // 6 output channels are not divisible by 4
  CHECK_THAT(create_error(p), Contains("out_channels=6") && Contains("groups=4"));
  p = valid_params();
  p.groups = 3;  // 4 input channels are not divisible by 3
  CHECK_THAT(create_error(p), Contains("in_channels=4") && Contains("groups=3"));
  p = valid_params();
  p.in_channels = p.out_channels = 1 << 14;
  CHECK_THAT(create_error(p), Contains("16384") && Contains("parameters"));
  p = valid_params();
  p.kernel_h = 1 << 30;
  CHECK_THAT(create_error(p), Contains("1073741824"));
}

TEST_CASE("conv2d: output_shape checks rank, channels and size, naming them", "[conv2d]") {
  using Catch::Matchers::Contains;
  Conv2DParams p = valid_params();
  p.dilation_h = 2;
  p.pad_bottom = 1;
  auto conv = std::move(Conv2D::create(p).value());
  Shape out;
  const Shape good{2, 5, 3, 4};  // OH = (5 + 1 - 5) / 1 + 1 = 2, OW = 1
  REQUIRE(conv->output_shape({&good, 1}, &out).ok());
  CHECK(out == (Shape{2, 2, 1, 6}));
  const Shape rank3{5, 5, 4};
  CHECK_THAT(conv->output_shape({&rank3, 1}, &out).message(), Contains("rank 4") && Contains("[5, 5, 4]"));
  const Shape channels{1, 8, 8, 3};
  CHECK_THAT(conv->output_shape({&channels, 1}, &out).message(), Contains("3 channels") && Contains("expects 4"));
  const Shape small{1, 3, 8, 4};  // dilated extent 5 > 3 + 0 + 1
  CHECK_THAT(conv->output_shape({&small, 1}, &out).message(),
             Contains("3x3") && Contains("dilation 2x1") && Contains("input 3x8") && Contains("bottom=1"));
  const Shape empty{0, 8, 8, 4};
  CHECK_FALSE(conv->output_shape({&empty, 1}, &out).ok());
  const Shape two[] = {good, good};
  CHECK_THAT(conv->output_shape(two, &out).message(), Contains("needs 1 input, got 2"));
}
