// Losses: free functions from a network's output to a scalar and its gradient.
//
// softmax_cross_entropy: the classification loss, from logits (no Softmax op
// before it: the log-sum-exp form here is exact where log(softmax) underflows).
//   logits z:      [N, C]
//   labels:        N class indices in [0, C)
//   loss         = (1/N) sum_n ( log sum_k e^(z_nk) - z_n,label_n )
//   d loss/d z_nk = (softmax(z_n)_k - [k == label_n]) / N
#pragma once
#include <span>

#include "tensor/status.h"
#include "tensor/tensor.h"

namespace nl {

// Returns the mean loss over the batch, or an error naming the bad shape or
// label. When logits_grad is not null it is resized to [N, C] and overwritten
// (not accumulated) with d loss / d logits.
Result<float> softmax_cross_entropy(const Tensor& logits, std::span<const int> labels, Tensor* logits_grad);

}  // namespace nl
