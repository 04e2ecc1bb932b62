// Domination (METHOD.md): which category a neuron serves, and which neurons
// carry a prediction.
#pragma once
#include <vector>

#include "tensor/tensor.h"

namespace nl {

struct NeuronDomination {
  int category = -1;    // argmax_c score_{k,c}
  float margin = 0.0f;  // (first - second) / sum_c |score_{k,c}|
};

// One entry per row of scores [K, classes] (gamma or Act).
std::vector<NeuronDomination> dominant_categories(const Tensor& scores);

// The dominating set of one prediction: the fewest neurons whose positive
// contributions, taken largest first, reach tau of the total positive
// contribution. Returns neuron indices, largest first (empty if none is positive).
std::vector<int> dominating_set(const float* contributions, int64_t k, double tau);

}  // namespace nl
