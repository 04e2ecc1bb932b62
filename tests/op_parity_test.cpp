// Bit-exact results across builds: every op's forward and backward on fixed
// inputs, folded into one hash per op. The expected hashes are the same for
// the native and the WebAssembly build, so passing on both shows the two give
// identical bits (no FMA contraction, no library exp, no thread-dependent
// summation order). A deliberate change to an op's arithmetic changes its
// hash: print the new ones with `neuronlens_tests "[parity]" -s` and update.
#include <catch2/catch.hpp>

#include <cstring>
#include <functional>

#include "kernels/thread_pool.h"
#include "nn/loss.h"
#include "nn/ops/avg_pool2d.h"
#include "nn/ops/batch_norm.h"
#include "nn/ops/dropout.h"
#include "nn/ops/global_avg_pool.h"
#include "nn/ops/hard_swish.h"
#include "nn/ops/max_pool2d.h"
#include "nn/ops/sigmoid.h"
#include "nn/ops/softmax.h"
#include "nn/ops/tanh.h"
#include "op_test_util.h"

using namespace nl;
using namespace nl::test;

namespace {

// Inputs from integer arithmetic only (the standard distributions differ
// between libstdc++ and libc++): values in [-4, 4) on a 1/256 grid.
Tensor fixed_input(const Shape& s, uint32_t salt) {
  Tensor t(s);
  for (int64_t i = 0; i < t.elements(); ++i) {
    const uint32_t h = (static_cast<uint32_t>(i) + salt) * 2654435761u;
    t[i] = static_cast<float>(static_cast<int32_t>(h >> 21) - 1024) / 256.0f;
  }
  return t;
}

// FNV-1a over the bits of every element.
uint64_t hash_bits(const Tensor& t, uint64_t h = 1469598103934665603ull) {
  for (int64_t i = 0; i < t.elements(); ++i) {
    uint32_t u;
    const float v = t[i];
    std::memcpy(&u, &v, sizeof u);
    for (int b = 0; b < 4; ++b) {
      h ^= (u >> (8 * b)) & 0xffu;
      h *= 1099511628211ull;
    }
  }
  return h;
}

// Hash of y = op(x) and dx for dy = a fixed pattern, training or not, using a
// two-thread pool (results must not depend on it).
uint64_t op_hash(Op& op, const Shape& xs, bool training) {
  ThreadPool threads(2);
  OpContext ctx;
  ctx.pool = &threads;
  ctx.training = training;
  ctx.seed = 12345;
  const Tensor x = fixed_input(xs, 1);
  const Tensor y = run_forward(op, {&x}, ctx);
  const Tensor dy = fixed_input(y.shape(), 2);
  op.zero_param_grads();
  const Tensor dx = run_backward(op, {&x}, y, dy, ctx, true)[0];
  uint64_t h = hash_bits(dx, hash_bits(y));
  for (const Param& p : op.params()) {
    h = hash_bits(*p.value, h);
    if (p.grad) h = hash_bits(*p.grad, h);
  }
  return h;
}

}  // namespace

TEST_CASE("ops give the same bits in every build", "[parity]") {
  Pool2DParams p;
  p.kernel_h = p.kernel_w = 3;
  p.stride_h = p.stride_w = 2;
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
  p.ceil_mode = true;
  p.count_include_pad = false;
  const Shape image{2, 9, 7, 70};
  struct Entry {
    const char* name;
    std::function<uint64_t()> hash;
    uint64_t expected;
  };
  const Entry entries[] = {
      {"Sigmoid", [&] { return op_hash(*unwrap(Sigmoid::create()), image, false); }, 0x57243083a9c11d86ull},
      {"Tanh", [&] { return op_hash(*unwrap(Tanh::create()), image, false); }, 0x10056647c8a9889aull},
      {"HardSwish", [&] { return op_hash(*unwrap(HardSwish::create()), image, false); }, 0x5416f137f07ebf1dull},
      {"Softmax", [&] { return op_hash(*unwrap(Softmax::create()), image, false); }, 0x24f5923b16b4d645ull},
      {"MaxPool2D", [&] { return op_hash(*unwrap(MaxPool2D::create(p)), image, false); }, 0x39f2fdbe0e06a576ull},
      {"AvgPool2D", [&] { return op_hash(*unwrap(AvgPool2D::create(p)), image, false); }, 0x764bd795921e7890ull},
      {"GlobalAvgPool", [&] { return op_hash(*unwrap(GlobalAvgPool::create()), image, false); }, 0x56001e260b063771ull},
      {"BatchNorm inference", [&] { return op_hash(*unwrap(BatchNorm::create(70)), image, false); },
       0x65afbdf2afdc062cull},
      {"BatchNorm training", [&] { return op_hash(*unwrap(BatchNorm::create(70)), image, true); },
       0x244c819965b8de4eull},
      {"Dropout training", [&] { return op_hash(*unwrap(Dropout::create(0.3f)), image, true); }, 0x77834cbffd5d01aeull},
      {"softmax_cross_entropy",
       [&] {
         const Tensor z = fixed_input(Shape{16, 10}, 3);
         std::vector<int> labels;
         for (int i = 0; i < 16; ++i) labels.push_back((i * 7) % 10);
         Tensor g;
         const float loss = softmax_cross_entropy(z, labels, &g).value();
         Tensor l(Shape{1});
         l[0] = loss;
         return hash_bits(g, hash_bits(l));
       },
       0xe9f2153ceee30069ull},
  };
  for (const Entry& e : entries) {
    const uint64_t h = e.hash();
    INFO(e.name << ": hash 0x" << std::hex << h);
    CHECK(h == e.expected);
  }
}
