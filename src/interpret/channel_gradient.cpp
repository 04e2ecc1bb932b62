// Gradient of a channel's mean with respect to the input: see channel_gradient.h.
#include "interpret/channel_gradient.h"

namespace nl {

Result<Tensor> channel_mean_input_gradient(Executor& executor, const Tensor& input, int node, int64_t channel) {
  Graph& g = executor.graph();
  if (node <= 0 || node >= g.size())
    return Status::Error("grad: node " + std::to_string(node) + " is not a layer of the model");
  NL_RETURN_IF_ERROR(executor.forward_until(input, node));
  const Tensor& value = executor.value(node);
  const Shape& s = value.shape();
  const int64_t channels = s[s.rank() - 1];
  if (channel < 0 || channel >= channels)
    return Status::Error("grad: layer '" + g.node(node).name + "' has " + std::to_string(channels) +
                         " channels (shape " + s.str() + "); channel " + std::to_string(channel) + " does not exist");
  const int64_t count = value.elements() / channels;
  Tensor seed(s);
  const float share = static_cast<float>(1.0 / static_cast<double>(count));
  for (int64_t i = channel; i < seed.elements(); i += channels) seed[i] = share;
  BackwardRequest request;
  request.from = node;
  request.seed = &seed;
  request.stop_at = 0;
  request.keep_intermediate_grads = false;
  NL_RETURN_IF_ERROR(executor.backward(request));
  if (!executor.has_grad(0)) return Tensor(input.shape());  // the channel does not depend on the input
  return executor.grad(0);
}

}  // namespace nl
