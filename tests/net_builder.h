// NetBuilder: appends named nodes to a Graph for the PyTorch parity tests
// ([torch], [torch-interpret]), keeping the first error. Node names match the
// reference scripts' (tests/reference/*.py), so parameters meet as "<node>.<param>".
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "nn/graph.h"
#include "nn/ops/batch_norm.h"
#include "nn/ops/conv2d.h"
#include "nn/ops/dense.h"
#include "nn/ops/max_pool2d.h"
#include "nn/ops/relu.h"

namespace nl::test {

class NetBuilder {
 public:
  explicit NetBuilder(nl::Graph& graph) : g_(graph) {}
  const nl::Status& status() const { return status_; }

  template <typename T>
  int add(const std::string& name, nl::Result<std::unique_ptr<T>> op, std::vector<int> inputs) {
    if (!status_.ok()) return -1;
    if (!op.ok()) {
      status_ = nl::Status::Error(name + ": " + op.status().message());
      return -1;
    }
    nl::Result<int> id = g_.add(name, std::move(op.value()), std::move(inputs));
    if (!id.ok()) {
      status_ = id.status();
      return -1;
    }
    return id.value();
  }
  int conv(const std::string& name, int input, int64_t cin, int64_t cout, int kernel, int stride, int pad,
           int groups = 1, bool bias = false) {
    nl::Conv2DParams p;
    p.in_channels = cin;
    p.out_channels = cout;
    p.kernel_h = p.kernel_w = kernel;
    p.stride_h = p.stride_w = stride;
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = pad;
    p.groups = groups;
    p.has_bias = bias;
    return add(name, nl::Conv2D::create(p), {input});
  }
  int bn(const std::string& name, int input, int64_t channels) { return add(name, nl::BatchNorm::create(channels), {input}); }
  int relu(const std::string& name, int input) { return add(name, nl::ReLU::create(), {input}); }
  int max_pool_2x2(const std::string& name, int input) { return add(name, nl::MaxPool2D::create(nl::Pool2DParams{}), {input}); }
  int dense(const std::string& name, int input, int64_t in, int64_t out) {
    return add(name, nl::Dense::create(in, out, true), {input});
  }

 private:
  nl::Graph& g_;
  nl::Status status_;
};

}  // namespace nl::test
