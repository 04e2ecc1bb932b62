// ElementwiseOp: the common base of ops that map one tensor to another of the
// same shape, element by element (activations, Scale, Dropout). It checks the
// input count; every shape is accepted.
#pragma once
#include <string>

#include "nn/op.h"

namespace nl {

class ElementwiseOp : public Op {
 public:
  Status output_shape(std::span<const Shape> inputs, Shape* output) const override {
    if (inputs.size() != 1)
      return Status::Error(type() + " takes 1 input, got " + std::to_string(inputs.size()));
    *output = inputs[0];
    return Status::Ok();
  }
};

}  // namespace nl
