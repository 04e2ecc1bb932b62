// Op: one node's computation in a graph, with its forward pass and its
// hand-derived backward passes kept together (one file per op in src/nn/ops).
//
// Gradient convention, used by every op and the executor:
//   - backward() ADDS (+=) into the input-gradient tensors it is given; the
//     executor zeroes them first and sums contributions from several consumers.
//   - A null entry in `input_grads` means that gradient is not wanted: skip it.
//   - Parameter gradients are accumulated (+=) into Param::grad only when
//     `want_param_grads` is true; otherwise they are not computed at all.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tensor/status.h"
#include "tensor/tensor.h"

namespace nl {

class ThreadPool;

struct OpContext {
  ThreadPool* pool = nullptr;  // may be null: run on the calling thread
  bool training = false;       // BatchNorm uses batch statistics, Dropout drops
  uint64_t seed = 0;           // for Dropout's mask in training
};

// A learnable (or fixed) tensor owned by an op.
struct Param {
  std::string name;  // "weight", "bias", "running_mean", ...
  Tensor* value = nullptr;
  Tensor* grad = nullptr;     // null for tensors that are not trained (running stats)
};

class Op {
 public:
  virtual ~Op() = default;

  // The op's type name, e.g. "Conv2D".
  virtual std::string type() const = 0;

  // Checks the input shapes against the op's settings and parameters, and
  // gives the output shape, or an error describing the mismatch. Called when a
  // graph is built and whenever the batch size changes; forward/backward may
  // then assume the shapes are valid.
  virtual Status output_shape(std::span<const Shape> inputs, Shape* output) const = 0;

  // output has been resized to output_shape() by the caller; its values are
  // unspecified (it may hold an earlier pass's): forward writes every element.
  virtual void forward(const OpContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) = 0;

  // Given d(loss)/d(output) in output_grad, accumulates d(loss)/d(input i)
  // into input_grads[i] (when non-null), and parameter gradients when asked.
  // `output` is the value forward() produced for these inputs.
  virtual void backward(const OpContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                        const Tensor& output_grad, std::span<Tensor* const> input_grads,
                        bool want_param_grads) = 0;

  // Parameters, in a fixed order; empty for ops without any.
  virtual std::vector<Param> params() { return {}; }

  // Sets every parameter gradient to zero (allocating it on first use).
  void zero_param_grads();
};

}  // namespace nl
