// Contribution of neurons to predictions (METHOD.md).
//   C_k(x) = sum_{h,w} A_k(x)[h,w] * dy_c(x)/dA_k(x)[h,w]   gradient x activation, signed,
// with y_c the class LOGIT (pre-softmax) and c the predicted class unless given.
// Its share: C_k / sum_j max(C_j, 0). Per category: gamma_{k,c} = mean over D_c
// of C_k with c fixed to the category. Alternative scores: CAPTOR-style
// |sum_{h,w} dy_c/dA_k|, and the weight gradient sum |dy_c/dW_k| of the op
// that produces the node (Conv2D or Dense).
#pragma once
#include <vector>

#include "interpret/image_set.h"
#include "nn/executor.h"

namespace nl {

enum class ContributionScore { kGradientTimesActivation, kFeatureMapGradient, kWeightGradient };

struct ContributionOptions {
  ContributionScore score = ContributionScore::kGradientTimesActivation;
  int logits = -1;  // node of the class logits (-1: logits_node(graph))
};

// Scores of every channel of `node` for each image of `images` [N,H,W,C]
// towards class classes[n] (-1: the predicted class). Returns [N, K]; the
// class used per image is written to used_classes when non-null.
Result<Tensor> contributions(Executor& ex, const Tensor& images, int node, const std::vector<int>& classes,
                             const ContributionOptions& options, std::vector<int>* used_classes = nullptr);

// C_k / sum_j max(C_j, 0) for one row of contributions.
std::vector<float> contribution_shares(const float* scores, int64_t k);

// gamma_{k,c}: the mean score over the images of category c towards class c: [K, classes].
Result<Tensor> category_contributions(Executor& ex, const ImageSet& set, int node, int classes,
                                      const ContributionOptions& options);

// The exact linear decomposition of a logit when the path from `node` to the
// logits is GlobalAvgPool (optionally Flatten) then Dense: y_c = sum_k w_ck mean(A_k) + b_c.
// Gives the terms [N, K] for classes[n]; an error when the path is not of that form.
Result<Tensor> linear_decomposition(Executor& ex, int node, const std::vector<int>& classes);

}  // namespace nl
