// Dense (fully connected): y = x W^T + b.
//   input  x: [N, In]     (a 4-D input must be flattened first: see Flatten)
//   weight W: [Out, In]
//   bias   b: [Out]
//   output y: [N, Out]
#pragma once
#include <memory>

#include "nn/op.h"

namespace nl {

class Dense : public Op {
 public:
  static Result<std::unique_ptr<Dense>> create(int64_t in_features, int64_t out_features, bool has_bias = true);

  std::string type() const override { return "Dense"; }
  Status output_shape(std::span<const Shape> inputs, Shape* output) const override;
  void forward(const OpContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) override;
  void backward(const OpContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                const Tensor& output_grad, std::span<Tensor* const> input_grads, bool want_param_grads) override;
  std::vector<Param> params() override;

  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }
  bool has_bias() const { return has_bias_; }
  Tensor weight, bias;
  Tensor weight_grad, bias_grad;

 private:
  Dense(int64_t in, int64_t out, bool has_bias);
  int64_t in_, out_;
  bool has_bias_;
};

}  // namespace nl
