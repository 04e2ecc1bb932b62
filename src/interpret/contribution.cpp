#include "interpret/contribution.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "interpret/activation.h"
#include "nn/ops/conv2d.h"
#include "nn/ops/dense.h"

namespace nl {
namespace {

int argmax_row(const Tensor& logits, int64_t row) {
  const int64_t c = logits.shape()[1];
  const float* v = logits.data() + row * c;
  return static_cast<int>(std::max_element(v, v + c) - v);
}

// Per-item weight-gradient score: sum over the weights of output channel k of |dy_c/dW|.
Status weight_gradient_scores(Executor& ex, const Tensor& images, int node, int logits, const std::vector<int>& cls,
                              Tensor* out) {
  Node& producer = ex.graph().node(node);
  Tensor* grad = nullptr;
  int64_t k = 0;
  if (auto* conv = dynamic_cast<Conv2D*>(producer.op.get())) {
    grad = &conv->weight_grad;
    k = conv->settings().out_channels;
  } else if (auto* dense = dynamic_cast<Dense*>(producer.op.get())) {
    grad = &dense->weight_grad;
    k = dense->out_features();
  } else {
    return Status::Error("contribution: the weight-gradient score needs a node computed by Conv2D or Dense, not " +
                         (producer.op ? producer.op->type() : std::string("the input")));
  }
  const int64_t n = images.shape()[0];
  out->resize(Shape{n, k});
  for (int64_t b = 0; b < n; ++b) {
    Tensor one(Shape{1, images.shape()[1], images.shape()[2], images.shape()[3]});
    const int64_t per = one.elements();
    for (int64_t i = 0; i < per; ++i) one[i] = images[b * per + i];
    NL_RETURN_IF_ERROR(ex.forward_until(one, logits));
    Tensor seed(ex.value(logits).shape());
    seed[cls[static_cast<size_t>(b)]] = 1.0f;
    producer.op->zero_param_grads();
    // Stopping at the node itself keeps the work to the layers above it plus its own weights.
    NL_RETURN_IF_ERROR(ex.backward({.from = logits, .seed = &seed, .stop_at = producer.inputs[0], .want_param_grads = true, .keep_intermediate_grads = false}));
    const int64_t per_k = grad->elements() / k;
    for (int64_t j = 0; j < k; ++j) {
      double s = 0;
      for (int64_t i = 0; i < per_k; ++i) s += std::fabs((*grad)[j * per_k + i]);
      (*out)[b * k + j] = static_cast<float>(s);
    }
  }
  return Status::Ok();
}

}  // namespace

Result<Tensor> contributions(Executor& ex, const Tensor& images, int node, const std::vector<int>& classes,
                             const ContributionOptions& o, std::vector<int>* used_classes) {
  Graph& g = ex.graph();
  const int logits = o.logits >= 0 ? o.logits : logits_node(g);
  if (node <= 0 || node >= logits) return Status::Error("contribution: node " + std::to_string(node) + " must lie before the logits node");
  const int64_t n = images.shape()[0];
  if (!classes.empty() && static_cast<int64_t>(classes.size()) != n)
    return Status::Error("contribution: " + std::to_string(classes.size()) + " classes given for " + std::to_string(n) + " images");
  NL_RETURN_IF_ERROR(ex.forward_until(images, logits));
  const Tensor& y = ex.value(logits);
  if (y.shape().rank() != 2) return Status::Error("contribution: the logits node must be [N, classes], got " + y.shape().str());
  const int64_t num_classes = y.shape()[1];
  std::vector<int> cls(static_cast<size_t>(n));
  for (int64_t b = 0; b < n; ++b) {
    const int given = classes.empty() ? -1 : classes[static_cast<size_t>(b)];
    if (given >= num_classes) return Status::Error("contribution: class " + std::to_string(given) + " out of range");
    cls[static_cast<size_t>(b)] = given >= 0 ? given : argmax_row(y, b);
  }
  if (used_classes) *used_classes = cls;

  Tensor scores;
  if (o.score == ContributionScore::kWeightGradient) {
    NL_RETURN_IF_ERROR(weight_gradient_scores(ex, images, node, logits, cls, &scores));
    return scores;
  }
  Tensor seed(y.shape());
  for (int64_t b = 0; b < n; ++b) seed[b * num_classes + cls[static_cast<size_t>(b)]] = 1.0f;
  NL_RETURN_IF_ERROR(ex.backward({.from = logits, .seed = &seed, .stop_at = node, .keep_intermediate_grads = false}));
  const Tensor& a = ex.value(node);
  const Tensor& d = ex.grad(node);
  const int64_t k = a.shape()[a.shape().rank() - 1];
  const int64_t hw = a.elements() / (n * k);
  scores.resize(Shape{n, k});
  for (int64_t b = 0; b < n; ++b)
    for (int64_t j = 0; j < k; ++j) {
      double s = 0;
      for (int64_t p = 0; p < hw; ++p) {
        const int64_t i = (b * hw + p) * k + j;
        s += o.score == ContributionScore::kGradientTimesActivation ? static_cast<double>(a[i]) * d[i] : d[i];
      }
      scores[b * k + j] = static_cast<float>(o.score == ContributionScore::kFeatureMapGradient ? std::fabs(s) : s);
    }
  return scores;
}

std::vector<float> contribution_shares(const float* scores, int64_t k) {
  double positive = 0;
  for (int64_t j = 0; j < k; ++j) positive += std::max(0.0f, scores[j]);
  std::vector<float> share(static_cast<size_t>(k), 0.0f);
  if (positive > 0)
    for (int64_t j = 0; j < k; ++j) share[static_cast<size_t>(j)] = static_cast<float>(scores[j] / positive);
  return share;
}

Result<Tensor> category_contributions(Executor& ex, const ImageSet& set, int node, int classes, const ContributionOptions& o) {
  const Shape& s = ex.graph().node(node).shape;
  const int64_t k = s[s.rank() - 1];
  std::vector<double> sum(static_cast<size_t>(k * classes), 0.0);
  std::vector<int64_t> count(static_cast<size_t>(classes), 0);
  const int64_t n = set.size();
  for (int64_t begin = 0; begin < n; begin += kSweepBatch) {
    const int64_t end = std::min(n, begin + kSweepBatch);
    std::vector<int> cls(set.labels.begin() + begin, set.labels.begin() + end);
    for (int& c : cls)
      if (c < 0 || c >= classes) return Status::Error("contribution: label " + std::to_string(c) + " outside 0.." + std::to_string(classes - 1));
    auto scores = contributions(ex, set.batch(begin, end), node, cls, o);
    if (!scores.ok()) return scores.status();
    for (int64_t b = 0; b < end - begin; ++b) {
      const int c = cls[static_cast<size_t>(b)];
      ++count[static_cast<size_t>(c)];
      for (int64_t j = 0; j < k; ++j) sum[static_cast<size_t>(j * classes + c)] += scores.value()[b * k + j];
    }
  }
  Tensor gamma(Shape{k, classes});
  for (int64_t j = 0; j < k; ++j)
    for (int c = 0; c < classes; ++c)
      if (count[static_cast<size_t>(c)])
        gamma[j * classes + c] =
            static_cast<float>(sum[static_cast<size_t>(j * classes + c)] / static_cast<double>(count[static_cast<size_t>(c)]));
  return gamma;
}

Result<Tensor> linear_decomposition(Executor& ex, int node, const std::vector<int>& classes) {
  Graph& g = ex.graph();
  // Walk the single-consumer chain from node: GlobalAvgPool, optional Flatten, Dense.
  auto only_consumer = [&](int id) {
    int found = -1;
    for (int i = id + 1; i < g.size(); ++i)
      for (int in : g.node(i).inputs)
        if (in == id) {
          if (found >= 0) return -2;
          found = i;
        }
    return found;
  };
  int at = only_consumer(node);
  if (at < 0 || g.node(at).op->type() != "GlobalAvgPool")
    return Status::Error("linear decomposition: node '" + g.node(node).name + "' is not followed by GlobalAvgPool alone");
  int next = only_consumer(at);
  if (next >= 0 && g.node(next).op->type() == "Flatten") next = only_consumer(next);
  if (next < 0 || g.node(next).op->type() != "Dense")
    return Status::Error("linear decomposition: GlobalAvgPool after '" + g.node(node).name + "' does not lead straight to a Dense layer");
  auto* dense = dynamic_cast<Dense*>(g.node(next).op.get());
  const Tensor& a = ex.value(node);
  const int64_t n = a.shape()[0], k = a.shape()[a.shape().rank() - 1], hw = a.elements() / (n * k);
  if (static_cast<int64_t>(classes.size()) != n) return Status::Error("linear decomposition: one class per image needed");
  Tensor terms(Shape{n, k});
  for (int64_t b = 0; b < n; ++b) {
    const int c = classes[static_cast<size_t>(b)];
    if (c < 0 || c >= dense->out_features()) return Status::Error("linear decomposition: class out of range");
    for (int64_t j = 0; j < k; ++j) {
      double mean = 0;
      for (int64_t p = 0; p < hw; ++p) mean += a[(b * hw + p) * k + j];
      terms[b * k + j] = static_cast<float>(dense->weight[c * k + j] * (mean / static_cast<double>(hw)));
    }
  }
  return terms;
}

}  // namespace nl
