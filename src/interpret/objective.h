// Objective: the scalar J a visualization maximises, or whose gradient an
// attribution follows: a channel of a layer (sum or mean of its map), one
// spatial neuron, a class logit, or a weighted combination of these on one node.
#pragma once
#include <vector>

#include "tensor/status.h"
#include "tensor/tensor.h"

namespace nl {

struct ObjectiveTerm {
  enum class Kind { kChannelSum, kChannelMean, kSpatial, kUnit };
  Kind kind = Kind::kChannelMean;
  int channel = 0;   // channel of a 4-D node, or the unit of a 2-D node (a dense unit or class logit)
  int y = 0, x = 0;  // position, for kSpatial
  float weight = 1.0f;
};

struct Objective {
  int node = -1;                    // graph node whose value the objective reads
  std::vector<ObjectiveTerm> terms; // J = sum of weight * term
};

// Convenience constructors.
Objective channel_objective(int node, int channel, bool mean = true);
Objective unit_objective(int node, int unit);  // a dense unit or class logit ([N, F] nodes)

// Checks the objective against the node's shape ([N,H,W,C] or [N,F]).
Status validate_objective(const Objective& objective, const Shape& value_shape);

// J for each batch item (J summed over terms), and its gradient d(sum_n J_n)/d value
// written into `seed` (resized to the value's shape). Images in a batch are independent.
void evaluate_objective(const Objective& objective, const Tensor& value, std::vector<double>* per_item, Tensor* seed);

}  // namespace nl
