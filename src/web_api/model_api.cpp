// loadModel: builds the model from the two staged files (model.json and
// weights.safetensors, see docs/MODEL_FORMAT.md) and describes it for the UI:
// name, labels, input size, preprocessing, and every layer with its shape.
#include <emscripten/bind.h>

#include "interpret/activation.h"
#include "web_api/byte_staging.h"
#include "web_api/session.h"
#include "web_api/web_result.h"

namespace nl::web {
namespace {

val shape_array(const Shape& shape) {
  val dims = val::array();
  for (int i = 0; i < shape.rank(); ++i) dims.call<void>("push", static_cast<double>(shape[i]));
  return dims;
}

val describe_model(Session& s) {
  Model& m = *s.model;
  val info = ok_result();
  info.set("name", m.name);
  info.set("description", m.description);
  info.set("labels", string_array(m.labels));
  info.set("height", static_cast<double>(s.height()));
  info.set("width", static_cast<double>(s.width()));
  info.set("channels", s.channels());
  info.set("invert", m.preprocessing.invert);
  info.set("metadata", m.metadata_json);
  info.set("logits", s.logits);
  val layers = val::array();
  int64_t total_params = 0;
  for (int id = 0; id < m.graph.size(); ++id) {
    Node& node = m.graph.node(id);
    val layer = val::object();
    layer.set("id", id);
    layer.set("name", node.name);
    layer.set("op", node.op ? node.op->type() : std::string("Input"));
    layer.set("shape", shape_array(node.shape));
    int64_t params = 0;
    if (node.op)
      for (const Param& p : node.op->params()) params += p.value->elements();
    total_params += params;
    layer.set("params", static_cast<double>(params));
    val inputs = val::array();
    for (int input : node.inputs) inputs.call<void>("push", input);
    layer.set("inputs", inputs);
    layer.set("postActivation", id > 0 ? post_activation_node(m.graph, id) : 0);
    layers.call<void>("push", layer);
  }
  info.set("layers", layers);
  info.set("parameters", static_cast<double>(total_params));
  return info;
}

// loadModel(name): parses the staged files; on success the previous model and
// everything computed with it are dropped.
val load_model(std::string name) {
  return guarded("model", [&] {
    auto parsed = parse_model(staged_bytes(StagingSlot::kModelJson), name + "/model.json",
                              staged_bytes(StagingSlot::kModelWeights), name + "/weights.safetensors");
    release_staged(StagingSlot::kModelJson);
    release_staged(StagingSlot::kModelWeights);
    if (!parsed.ok()) return error_result(parsed.status().message());
    Model& candidate = parsed.value();
    const Shape& in = candidate.graph.node(0).shape;
    if (in.rank() != 4 || (in[3] != 1 && in[3] != 3))
      return error_result(name + ": the app needs an image input [1, H, W, 1 or 3], not " + in.str());
    Session& s = session();
    s.reset_model();
    s.model = std::make_unique<Model>(std::move(candidate));
    s.executor = std::make_unique<Executor>(&s.model->graph, s.pool.get());
    s.logits = logits_node(s.model->graph);
    return describe_model(s);
  });
}

val model_info() {
  return guarded("model", [&] {
    Session& s = session();
    if (!s.model) return error_result("no model is loaded");
    return describe_model(s);
  });
}

}  // namespace

EMSCRIPTEN_BINDINGS(neuronlens_model) {
  emscripten::function("loadModel", &load_model);
  emscripten::function("modelInfo", &model_info);
}

}  // namespace nl::web
