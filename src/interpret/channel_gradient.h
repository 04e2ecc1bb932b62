// The gradient of one channel's mean activation with respect to the input:
// what `neuronlens grad` computes, and the simplest attribution the method
// builds on. The mean runs over every value of channel k of the node, for all
// images of the batch (N*H*W values of an [N, H, W, C] node; N of an [N, F]
// node), as PyTorch's `y[:, k].mean()`.
#pragma once
#include <cstdint>

#include "nn/executor.h"

namespace nl {

// Runs `input` ([N, H, W, C]) forward and back; returns d(mean)/d(input), shaped as the input.
Result<Tensor> channel_mean_input_gradient(Executor& executor, const Tensor& input, int node, int64_t channel);

}  // namespace nl
