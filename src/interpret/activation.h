// Activation of neurons (METHOD.md, "Neuron-side quantities").
// A neuron is a channel k of a node: its map A_k is [H, W] of a [N,H,W,C] node,
// or a single value of a [N,F] node (a dense unit). Its scalar response is
// a_k(x) = sum over (h, w) of A_k(x) (or the mean, or of |A_k|).
// Pre- or post-activation is chosen by the node: a conv node is pre-ReLU, the
// ReLU node after it post-ReLU (see post_activation_node).
#pragma once
#include <vector>

#include "interpret/image_set.h"
#include "nn/executor.h"

namespace nl {

enum class Reduction { kSum, kMean, kAbsSum };

// Per image and channel: out [N, K] from a node value [N,H,W,K] or [N,K].
void reduce_channels(const Tensor& value, Reduction reduction, Tensor* out);

// The node holding `node` after its activation function: its only consumer when
// that consumer is ReLU, Clip, LeakyReLU, Sigmoid, Tanh, HardSigmoid or HardSwish; else `node`.
int post_activation_node(const Graph& graph, int node);

// The node holding the class logits: the graph output, or the input of a final Softmax.
int logits_node(const Graph& graph);

// Responses a_k(x) of every channel of `node` for every image: [N, K].
Result<Tensor> neuron_responses(Executor& ex, const ImageSet& set, int node, Reduction reduction);

// Act_{k,c}: the mean response over the images of each category: [K, classes].
Result<Tensor> category_activation(Executor& ex, const ImageSet& set, int node, int classes, Reduction reduction);

}  // namespace nl
