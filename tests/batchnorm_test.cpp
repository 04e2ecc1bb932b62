// BatchNorm: inference and training forms against a double-precision
// reference (including the running-statistics update), finite differences
// through the batch statistics for the input and for gamma/beta, hand-computed
// cases, thread-count independence, and rejected settings and shapes.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>

#include "kernels/thread_pool.h"
#include "nn/ops/batch_norm.h"
#include "op_test_util.h"

using namespace nl;
using namespace nl::test;

namespace {

struct Expected {
  std::vector<double> y, running_mean, running_var;
};

// The definition, in double, per channel over the last dimension.
Expected reference_batch_norm(const Tensor& x, const BatchNorm& bn, bool training) {
  const int64_t C = bn.channels(), M = x.elements() / C;
  Expected e;
  e.y.resize(static_cast<size_t>(x.elements()));
  for (int64_t c = 0; c < C; ++c) {
    double mean = bn.running_mean[c], var = bn.running_var[c];
    double new_mean = mean, new_var = var;
    if (training) {
      double sum = 0.0, sq = 0.0;
      for (int64_t r = 0; r < M; ++r) sum += x[r * C + c];
      mean = sum / static_cast<double>(M);
      for (int64_t r = 0; r < M; ++r) sq += (x[r * C + c] - mean) * (x[r * C + c] - mean);
      var = sq / static_cast<double>(M);
      const double m = bn.momentum();
      new_mean = (1 - m) * bn.running_mean[c] + m * mean;
      new_var = M > 1 ? (1 - m) * bn.running_var[c] + m * sq / static_cast<double>(M - 1) : bn.running_var[c];
    }
    e.running_mean.push_back(new_mean);
    e.running_var.push_back(new_var);
    for (int64_t r = 0; r < M; ++r)
      e.y[static_cast<size_t>(r * C + c)] =
          (x[r * C + c] - mean) / std::sqrt(var + static_cast<double>(bn.eps())) * bn.weight[c] + bn.bias[c];
  }
  return e;
}

Shape random_bn_shape(std::mt19937_64& rng, int64_t channels) {
  switch (random_int(rng, 0, 2)) {
    case 0: return Shape{random_int(rng, 1, 8), channels};
    case 1: return Shape{random_int(rng, 1, 3), random_int(rng, 1, 4), channels};
    default: return Shape{random_int(rng, 1, 3), random_int(rng, 1, 3), random_int(rng, 1, 3), channels};
  }
}

}  // namespace

TEST_CASE("BatchNorm matches the definition and finite differences in both forms", "[batchnorm]") {
  std::mt19937_64 rng(301);
  int training_configs = 0, checked = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const int64_t C = random_int(rng, 1, 6);
    const float eps = std::pow(10.0f, random_float(rng, -5.0f, -1.0f));
    const float momentum = random_float(rng, 0.0f, 1.0f);
    auto bn = unwrap(BatchNorm::create(C, eps, momentum));
    fill_uniform(bn->weight, rng, -2.0f, 2.0f);
    fill_uniform(bn->bias, rng, -1.0f, 1.0f);
    fill_uniform(bn->running_mean, rng, -1.0f, 1.0f);
    fill_uniform(bn->running_var, rng, 0.2f, 2.0f);
    Shape xs = random_bn_shape(rng, C);
    const bool training = random_int(rng, 0, 2) > 0;  // two thirds: the harder form
    if (training && xs.elements() / C < 2) xs[0] = 2;  // one value per channel has no spread to normalise
    training_configs += training;
    const Tensor x = random_tensor(xs, rng, -2.0f, 2.0f);
    INFO("x " << xs.str() << (training ? " training" : " inference") << " eps " << eps << " momentum " << momentum);

    const Expected want = reference_batch_norm(x, *bn, training);
    OpContext ctx;
    ctx.training = training;
    const Tensor y = run_forward(*bn, {&x}, ctx);
    for (int64_t i = 0; i < y.elements(); ++i) REQUIRE(y[i] == Approx(want.y[static_cast<size_t>(i)]).margin(2e-5));
    for (int64_t c = 0; c < C; ++c) {
      REQUIRE(bn->running_mean[c] == Approx(want.running_mean[static_cast<size_t>(c)]).margin(1e-6));
      REQUIRE(bn->running_var[c] == Approx(want.running_var[static_cast<size_t>(c)]).margin(1e-6));
    }

    GradCheckOptions o;
    o.training = training;
    o.seed = 301 + static_cast<uint64_t>(trial);
    checked += expect_gradients_match(*bn, {x}, o, xs.str());
  }
  CHECK(training_configs >= 150);
  CHECK(checked > 300 * 10);
}

TEST_CASE("BatchNorm on hand-computed statistics", "[batchnorm]") {
  // One channel holding 1, 2, 3, 4: mean 2.5, biased variance 1.25, unbiased 5/3.
  auto bn = unwrap(BatchNorm::create(1));
  Tensor x(Shape{4, 1});
  for (int i = 0; i < 4; ++i) x[i] = static_cast<float>(i + 1);
  OpContext train;
  train.training = true;
  const Tensor y = run_forward(*bn, {&x}, train);
  const double sd = std::sqrt(1.25 + 1e-5);
  for (int i = 0; i < 4; ++i) CHECK(y[i] == Approx((i + 1 - 2.5) / sd).margin(1e-6));
  CHECK(bn->running_mean[0] == Approx(0.25));              // 0.9 * 0 + 0.1 * 2.5
  CHECK(bn->running_var[0] == Approx(0.9 + 0.1 * 5.0 / 3));  // 0.9 * 1 + 0.1 * 5/3

  // Training backward: a constant upstream gradient only moves beta (the mean
  // is subtracted), and dy = xhat only moves gamma.
  bn->zero_param_grads();
  Tensor constant(y.shape());
  constant.fill(3.0f);
  const std::vector<Tensor> dx = run_backward(*bn, {&x}, y, constant, train, true);
  for (int i = 0; i < 4; ++i) CHECK(dx[0][i] == Approx(0.0).margin(1e-6));
  CHECK(bn->bias_grad[0] == Approx(12.0));
  CHECK(bn->weight_grad[0] == Approx(0.0).margin(1e-6));

  // Inference on [N, H, W, C] with two channels and set running statistics.
  auto two = unwrap(BatchNorm::create(2, 1e-5f));
  two->running_mean[0] = 1.0f;
  two->running_var[0] = 4.0f;
  two->weight[0] = 2.0f;
  two->bias[0] = 0.5f;
  two->running_mean[1] = -1.0f;
  two->running_var[1] = 0.25f;
  Tensor img(Shape{1, 1, 2, 2});
  img[0] = 3.0f;   // channel 0: (3 - 1) / 2 * 2 + 0.5 = 2.5
  img[1] = 0.0f;   // channel 1: (0 + 1) / 0.5 = 2
  img[2] = 1.0f;   // channel 0: 0.5
  img[3] = -1.5f;  // channel 1: -1
  const Tensor out = run_forward(*two, {&img});
  CHECK(out[0] == Approx(2.5).epsilon(1e-5));
  CHECK(out[1] == Approx(2.0).epsilon(1e-4));
  CHECK(out[2] == Approx(0.5).epsilon(1e-5));
  CHECK(out[3] == Approx(-1.0).epsilon(1e-4));
  CHECK(two->running_mean[0] == 1.0f);  // inference leaves the statistics alone
  // Inference backward: dx = dy * gamma / sqrt(var + eps).
  Tensor ones(out.shape());
  ones.fill(1.0f);
  const Tensor dimg = run_backward(*two, {&img}, out, ones)[0];
  CHECK(dimg[0] == Approx(1.0).epsilon(1e-5));
  CHECK(dimg[1] == Approx(2.0).epsilon(1e-4));
}

TEST_CASE("BatchNorm training with one value per channel leaves running_var alone", "[batchnorm]") {
  auto bn = unwrap(BatchNorm::create(3));
  Tensor x(Shape{1, 3});
  x[0] = 5.0f;
  x[1] = -2.0f;
  x[2] = 0.5f;
  OpContext train;
  train.training = true;
  const Tensor y = run_forward(*bn, {&x}, train);
  for (int c = 0; c < 3; ++c) {
    CHECK(y[c] == 0.0f);  // x - mean is 0: only beta remains
    CHECK(bn->running_var[c] == 1.0f);
  }
  CHECK(bn->running_mean[0] == Approx(0.5));
}

TEST_CASE("BatchNorm parameters: names, gradients, defaults", "[batchnorm]") {
  auto bn = unwrap(BatchNorm::create(4));
  const std::vector<Param> ps = bn->params();
  REQUIRE(ps.size() == 4);
  CHECK(ps[0].name == "weight");
  CHECK(ps[1].name == "bias");
  CHECK(ps[2].name == "running_mean");
  CHECK(ps[3].name == "running_var");
  CHECK(ps[0].grad != nullptr);
  CHECK(ps[1].grad != nullptr);
  CHECK(ps[2].grad == nullptr);
  CHECK(ps[3].grad == nullptr);
  for (int c = 0; c < 4; ++c) {
    CHECK(bn->weight[c] == 1.0f);
    CHECK(bn->bias[c] == 0.0f);
    CHECK(bn->running_mean[c] == 0.0f);
    CHECK(bn->running_var[c] == 1.0f);
  }
  CHECK(bn->eps() == 1e-5f);
  CHECK(bn->momentum() == 0.1f);
}

TEST_CASE("BatchNorm gives the same bits with and without a thread pool", "[batchnorm]") {
  std::mt19937_64 rng(302);
  ThreadPool threads(2);
  for (const Shape& xs : {Shape{5, 9, 11, 37}, Shape{1000, 3}}) {  // several row blocks, the last partial
    INFO("x " << xs.str());
    for (bool training : {false, true}) {
      auto a = unwrap(BatchNorm::create(xs[xs.rank() - 1]));
      auto b = unwrap(BatchNorm::create(xs[xs.rank() - 1]));
      const Tensor x = random_tensor(xs, rng, -3.0f, 5.0f);
      OpContext serial, parallel;
      serial.training = parallel.training = training;
      parallel.pool = &threads;
      const Tensor y1 = run_forward(*a, {&x}, serial);
      const Tensor y2 = run_forward(*b, {&x}, parallel);
      REQUIRE(std::memcmp(y1.data(), y2.data(), sizeof(float) * static_cast<size_t>(y1.elements())) == 0);
      REQUIRE(std::memcmp(a->running_var.data(), b->running_var.data(), sizeof(float) * 3) == 0);
      const Tensor dy = random_tensor(y1.shape(), rng);
      a->zero_param_grads();
      b->zero_param_grads();
      const Tensor dx1 = run_backward(*a, {&x}, y1, dy, serial, true)[0];
      const Tensor dx2 = run_backward(*b, {&x}, y1, dy, parallel, true)[0];
      REQUIRE(std::memcmp(dx1.data(), dx2.data(), sizeof(float) * static_cast<size_t>(dx1.elements())) == 0);
      REQUIRE(std::memcmp(a->weight_grad.data(), b->weight_grad.data(), sizeof(float) * 3) == 0);
    }
  }
}

TEST_CASE("BatchNorm rejects bad settings and shapes, naming the values", "[batchnorm]") {
  auto zero = BatchNorm::create(0);
  REQUIRE_FALSE(zero.ok());
  CHECK(contains(zero.status().message(), "got 0"));
  CHECK_FALSE(BatchNorm::create(BatchNorm::kMaxChannels + 1).ok());
  auto eps = BatchNorm::create(3, 0.0f);
  REQUIRE_FALSE(eps.ok());
  CHECK(contains(eps.status().message(), "eps"));
  CHECK_FALSE(BatchNorm::create(3, std::nanf("")).ok());
  auto momentum = BatchNorm::create(3, 1e-5f, 1.5f);
  REQUIRE_FALSE(momentum.ok());
  CHECK(contains(momentum.status().message(), "1.5"));

  auto bn = unwrap(BatchNorm::create(8));
  Shape out;
  const Shape wrong_channels{2, 4, 4, 3};
  const Status s = bn->output_shape(std::span<const Shape>(&wrong_channels, 1), &out);
  REQUIRE_FALSE(s.ok());
  CHECK(contains(s.message(), "[2, 4, 4, 3]"));
  CHECK(contains(s.message(), "8"));
  const Shape rank1{8};
  CHECK_FALSE(bn->output_shape(std::span<const Shape>(&rank1, 1), &out).ok());
  const Shape empty{0, 8};
  CHECK_FALSE(bn->output_shape(std::span<const Shape>(&empty, 1), &out).ok());
  const Shape fine{3, 8};
  REQUIRE(bn->output_shape(std::span<const Shape>(&fine, 1), &out).ok());
  CHECK(out == fine);
}
