// Builds the training graph a recipe's architecture list describes, with
// freshly initialised weights, and names its nodes for people reading the
// neuron views:
//   conv layers   conv1, conv1_bn, conv1_relu, conv2, ...
//   dense layers  fc1, fc1_bn, fc1_relu, ...   (the last dense layer: "logits")
//   others        pool1, pool2, ..., dropout1, ..., flatten, global_avgpool
// Initialisation (seeded, see random.h):
//   conv and hidden dense weights: He normal, std = sqrt(2 / fan_in) (ReLU nets);
//   the last dense layer: uniform in ±1/sqrt(fan_in) (PyTorch's default);
//   biases 0; BatchNorm gamma 1, beta 0. A conv or dense layer followed by
//   BatchNorm has no bias (the BatchNorm shift replaces it).
#pragma once
#include <cstdint>

#include "nn/graph.h"
#include "train/recipe.h"

namespace nl {

// input: [1, H, W, C] (any batch size runs); classes: the last layer's width,
// which must equal the last dense layer's units.
Status build_architecture(const Recipe& recipe, const Shape& input, int64_t classes, uint64_t seed, Graph* graph);

}  // namespace nl
