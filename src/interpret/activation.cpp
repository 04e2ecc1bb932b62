#include "interpret/activation.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace nl {

void reduce_channels(const Tensor& value, Reduction reduction, Tensor* out) {
  const Shape& s = value.shape();
  const int64_t n = s[0];
  const int64_t k = s[s.rank() - 1];
  const int64_t hw = value.elements() / (n * k);
  out->resize(Shape{n, k});
  for (int64_t b = 0; b < n; ++b) {
    const float* v = value.data() + b * hw * k;
    float* o = out->data() + b * k;
    for (int64_t c = 0; c < k; ++c) {
      double sum = 0;
      for (int64_t p = 0; p < hw; ++p) {
        const float a = v[p * k + c];
        sum += reduction == Reduction::kAbsSum ? std::fabs(a) : a;
      }
      o[c] = static_cast<float>(reduction == Reduction::kMean ? sum / static_cast<double>(hw) : sum);
    }
  }
}

int post_activation_node(const Graph& g, int node) {
  int consumer = -1, consumers = 0;
  for (int i = node + 1; i < g.size(); ++i)
    for (int in : g.node(i).inputs)
      if (in == node) {
        consumer = i;
        ++consumers;
      }
  if (consumers != 1) return node;
  const std::string t = g.node(consumer).op->type();
  const bool activation = t == "ReLU" || t == "Clip" || t == "LeakyReLU" || t == "Sigmoid" || t == "Tanh" ||
                          t == "HardSigmoid" || t == "HardSwish";
  return activation ? consumer : node;
}

int logits_node(const Graph& g) {
  const int out = g.output();
  if (out > 0 && g.node(out).op && g.node(out).op->type() == "Softmax") return g.node(out).inputs[0];
  return out;
}

Result<Tensor> neuron_responses(Executor& ex, const ImageSet& set, int node, Reduction reduction) {
  if (node <= 0 || node >= ex.graph().size()) return Status::Error("activation: node " + std::to_string(node) + " does not exist");
  const int64_t n = set.size();
  const Shape& s = ex.graph().node(node).shape;
  const int64_t k = s[s.rank() - 1];
  Tensor all(Shape{n, k}), part;
  for (int64_t begin = 0; begin < n; begin += kSweepBatch) {
    const int64_t end = std::min(n, begin + kSweepBatch);
    NL_RETURN_IF_ERROR(ex.forward_until(set.batch(begin, end), node));
    reduce_channels(ex.value(node), reduction, &part);
    for (int64_t i = 0; i < part.elements(); ++i) all[begin * k + i] = part[i];
  }
  return all;
}

Result<Tensor> category_activation(Executor& ex, const ImageSet& set, int node, int classes, Reduction reduction) {
  auto responses = neuron_responses(ex, set, node, reduction);
  if (!responses.ok()) return responses.status();
  const Tensor& r = responses.value();
  const int64_t n = r.shape()[0], k = r.shape()[1];
  std::vector<double> sum(static_cast<size_t>(k * classes), 0.0);
  std::vector<int64_t> count(static_cast<size_t>(classes), 0);
  for (int64_t b = 0; b < n; ++b) {
    const int c = set.labels[static_cast<size_t>(b)];
    if (c < 0 || c >= classes) continue;
    ++count[static_cast<size_t>(c)];
    for (int64_t j = 0; j < k; ++j) sum[static_cast<size_t>(j * classes + c)] += r[b * k + j];
  }
  Tensor act(Shape{k, classes});
  for (int64_t j = 0; j < k; ++j)
    for (int c = 0; c < classes; ++c)
      if (count[static_cast<size_t>(c)])
        act[j * classes + c] = static_cast<float>(sum[static_cast<size_t>(j * classes + c)] / static_cast<double>(count[static_cast<size_t>(c)]));
  return act;
}

}  // namespace nl
