// Class-conditional ablation (METHOD.md, "Quantitative analyses"): keep or
// remove a set of neurons (channels) of one layer, with no retraining, and
// measure per-class and overall accuracy. A removed channel outputs zero: the
// weights and bias of that output channel of the Conv2D or Dense computing the
// node are zeroed while the evaluation runs, then restored exactly.
#pragma once
#include <vector>

#include "interpret/image_set.h"
#include "nn/executor.h"

namespace nl {

struct AccuracyReport {
  double overall = 0;
  std::vector<double> per_class;  // NaN-free: classes without images report 0
  std::vector<int64_t> per_class_count;
};

// Accuracy of the graph on the set, with the channels of `node` outside `keep` zeroed.
// keep empty with keep_all=true evaluates the unmodified network.
Result<AccuracyReport> evaluate_with_kept_channels(Executor& ex, const ImageSet& set, int classes, int node,
                                                   const std::vector<int>& keep, bool keep_all = false);

// Parameters of the producing op that stay non-zero when only `keep` is kept.
Result<int64_t> kept_parameters(Graph& graph, int node, const std::vector<int>& keep);

// Which op computes the channels of `node`: the node itself when it is Conv2D or
// Dense, else walks back through single-input elementwise ops (ReLU, Clip, ...).
Result<int> channel_producer(const Graph& graph, int node);

// The logits of the unmodified network and with all channels kept must agree
// exactly; this helper returns the logits for a set with the given channels kept.
Result<Tensor> logits_with_kept_channels(Executor& ex, const Tensor& images, int node, const std::vector<int>& keep);

}  // namespace nl
