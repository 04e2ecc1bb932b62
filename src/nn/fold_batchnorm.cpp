// BatchNorm folding; the algebra is in fold_batchnorm.h. The scale is
// computed in double so folding adds no error beyond float rounding.
#include "nn/fold_batchnorm.h"

#include <cmath>

#include "nn/ops/batch_norm.h"
#include "nn/ops/conv2d.h"
#include "nn/ops/dense.h"

namespace nl {

namespace {

// The producer's weights with the BatchNorm merged in: a new op with a bias.
Result<std::unique_ptr<Op>> merge(Op& producer, const BatchNorm& bn) {
  const int64_t channels = bn.channels();
  std::vector<double> scale(static_cast<size_t>(channels)), shift(static_cast<size_t>(channels));
  for (int64_t c = 0; c < channels; ++c) {
    const double s = static_cast<double>(bn.weight[c]) / std::sqrt(static_cast<double>(bn.running_var[c]) + bn.eps());
    scale[static_cast<size_t>(c)] = s;
    shift[static_cast<size_t>(c)] = static_cast<double>(bn.bias[c]) - s * static_cast<double>(bn.running_mean[c]);
  }
  const Tensor* weight = nullptr;
  const Tensor* bias = nullptr;
  std::unique_ptr<Op> merged;
  Tensor* new_weight = nullptr;
  Tensor* new_bias = nullptr;
  if (auto* conv = dynamic_cast<Conv2D*>(&producer)) {
    Conv2DParams p = conv->settings();
    p.has_bias = true;
    auto made = Conv2D::create(p);
    if (!made.ok()) return made.status();
    weight = &conv->weight;
    bias = conv->settings().has_bias ? &conv->bias : nullptr;
    new_weight = &made.value()->weight;
    new_bias = &made.value()->bias;
    merged = std::move(made.value());
  } else if (auto* dense = dynamic_cast<Dense*>(&producer)) {
    auto made = Dense::create(dense->in_features(), dense->out_features(), true);
    if (!made.ok()) return made.status();
    weight = &dense->weight;
    bias = dense->has_bias() ? &dense->bias : nullptr;
    new_weight = &made.value()->weight;
    new_bias = &made.value()->bias;
    merged = std::move(made.value());
  } else {
    return Status::Error("fold_batchnorms: cannot fold into a " + producer.type());
  }
  if (weight->shape()[0] != channels)
    return Status::Error("fold_batchnorms: BatchNorm has " + std::to_string(channels) + " channels, its producer " +
                         std::to_string(weight->shape()[0]) + " outputs");
  const int64_t per_output = weight->elements() / channels;
  for (int64_t o = 0; o < channels; ++o) {
    const double s = scale[static_cast<size_t>(o)];
    for (int64_t k = 0; k < per_output; ++k)
      (*new_weight)[o * per_output + k] = static_cast<float>(s * static_cast<double>((*weight)[o * per_output + k]));
    const double b = bias ? static_cast<double>((*bias)[o]) : 0.0;
    (*new_bias)[o] = static_cast<float>(s * b + shift[static_cast<size_t>(o)]);
  }
  return merged;
}

}  // namespace

Result<Graph> fold_batchnorms(Graph&& graph, int* folded) {
  const int count = graph.size();
  if (count == 0) return Status::Error("fold_batchnorms: empty graph");
  std::vector<int> consumers(static_cast<size_t>(count), 0);
  for (int i = 1; i < count; ++i)
    for (int id : graph.node(i).inputs) ++consumers[static_cast<size_t>(id)];
  const int output = graph.output();

  // fold_into[i]: the BatchNorm node that node i absorbs (-1: none).
  std::vector<int> fold_into(static_cast<size_t>(count), -1);
  std::vector<char> removed(static_cast<size_t>(count), 0);
  for (int i = 1; i < count; ++i) {
    const Node& n = graph.node(i);
    if (!dynamic_cast<BatchNorm*>(n.op.get()) || n.inputs.size() != 1) continue;
    const int producer = n.inputs[0];
    if (producer == 0 || producer == output || consumers[static_cast<size_t>(producer)] != 1) continue;
    Op* op = graph.node(producer).op.get();
    if (!dynamic_cast<Conv2D*>(op) && !dynamic_cast<Dense*>(op)) continue;
    fold_into[static_cast<size_t>(producer)] = i;
    removed[static_cast<size_t>(i)] = 1;
  }

  Graph out;
  NL_RETURN_IF_ERROR(out.set_input(graph.node(0).name, graph.node(0).shape));
  std::vector<int> new_id(static_cast<size_t>(count), -1);
  new_id[0] = 0;
  int merged_count = 0;
  for (int i = 1; i < count; ++i) {
    Node& n = graph.node(i);
    if (removed[static_cast<size_t>(i)]) {
      new_id[static_cast<size_t>(i)] = new_id[static_cast<size_t>(n.inputs[0])];
      continue;
    }
    std::unique_ptr<Op> op = std::move(n.op);
    if (const int bn = fold_into[static_cast<size_t>(i)]; bn >= 0) {
      auto merged = merge(*op, static_cast<const BatchNorm&>(*graph.node(bn).op));
      if (!merged.ok()) return Status::Error("node '" + n.name + "': " + merged.status().message());
      op = std::move(merged.value());
      ++merged_count;
    }
    std::vector<int> inputs;
    for (int id : n.inputs) inputs.push_back(new_id[static_cast<size_t>(id)]);
    auto added = out.add(n.name, std::move(op), std::move(inputs));
    if (!added.ok()) return added.status();
    new_id[static_cast<size_t>(i)] = added.value();
  }
  out.set_output(new_id[static_cast<size_t>(output)]);
  graph = Graph();
  if (folded) *folded = merged_count;
  return out;
}

}  // namespace nl
