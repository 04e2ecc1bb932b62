// loadModel: builds the model from the two staged files (model.json and
// weights.safetensors, see docs/MODEL_FORMAT.md); importOnnx: converts a
// staged .onnx file with the engine's importer (src/model/onnx, the same code
// as `neuronlens import`), configured by a staged sidecar JSON. Both describe
// the model for the UI: name, labels, input size, preprocessing, and every
// layer with its shape. A model that fails to load or import leaves the
// current one in place.
#include <emscripten/bind.h>

#include "interpret/activation.h"
#include "model/onnx/onnx_import.h"
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

// What the browser takes on top of the importer's own limits (docs/ONNX.md):
// the module's heap ends at 2 GiB and holds the file, the model and, while
// a model is replaced, the previous one too.
constexpr uint64_t kMaxBrowserOnnxBytes = uint64_t{512} << 20;
// Values of all nodes' outputs for one image (the executor keeps each, and the
// backward pass as many gradients): 64 Mi floats = 256 MiB.
constexpr int64_t kMaxBrowserActivations = int64_t{1} << 26;

std::string mebibytes(double bytes) { return std::to_string(static_cast<int64_t>(bytes / (1 << 20) + 0.5)) + " MiB"; }

val preprocessing_object(const Preprocessing& p) {
  val out = val::object();
  out.set("colour", std::string(p.colour == Preprocessing::Colour::kRgb ? "rgb" : "grey"));
  out.set("invert", p.invert);
  out.set("scale", p.scale);
  out.set("mean", float_array(p.mean));
  out.set("std", float_array(p.std));
  return out;
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
  info.set("preprocessing", preprocessing_object(m.preprocessing));
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

// Replaces the session's model (and everything computed with the old one).
val install_model(Model&& candidate) {
  Session& s = session();
  s.reset_model();
  s.model = std::make_unique<Model>(std::move(candidate));
  s.executor = std::make_unique<Executor>(&s.model->graph, s.pool.get());
  s.logits = logits_node(s.model->graph);
  return describe_model(s);
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
    return install_model(std::move(candidate));
  });
}

// The browser's limits for an imported graph, before it replaces the current model.
Status check_browser_limits(const Model& model, const std::string& source) {
  int64_t values = 0;
  for (int id = 0; id < model.graph.size(); ++id) values += model.graph.node(id).shape.elements();
  if (values > kMaxBrowserActivations)
    return Status::Error(source + ": its layers hold " + std::to_string(values) + " values (" + mebibytes(4.0 * values) +
                         ") for one image; the browser app takes models up to " + mebibytes(4.0 * kMaxBrowserActivations) +
                         " of activations (a smaller input size helps; the CLI has no such limit)");
  return Status::Ok();
}

// importOnnx(source): imports the staged .onnx file (slot kOnnxModel) with the
// staged sidecar JSON (slot kImportConfig; empty: no config, the importer's
// defaults). `source` is the file's name, for errors and the default model
// name. Answers the model's description plus an "import" report.
val import_onnx_api(std::string source) {
  return guarded("import", [&] {
    std::span<const uint8_t> bytes = staged_bytes(StagingSlot::kOnnxModel);
    std::span<const uint8_t> config_json = staged_bytes(StagingSlot::kImportConfig);
    const auto release = [] {
      release_staged(StagingSlot::kOnnxModel);
      release_staged(StagingSlot::kImportConfig);
    };
    if (bytes.empty()) {
      release();
      return error_result(source + ": the file is empty");
    }
    if (bytes.size() > kMaxBrowserOnnxBytes) {
      release();
      return error_result(source + ": the file is " + mebibytes(static_cast<double>(bytes.size())) +
                          "; the browser app imports models up to " + mebibytes(kMaxBrowserOnnxBytes) +
                          " (the CLI takes up to 2 GiB)");
    }
    ImportConfig config;
    if (!config_json.empty()) {
      auto parsed = parse_import_config(config_json, "the model's settings");
      if (!parsed.ok()) {
        release();
        return error_result(parsed.status().message());
      }
      config = std::move(parsed.value());
    }
    auto imported = import_onnx(bytes, config, source);
    release();
    if (!imported.ok()) return error_result(imported.status().message());
    Model& candidate = imported.value().model;
    if (Status limits = check_browser_limits(candidate, source); !limits.ok()) return error_result(limits.message());
    const OnnxImportReport& r = imported.value().report;
    val report = val::object();
    report.set("producer", r.producer);
    report.set("opset", static_cast<double>(r.opset));
    report.set("onnxNodes", r.onnx_nodes);
    report.set("engineNodes", r.engine_nodes);
    report.set("foldedBatchNorms", r.folded_batchnorms);
    report.set("foldedAffines", r.folded_affines);
    report.set("foldedPads", r.folded_pads);
    report.set("parameters", static_cast<double>(r.parameters));
    val info = install_model(std::move(candidate));
    info.set("import", report);
    return info;
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
  emscripten::function("importOnnx", &import_onnx_api);
}

}  // namespace nl::web
