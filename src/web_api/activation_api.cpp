// activationMaps(node): every channel's map of one layer for the current
// input, for the layer's grid of activation maps. A [1, H, W, K] node gives
// its values [H, W, K]; a [1, F] node its F unit values (height = width = 1).
#include <emscripten/bind.h>

#include "interpret/activation.h"
#include "web_api/session.h"
#include "web_api/web_result.h"

namespace nl::web {
namespace {

val activation_maps(int node) {
  return guarded("activations", [&] {
    Session& s = session();
    NL_RETURN_IF_ERROR_VAL(s.check_node(node));
    NL_RETURN_IF_ERROR_VAL(s.forward_input());
    const Tensor& value = s.executor->value(node);
    const Shape& shape = value.shape();
    val result = ok_result();
    result.set("node", node);
    const bool maps = shape.rank() == 4;
    result.set("height", static_cast<double>(maps ? shape[1] : 1));
    result.set("width", static_cast<double>(maps ? shape[2] : 1));
    result.set("channels", static_cast<double>(shape[shape.rank() - 1]));
    result.set("values", float_array(value.data(), static_cast<size_t>(value.elements())));
    Tensor responses;
    reduce_channels(value, Reduction::kSum, &responses);
    result.set("responses", float_array(responses.data(), static_cast<size_t>(responses.elements())));
    return result;
  });
}

}  // namespace

EMSCRIPTEN_BINDINGS(neuronlens_activation) { emscripten::function("activationMaps", &activation_maps); }

}  // namespace nl::web
