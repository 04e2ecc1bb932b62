// Dense: a hand-computed case, finite differences on random sizes, plain loops
// as the oracle for forward and every gradient (batches on both sides of the
// GEMM / direct-loop switches at 4 and 8 rows, sizes spanning several 64-wide blocks),
// thread-count independence, and validation messages.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "gradcheck.h"
#include "kernels/thread_pool.h"
#include "nn/ops/dense.h"

namespace {

using nl::Dense;
using nl::Shape;
using nl::Tensor;

std::unique_ptr<Dense> make_dense(int64_t in, int64_t out, bool bias, std::mt19937_64& rng) {
  auto made = Dense::create(in, out, bias);
  REQUIRE(made.ok());
  std::unique_ptr<Dense> d = std::move(made.value());
  nl::test::fill_uniform(d->weight, rng);
  if (bias) nl::test::fill_uniform(d->bias, rng);
  return d;
}

struct Run {
  Tensor y, dx, dw, db;
};

// Forward, then backward with every gradient wanted, added onto the priors.
Run run_dense(Dense& d, const Tensor& x, const Tensor& dy, const Tensor& prior_dx, const Tensor& prior_dw,
              const Tensor& prior_db, nl::ThreadPool* pool) {
  nl::OpContext ctx;
  ctx.pool = pool;
  Run r;
  r.y = Tensor(Shape{x.shape()[0], d.out_features()});
  const Tensor* in[] = {&x};
  d.forward(ctx, in, r.y);
  r.dx = prior_dx;
  d.zero_param_grads();
  d.weight_grad = prior_dw;
  if (d.has_bias()) d.bias_grad = prior_db;
  Tensor* grads[] = {&r.dx};
  d.backward(ctx, in, r.y, dy, grads, true);
  r.dw = d.weight_grad;
  r.db = d.bias_grad;
  return r;
}

// Plain loops in double, with the magnitude of the terms for the tolerance.
void check_against_loops(int64_t n, int64_t in, int64_t out, bool bias, std::mt19937_64& rng, nl::ThreadPool* pool) {
  INFO("N=" << n << " In=" << in << " Out=" << out << " bias=" << bias);
  auto d = make_dense(in, out, bias, rng);
  Tensor x(Shape{n, in}), dy(Shape{n, out}), pdx(Shape{n, in}), pdw(Shape{out, in}), pdb(d->bias.shape());
  for (Tensor* t : {&x, &dy, &pdx, &pdw, &pdb}) nl::test::fill_uniform(*t, rng);
  const Run r = run_dense(*d, x, dy, pdx, pdw, pdb, pool);
  auto close = [](double got, double want, double mag) { return std::fabs(got - want) <= 1e-4 * mag + 1e-6; };
  for (int64_t i = 0; i < n; ++i)
    for (int64_t o = 0; o < out; ++o) {
      double s = bias ? d->bias[o] : 0.0, mag = std::fabs(s);
      for (int64_t k = 0; k < in; ++k) {
        s += static_cast<double>(x[i * in + k]) * d->weight[o * in + k];
        mag += std::fabs(static_cast<double>(x[i * in + k]) * d->weight[o * in + k]);
      }
      if (!close(r.y[i * out + o], s, mag)) FAIL("y[" << i << "," << o << "] = " << r.y[i * out + o] << " want " << s);
    }
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < in; ++k) {
      double s = pdx[i * in + k], mag = std::fabs(s);
      for (int64_t o = 0; o < out; ++o) {
        s += static_cast<double>(dy[i * out + o]) * d->weight[o * in + k];
        mag += std::fabs(static_cast<double>(dy[i * out + o]) * d->weight[o * in + k]);
      }
      if (!close(r.dx[i * in + k], s, mag)) FAIL("dx[" << i << "," << k << "] = " << r.dx[i * in + k] << " want " << s);
    }
  for (int64_t o = 0; o < out; ++o)
    for (int64_t k = 0; k < in; ++k) {
      double s = pdw[o * in + k], mag = std::fabs(s);
      for (int64_t i = 0; i < n; ++i) {
        s += static_cast<double>(dy[i * out + o]) * x[i * in + k];
        mag += std::fabs(static_cast<double>(dy[i * out + o]) * x[i * in + k]);
      }
      if (!close(r.dw[o * in + k], s, mag)) FAIL("dw[" << o << "," << k << "] = " << r.dw[o * in + k] << " want " << s);
    }
  if (bias)
    for (int64_t o = 0; o < out; ++o) {
      double s = pdb[o], mag = std::fabs(s);
      for (int64_t i = 0; i < n; ++i) {
        s += dy[i * out + o];
        mag += std::fabs(dy[i * out + o]);
      }
      if (!close(r.db[o], s, mag)) FAIL("db[" << o << "] = " << r.db[o] << " want " << s);
    }
}

}  // namespace

TEST_CASE("dense: a 2x2 input through a 3x2 weight, by hand", "[dense]") {
  // x = [[1,2],[3,4]], W = [[1,0],[0,1],[1,1]], b = [0.5,-1,2]
  // y = x W^T + b = [[1.5, 1, 5], [3.5, 3, 9]]
  // dy = [[1,0,2],[0,1,-1]]: dx = dy W = [[3,2],[-1,0]],
  // dW = dy^T x = [[1,2],[3,4],[-1,0]], db = [1,1,1].
  auto d = std::move(Dense::create(2, 3).value());
  const float w[6] = {1, 0, 0, 1, 1, 1}, b[3] = {0.5f, -1, 2};
  for (int i = 0; i < 6; ++i) d->weight[i] = w[i];
  for (int i = 0; i < 3; ++i) d->bias[i] = b[i];
  Tensor x(Shape{2, 2}), y(Shape{2, 3}), dy(Shape{2, 3}), dx(Shape{2, 2});
  const float xs[4] = {1, 2, 3, 4}, dys[6] = {1, 0, 2, 0, 1, -1};
  for (int i = 0; i < 4; ++i) x[i] = xs[i];
  for (int i = 0; i < 6; ++i) dy[i] = dys[i];
  const Tensor* in[] = {&x};
  d->forward({}, in, y);
  const float ys[6] = {1.5f, 1, 5, 3.5f, 3, 9};
  for (int i = 0; i < 6; ++i) CHECK(y[i] == ys[i]);
  d->zero_param_grads();
  Tensor* grads[] = {&dx};
  d->backward({}, in, y, dy, grads, true);
  const float dxs[4] = {3, 2, -1, 0}, dws[6] = {1, 2, 3, 4, -1, 0};
  for (int i = 0; i < 4; ++i) CHECK(dx[i] == dxs[i]);
  for (int i = 0; i < 6; ++i) CHECK(d->weight_grad[i] == dws[i]);
  for (int i = 0; i < 3; ++i) CHECK(d->bias_grad[i] == 1.0f);
}

TEST_CASE("dense: gradients match finite differences on 240 random sizes", "[dense]") {
  std::mt19937_64 rng(17);
  // Not std::uniform_int_distribution: its output differs between libstdc++ and
  // libc++, and native and wasm runs should draw the same settings.
  auto pick = [&](int lo, int hi) { return lo + static_cast<int>(rng() % static_cast<uint64_t>(hi - lo + 1)); };
  for (int i = 0; i < 240; ++i) {
    const int64_t n = pick(1, 12), in = pick(1, 24), out = pick(1, 24);
    const bool bias = pick(0, 3) != 0;
    INFO("case " << i << ": N=" << n << " In=" << in << " Out=" << out << " bias=" << bias);
    auto d = make_dense(in, out, bias, rng);
    Tensor x(Shape{n, in});
    nl::test::fill_uniform(x, rng);
    nl::test::GradCheckOptions o;
    o.max_points = 24;
    o.seed = 500 + static_cast<uint64_t>(i);
    const nl::test::GradCheckResult r = nl::test::check_op_gradients(*d, {x}, o);
    INFO(r.failure);
    REQUIRE(r.ok);
  }
}

TEST_CASE("dense: forward and gradients match plain loops, small and multi-block sizes", "[dense]") {
  std::mt19937_64 rng(23);
  nl::ThreadPool pool(2);
  // Not std::uniform_int_distribution: its output differs between libstdc++ and
  // libc++, and native and wasm runs should draw the same settings.
  auto pick = [&](int lo, int hi) { return lo + static_cast<int>(rng() % static_cast<uint64_t>(hi - lo + 1)); };
  for (int i = 0; i < 200; ++i)
    check_against_loops(pick(1, 12), pick(1, 40), pick(1, 40), pick(0, 1) != 0, rng, i % 2 ? &pool : nullptr);
  // Several 64-wide blocks with ragged ends, direct loops and GEMM.
  check_against_loops(1, 300, 130, true, rng, &pool);
  check_against_loops(4, 129, 257, false, rng, &pool);
  check_against_loops(5, 129, 257, true, rng, &pool);
  check_against_loops(8, 129, 257, false, rng, &pool);
  check_against_loops(9, 129, 257, false, rng, &pool);
  check_against_loops(130, 300, 70, true, rng, &pool);
  check_against_loops(65, 257, 513, false, rng, &pool);
}

TEST_CASE("dense: results are bitwise the same for 1, 2 and 3 threads", "[dense]") {
  std::mt19937_64 rng(29);
  nl::ThreadPool two(2), three(3);
  for (int64_t n : {1, 4, 6, 70}) {
    INFO("N=" << n);
    auto d = make_dense(300, 270, true, rng);
    Tensor x(Shape{n, 300}), dy(Shape{n, 270}), zx(Shape{n, 300}), zw(Shape{270, 300}), zb(Shape{270});
    nl::test::fill_uniform(x, rng);
    nl::test::fill_uniform(dy, rng);
    const Run a = run_dense(*d, x, dy, zx, zw, zb, nullptr);
    for (nl::ThreadPool* pool : {&two, &three}) {
      const Run b = run_dense(*d, x, dy, zx, zw, zb, pool);
      for (int64_t i = 0; i < a.y.elements(); ++i) REQUIRE(a.y[i] == b.y[i]);
      for (int64_t i = 0; i < a.dx.elements(); ++i) REQUIRE(a.dx[i] == b.dx[i]);
      for (int64_t i = 0; i < a.dw.elements(); ++i) REQUIRE(a.dw[i] == b.dw[i]);
      for (int64_t i = 0; i < a.db.elements(); ++i) REQUIRE(a.db[i] == b.db[i]);
    }
  }
}

TEST_CASE("dense: unwanted gradients are skipped", "[dense]") {
  std::mt19937_64 rng(31);
  auto d = make_dense(5, 4, true, rng);
  Tensor x(Shape{3, 5}), y(Shape{3, 4}), dy(Shape{3, 4});
  nl::test::fill_uniform(x, rng);
  nl::test::fill_uniform(dy, rng);
  const Tensor* in[] = {&x};
  d->forward({}, in, y);
  d->zero_param_grads();
  Tensor* none[] = {nullptr};
  d->backward({}, in, y, dy, none, false);
  for (int64_t i = 0; i < d->weight_grad.elements(); ++i) REQUIRE(d->weight_grad[i] == 0.0f);
  for (int64_t i = 0; i < d->bias_grad.elements(); ++i) REQUIRE(d->bias_grad[i] == 0.0f);
}

TEST_CASE("dense: bad settings and shapes are refused with the values named", "[dense]") {
  using Catch::Matchers::Contains;
  CHECK_THAT(Dense::create(0, 3).status().message(), Contains("in_features=0"));
  CHECK_THAT(Dense::create(4, -2).status().message(), Contains("out_features=-2"));
  CHECK_THAT(Dense::create(1 << 20, 1 << 10).status().message(), Contains("[1024, 1048576]") && Contains("parameters"));
  CHECK_THAT(Dense::create(int64_t{1} << 40, int64_t{1} << 40).status().message(), Contains("parameters"));
  auto d = std::move(Dense::create(6, 2).value());
  Shape out;
  const Shape good{3, 6};
  REQUIRE(d->output_shape({&good, 1}, &out).ok());
  CHECK(out == (Shape{3, 2}));
  const Shape wrong{3, 5};
  CHECK_THAT(d->output_shape({&wrong, 1}, &out).message(), Contains("5 features") && Contains("expects 6"));
  const Shape image{1, 1, 2, 3};
  CHECK_THAT(d->output_shape({&image, 1}, &out).message(), Contains("[1, 1, 2, 3]") && Contains("flatten"));
}
