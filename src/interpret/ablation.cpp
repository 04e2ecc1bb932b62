#include "interpret/ablation.h"

#include <algorithm>
#include <string>

#include "interpret/activation.h"
#include "nn/ops/conv2d.h"
#include "nn/ops/dense.h"

namespace nl {
namespace {

// Zeroes the output channels of a Conv2D/Dense not in `keep` for its lifetime.
class ChannelMask {
 public:
  ChannelMask(Op* op, const std::vector<int>& keep) {
    if (auto* conv = dynamic_cast<Conv2D*>(op)) {
      weight_ = &conv->weight;
      bias_ = conv->settings().has_bias ? &conv->bias : nullptr;
      channels_ = conv->settings().out_channels;
    } else if (auto* dense = dynamic_cast<Dense*>(op)) {
      weight_ = &dense->weight;
      bias_ = dense->has_bias() ? &dense->bias : nullptr;
      channels_ = dense->out_features();
    }
    saved_weight_ = *weight_;
    if (bias_) saved_bias_ = *bias_;
    std::vector<char> kept(static_cast<size_t>(channels_), 0);
    for (int k : keep) kept[static_cast<size_t>(k)] = 1;
    const int64_t per = weight_->elements() / channels_;
    for (int64_t k = 0; k < channels_; ++k) {
      if (kept[static_cast<size_t>(k)]) continue;
      std::fill(weight_->data() + k * per, weight_->data() + (k + 1) * per, 0.0f);
      if (bias_) (*bias_)[k] = 0.0f;
    }
  }
  ~ChannelMask() {
    *weight_ = saved_weight_;
    if (bias_) *bias_ = saved_bias_;
  }

 private:
  Tensor* weight_ = nullptr;
  Tensor* bias_ = nullptr;
  int64_t channels_ = 0;
  Tensor saved_weight_, saved_bias_;
};

Status check_keep(const Graph& g, int producer, const std::vector<int>& keep) {
  const Shape& s = g.node(producer).shape;
  const int64_t k = s[s.rank() - 1];
  for (int c : keep)
    if (c < 0 || c >= k) return Status::Error("ablation: channel " + std::to_string(c) + " outside 0.." + std::to_string(k - 1));
  return Status::Ok();
}

}  // namespace

Result<int> channel_producer(const Graph& g, int node) {
  if (node <= 0 || node >= g.size()) return Status::Error("ablation: node " + std::to_string(node) + " does not exist");
  int at = node;
  for (;;) {
    const std::string t = g.node(at).op->type();
    if (t == "Conv2D" || t == "Dense") return at;
    const bool elementwise = t == "ReLU" || t == "Clip" || t == "LeakyReLU" || t == "Sigmoid" || t == "Tanh" ||
                             t == "HardSigmoid" || t == "HardSwish" || t == "Dropout";
    if (!elementwise || g.node(at).inputs.size() != 1 || g.node(at).inputs[0] == 0)
      return Status::Error("ablation: node '" + g.node(node).name + "' is not computed by a Conv2D or Dense (through elementwise ops); found " + t);
    at = g.node(at).inputs[0];
  }
}

Result<Tensor> logits_with_kept_channels(Executor& ex, const Tensor& images, int node, const std::vector<int>& keep) {
  auto producer = channel_producer(ex.graph(), node);
  if (!producer.ok()) return producer.status();
  NL_RETURN_IF_ERROR(check_keep(ex.graph(), producer.value(), keep));
  ChannelMask mask(ex.graph().node(producer.value()).op.get(), keep);
  const int logits = logits_node(ex.graph());
  NL_RETURN_IF_ERROR(ex.forward_until(images, logits));
  return ex.value(logits);
}

Result<AccuracyReport> evaluate_with_kept_channels(Executor& ex, const ImageSet& set, int classes, int node,
                                                   const std::vector<int>& keep, bool keep_all) {
  auto producer = channel_producer(ex.graph(), node);
  if (!producer.ok()) return producer.status();
  NL_RETURN_IF_ERROR(check_keep(ex.graph(), producer.value(), keep));
  std::unique_ptr<ChannelMask> mask;
  if (!keep_all) mask = std::make_unique<ChannelMask>(ex.graph().node(producer.value()).op.get(), keep);
  const int logits = logits_node(ex.graph());
  AccuracyReport r;
  r.per_class.assign(static_cast<size_t>(classes), 0.0);
  r.per_class_count.assign(static_cast<size_t>(classes), 0);
  std::vector<int64_t> correct(static_cast<size_t>(classes), 0);
  int64_t total = 0, total_correct = 0;
  for (int64_t begin = 0; begin < set.size(); begin += kSweepBatch) {
    const int64_t end = std::min(set.size(), begin + kSweepBatch);
    NL_RETURN_IF_ERROR(ex.forward_until(set.batch(begin, end), logits));
    const Tensor& y = ex.value(logits);
    const int64_t c = y.shape()[1];
    for (int64_t b = 0; b < end - begin; ++b) {
      const int label = set.labels[static_cast<size_t>(begin + b)];
      if (label < 0 || label >= classes) continue;
      const float* row = y.data() + b * c;
      const int pred = static_cast<int>(std::max_element(row, row + c) - row);
      ++r.per_class_count[static_cast<size_t>(label)];
      ++total;
      if (pred == label) {
        ++correct[static_cast<size_t>(label)];
        ++total_correct;
      }
    }
  }
  for (int c = 0; c < classes; ++c)
    if (r.per_class_count[static_cast<size_t>(c)])
      r.per_class[static_cast<size_t>(c)] = static_cast<double>(correct[static_cast<size_t>(c)]) / static_cast<double>(r.per_class_count[static_cast<size_t>(c)]);
  r.overall = total ? static_cast<double>(total_correct) / static_cast<double>(total) : 0.0;
  return r;
}

Result<int64_t> kept_parameters(Graph& g, int node, const std::vector<int>& keep) {
  auto producer = channel_producer(g, node);
  if (!producer.ok()) return producer.status();
  NL_RETURN_IF_ERROR(check_keep(g, producer.value(), keep));
  int64_t per_channel = 0;
  Op* op = g.node(producer.value()).op.get();
  if (auto* conv = dynamic_cast<Conv2D*>(op))
    per_channel = conv->weight.elements() / conv->settings().out_channels + (conv->settings().has_bias ? 1 : 0);
  else if (auto* dense = dynamic_cast<Dense*>(op))
    per_channel = dense->in_features() + (dense->has_bias() ? 1 : 0);
  std::vector<int> unique = keep;
  std::sort(unique.begin(), unique.end());
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
  return per_channel * static_cast<int64_t>(unique.size());
}

}  // namespace nl
