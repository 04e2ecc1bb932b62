// focusMap(options): where the network looks for the current input, for one
// class (default: the predicted one): Grad-CAM at the last convolutional
// layer (or a chosen one), gradient saliency, or occlusion. The map has the
// input's size and raw values; the UI normalises it for the overlay.
#include <emscripten/bind.h>

#include <algorithm>

#include "interpret/activation.h"
#include "interpret/focus.h"
#include "web_api/option_reader.h"
#include "web_api/session.h"
#include "web_api/web_result.h"

namespace nl::web {
namespace {

// The last Conv2D node, after its activation function: Grad-CAM's usual layer.
int last_conv_node(const Graph& graph) {
  for (int id = graph.size() - 1; id > 0; --id)
    if (graph.node(id).op && graph.node(id).op->type() == "Conv2D") return post_activation_node(graph, id);
  return -1;
}

val focus_map(val options) {
  return guarded("focus", [&] {
    Session& s = session();
    NL_RETURN_IF_ERROR_VAL(s.require_input());
    OptionReader opts(options, "focus");
    const int method = opts.choice("method", 0, {"gradcam", "saliency", "occlusion"});
    const int target = opts.integer("class", -1, -1, s.classes() - 1);
    const int node = opts.integer("node", -1, -1, s.model->graph.size() - 1);
    // Occlusion runs one forward pass per patch position: on a large input (an
    // imported 224 x 224 model) the default patches tile a 7 x 7 grid, about 50
    // passes instead of 12,000 with the small inputs' 4-pixel patch and stride 2.
    const int64_t side = std::max(s.height(), s.width());
    const int default_patch = side <= 64 ? 4 : static_cast<int>((side + 6) / 7);
    const int default_stride = side <= 64 ? 2 : default_patch;
    OcclusionOptions occlusion_options;
    occlusion_options.patch = opts.integer("patch", default_patch, 1, 1024);
    occlusion_options.stride = opts.integer("stride", default_stride, 1, 1024);
    NL_RETURN_IF_ERROR_VAL(opts.status());
    s.executor_used();
    Result<FocusMap> map = Status::Error("focus: unknown method");
    if (method == 0) {
      const int layer = node > 0 ? node : last_conv_node(s.model->graph);
      if (layer <= 0) return error_result("focus: Grad-CAM needs a convolutional layer and this model has none");
      map = grad_cam(*s.executor, s.input, layer, target);
    } else if (method == 1) {
      map = saliency(*s.executor, s.input, target);
    } else {
      // Occlude with the value of a black pixel in input space.
      occlusion_options.fill = s.transform().to_input(0.0f, 0);
      map = occlusion(*s.executor, s.input, target, occlusion_options);
    }
    if (!map.ok()) return error_result(map.status().message());
    val result = ok_result();
    result.set("height", static_cast<double>(map.value().height));
    result.set("width", static_cast<double>(map.value().width));
    result.set("values", float_array(map.value().values));
    result.set("class", map.value().target_class);
    return result;
  });
}

}  // namespace

EMSCRIPTEN_BINDINGS(neuronlens_focus) { emscripten::function("focusMap", &focus_map); }

}  // namespace nl::web
