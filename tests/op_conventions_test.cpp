// The Op conventions of nn/op.h, checked on every op of src/nn/ops at once:
// backward adds into input gradients (+=), a null input gradient is skipped,
// parameter gradients accumulate only when asked, output_shape rejects a
// wrong input count with a message naming the op, results do not depend on
// the thread count, and forward writes every element of its output.
#include <catch2/catch.hpp>

#include <cstring>
#include <functional>
#include <limits>

#include "kernels/thread_pool.h"
#include "nn/ops/add.h"
#include "nn/ops/avg_pool2d.h"
#include "nn/ops/batch_norm.h"
#include "nn/ops/clip.h"
#include "nn/ops/concat.h"
#include "nn/ops/conv2d.h"
#include "nn/ops/dense.h"
#include "nn/ops/dropout.h"
#include "nn/ops/flatten.h"
#include "nn/ops/global_avg_pool.h"
#include "nn/ops/hard_sigmoid.h"
#include "nn/ops/hard_swish.h"
#include "nn/ops/leaky_relu.h"
#include "nn/ops/max_pool2d.h"
#include "nn/ops/relu.h"
#include "nn/ops/scale.h"
#include "nn/ops/sigmoid.h"
#include "nn/ops/softmax.h"
#include "nn/ops/tanh.h"
#include "op_test_util.h"

using namespace nl;
using namespace nl::test;

namespace {

struct Case {
  std::unique_ptr<Op> op;
  std::vector<Shape> inputs;
  bool training = false;
};

std::vector<Case> every_op(const Shape& image = Shape{2, 5, 4, 3}) {
  Pool2DParams overlapping;
  overlapping.kernel_h = overlapping.kernel_w = 3;
  overlapping.stride_h = overlapping.stride_w = 1;
  overlapping.pad_top = overlapping.pad_left = overlapping.pad_bottom = overlapping.pad_right = 1;
  std::vector<Case> cases;
  cases.push_back({unwrap(ReLU::create()), {image}});
  cases.push_back({unwrap(Clip::create_relu6()), {image}});
  cases.push_back({unwrap(LeakyReLU::create(0.2f)), {image}});
  cases.push_back({unwrap(Sigmoid::create()), {image}});
  cases.push_back({unwrap(Tanh::create()), {image}});
  cases.push_back({unwrap(HardSigmoid::create()), {image}});
  cases.push_back({unwrap(HardSwish::create()), {image}});
  cases.push_back({unwrap(MaxPool2D::create(overlapping)), {image}});
  cases.push_back({unwrap(AvgPool2D::create(overlapping)), {image}});
  cases.push_back({unwrap(GlobalAvgPool::create()), {image}});
  cases.push_back({unwrap(BatchNorm::create(3)), {image}, false});
  cases.push_back({unwrap(BatchNorm::create(3)), {image}, true});
  cases.push_back({unwrap(Add::create()), {image, image, image}});
  cases.push_back({unwrap(Scale::create(-1.5f)), {image}});
  cases.push_back({unwrap(Concat::create()), {image, Shape{image[0], image[1], image[2], 1}}});
  cases.push_back({unwrap(Flatten::create()), {image}});
  cases.push_back({unwrap(Dropout::create(0.4f)), {image}, true});
  cases.push_back({unwrap(Softmax::create()), {image}});
  return cases;
}

// Random tensors of the given shapes, and the pointers forward/backward take.
struct Inputs {
  std::vector<Tensor> values;
  std::vector<const Tensor*> ptrs;
};
Inputs random_inputs(const std::vector<Shape>& shapes, std::mt19937_64& rng, float lo, float hi) {
  Inputs in;
  for (const Shape& s : shapes) in.values.push_back(random_tensor(s, rng, lo, hi));
  for (const Tensor& t : in.values) in.ptrs.push_back(&t);
  return in;
}

}  // namespace

TEST_CASE("every op adds into input gradients and skips null ones", "[ops]") {
  std::mt19937_64 rng(801);
  for (Case& c : every_op()) {
    Op& op = *c.op;
    INFO(op.type() << (c.training ? " (training)" : ""));
    OpContext ctx;
    ctx.training = c.training;
    ctx.seed = 7;
    const Inputs inputs = random_inputs(c.inputs, rng, -2.0f, 2.0f);
    const std::vector<Tensor>& xs = inputs.values;
    const std::vector<const Tensor*>& ins = inputs.ptrs;
    const Tensor y = run_forward(op, ins, ctx);
    const Tensor dy = random_tensor(y.shape(), rng);

    const std::vector<Tensor> fresh = run_backward(op, ins, y, dy, ctx);
    std::vector<Tensor> prefilled;
    std::vector<Tensor*> ptrs;
    for (const Tensor& t : xs) {
      prefilled.emplace_back(t.shape());
      prefilled.back().fill(0.25f);
    }
    for (Tensor& t : prefilled) ptrs.push_back(&t);
    op.backward(ctx, ins, y, dy, ptrs, false);
    for (size_t i = 0; i < xs.size(); ++i)
      for (int64_t e = 0; e < xs[i].elements(); ++e)
        REQUIRE(prefilled[i][e] == Approx(fresh[i][e] + 0.25f).margin(1e-6));

    // Only the first input's gradient wanted: it comes out the same.
    Tensor first(xs[0].shape());
    std::vector<Tensor*> only_first(xs.size(), nullptr);
    only_first[0] = &first;
    op.backward(ctx, ins, y, dy, only_first, false);
    for (int64_t e = 0; e < first.elements(); ++e) REQUIRE(first[e] == fresh[0][e]);

    // Nothing wanted: nothing to do (and nothing touched).
    std::vector<Tensor*> none(xs.size(), nullptr);
    op.backward(ctx, ins, y, dy, none, false);
  }
}

TEST_CASE("parameter gradients accumulate only when asked", "[ops][batchnorm]") {
  std::mt19937_64 rng(802);
  for (bool training : {false, true}) {
    auto bn = unwrap(BatchNorm::create(4));
    fill_uniform(bn->weight, rng);
    const Tensor x = random_tensor(Shape{3, 2, 2, 4}, rng);
    OpContext ctx;
    ctx.training = training;
    const Tensor y = run_forward(*bn, {&x}, ctx);
    const Tensor dy = random_tensor(y.shape(), rng);
    bn->zero_param_grads();
    run_backward(*bn, {&x}, y, dy, ctx, false);
    for (int c = 0; c < 4; ++c) REQUIRE(bn->weight_grad[c] == 0.0f);
    run_backward(*bn, {&x}, y, dy, ctx, true);
    const Tensor once = bn->weight_grad, once_bias = bn->bias_grad;
    const Tensor* input[1] = {&x};
    Tensor* no_input_grad[1] = {nullptr};
    bn->backward(ctx, input, y, dy, no_input_grad, true);  // parameters only
    for (int c = 0; c < 4; ++c) {
      REQUIRE(bn->weight_grad[c] == Approx(2 * once[c]));
      REQUIRE(bn->bias_grad[c] == Approx(2 * once_bias[c]));
    }
  }
}

TEST_CASE("every op rejects a wrong number of inputs, naming itself", "[ops]") {
  for (Case& c : every_op()) {
    Shape out;
    const Status none = c.op->output_shape({}, &out);
    INFO(c.op->type() << ": " << none.message());
    REQUIRE_FALSE(none.ok());
    CHECK(contains(none.message(), c.op->type()));
    if (c.inputs.size() == 1) {
      const std::vector<Shape> two = {c.inputs[0], c.inputs[0]};
      const Status extra = c.op->output_shape(two, &out);
      INFO(extra.message());
      CHECK_FALSE(extra.ok());
    }
  }
}

TEST_CASE("every op gives the same bits with 1, 2 and 3 threads on tensors of several work blocks", "[ops]") {
  // 2 x 130 x 129 x 3 = 100,620 elements: three of the elementwise ops' 32K-element blocks and a partial one.
  const Shape large{2, 130, 129, 3};
  ThreadPool two(2), three(3);
  std::vector<Case> one_thread = every_op(large);
  for (ThreadPool* pool : {&two, &three}) {
    std::vector<Case> threaded = every_op(large);
    std::mt19937_64 rng(802);
    for (size_t c = 0; c < one_thread.size(); ++c) {
      INFO(one_thread[c].op->type() << (one_thread[c].training ? " (training)" : "") << ", " << pool->threads()
                                    << " threads");
      OpContext alone, shared;
      alone.training = shared.training = one_thread[c].training;
      alone.seed = shared.seed = 7;
      shared.pool = pool;
      const Inputs inputs = random_inputs(one_thread[c].inputs, rng, -4.0f, 4.0f);
      const std::vector<const Tensor*>& ins = inputs.ptrs;
      const Tensor y = run_forward(*one_thread[c].op, ins, alone);
      const Tensor y_threaded = run_forward(*threaded[c].op, ins, shared);
      REQUIRE(y.elements() == y_threaded.elements());
      int64_t differ = 0;
      for (int64_t e = 0; e < y.elements(); ++e) differ += y[e] != y_threaded[e];
      REQUIRE(differ == 0);
      const Tensor dy = random_tensor(y.shape(), rng);
      const std::vector<Tensor> dx = run_backward(*one_thread[c].op, ins, y, dy, alone);
      const std::vector<Tensor> dx_threaded = run_backward(*threaded[c].op, ins, y, dy, shared);
      for (size_t i = 0; i < dx.size(); ++i)
        for (int64_t e = 0; e < dx[i].elements(); ++e) differ += dx[i][e] != dx_threaded[i][e];
      REQUIRE(differ == 0);
    }
  }
}

TEST_CASE("every op writes its whole output: forward into a NaN-filled output gives the zeroed one's bits", "[ops]") {
  // The executor hands forward its output from the previous pass without
  // clearing it (op.h), so an op that adds into its output or skips an element
  // would read stale values; NaN makes any such read visible.
  std::vector<Case> cases = every_op(Shape{2, 9, 7, 3});
  auto conv = [&](int64_t cin, int64_t cout, int k, int stride, int groups, bool bias, Shape input) {
    Conv2DParams p;
    p.in_channels = cin;
    p.out_channels = cout;
    p.kernel_h = p.kernel_w = k;
    p.stride_h = p.stride_w = stride;
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = k / 2;
    p.groups = groups;
    p.has_bias = bias;
    cases.push_back({unwrap(Conv2D::create(p)), {input}});
  };
  conv(8, 16, 3, 1, 1, true, Shape{2, 9, 7, 8});    // im2col + GEMM
  conv(8, 16, 3, 2, 1, false, Shape{2, 9, 7, 8});   // without bias
  conv(8, 8, 3, 1, 8, true, Shape{2, 9, 7, 8});     // depthwise
  conv(8, 12, 1, 1, 1, true, Shape{2, 9, 7, 8});    // pointwise
  conv(8, 16, 3, 1, 4, true, Shape{2, 9, 7, 8});    // grouped
  conv(8, 64, 3, 1, 1, true, Shape{1, 3, 3, 8});    // weight-heavy: more output channels than pixels
  conv(32, 16, 3, 1, 1, true, Shape{2, 9, 7, 32});  // indirect: kernel rows of 96 floats read in place
  conv(64, 96, 3, 1, 1, false, Shape{1, 3, 3, 64}); // indirect though weight-heavy, without bias
  for (bool bias : {true, false}) {
    cases.push_back({unwrap(Dense::create(24, 10, bias)), {Shape{2, 24}}});   // direct loops
    cases.push_back({unwrap(Dense::create(24, 10, bias)), {Shape{16, 24}}});  // GEMM
  }
  std::mt19937_64 rng(803);
  ThreadPool two(2);
  for (Case& c : cases) {
    Op& op = *c.op;
    for (const Param& p : op.params())
      for (int64_t e = 0; e < p.value->elements(); ++e) (*p.value)[e] = std::uniform_real_distribution<float>(-1, 1)(rng);
    for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &two}) {
      INFO(op.type() << (c.training ? " (training)" : "") << ", input " << c.inputs[0].str() << ", "
                     << (pool ? 2 : 1) << " thread(s)");
      OpContext ctx;
      ctx.pool = pool;
      ctx.training = c.training;
      ctx.seed = 7;
      const Inputs inputs = random_inputs(c.inputs, rng, -2.0f, 2.0f);
      const std::vector<const Tensor*>& ins = inputs.ptrs;
      const Tensor zeroed = run_forward(op, ins, ctx);
      Tensor stale(zeroed.shape());
      stale.fill(std::numeric_limits<float>::quiet_NaN());
      op.forward(ctx, ins, stale);
      int64_t differ = 0;
      for (int64_t e = 0; e < zeroed.elements(); ++e)
        differ += std::memcmp(&zeroed.data()[e], &stale.data()[e], sizeof(float)) != 0;
      REQUIRE(differ == 0);
    }
  }
}
