// Reading and writing model.json + weights.safetensors. Sections:
//   1. model.json -> Model (header fields, input, preprocessing, nodes, output)
//   2. weights.safetensors -> the graph's parameters
//   3. Model -> the two files
#include "model/model_file.h"

#include <cmath>
#include <filesystem>
#include <unordered_map>

#include "model/json_fields.h"
#include "model/op_codecs.h"
#include "model/safetensors.h"
#include "model/strict_json.h"
#include "tensor/file_bytes.h"
#include "tensor/limits.h"

namespace nl {

namespace {

using json = nlohmann::ordered_json;
using ordered_json = nlohmann::ordered_json;

constexpr int kMaxJsonDepth = limits::kMaxJsonDepth;
constexpr size_t kMaxLabels = 100000;
constexpr size_t kMaxNodeInputs = 64;
constexpr size_t kMaxNameBytes = limits::kMaxNodeNameBytes;

const char* colour_name(Preprocessing::Colour c) { return c == Preprocessing::Colour::kGrey ? "grey" : "rgb"; }

// ---- 1. model.json -> Model ---------------------------------------------------------

Status check_name(const std::string& name, const std::string& where) {
  if (name.empty() || name.size() > kMaxNameBytes)
    return Status::Error(where + ": a name must have 1 to " + std::to_string(kMaxNameBytes) + " bytes");
  return Status::Ok();
}

Status read_preprocessing(const json* object, const std::string& source, int64_t channels, Preprocessing* out) {
  if (!object) return Status::Error(source + ": 'preprocessing' is missing");
  JsonFields f(*object, source + ": preprocessing");
  const std::string colour = f.string("colour");
  if (colour == "grey") out->colour = Preprocessing::Colour::kGrey;
  else if (colour == "rgb") out->colour = Preprocessing::Colour::kRgb;
  else if (f.ok()) f.fail("'colour' is " + quote_name(colour) + "; it must be \"grey\" or \"rgb\"");
  out->invert = f.boolean("invert", false);
  out->scale = static_cast<float>(f.number("scale", 1e-12, 1e12, 1.0 / 255.0));
  const auto mean = f.numbers("mean", 4, -1e12, 1e12, std::vector<double>{0.0});
  const auto std = f.numbers("std", 4, 1e-12, 1e12, std::vector<double>{1.0});
  NL_RETURN_IF_ERROR(f.finish());
  const int64_t colour_channels = out->colour == Preprocessing::Colour::kGrey ? 1 : 3;
  if (channels != colour_channels)
    return Status::Error(source + ": preprocessing 'colour' is \"" + colour + "\" (" + std::to_string(colour_channels) +
                         " channel" + (colour_channels > 1 ? "s" : "") + ") but the input has " +
                         std::to_string(channels));
  for (const auto* values : {&mean, &std})
    if (values->size() != 1 && static_cast<int64_t>(values->size()) != channels)
      return Status::Error(source + ": preprocessing '" + (values == &mean ? "mean" : "std") + "' has " +
                           std::to_string(values->size()) + " values; give 1 or one per channel (" +
                           std::to_string(channels) + ")");
  out->mean.assign(mean.begin(), mean.end());
  out->std.assign(std.begin(), std.end());
  return Status::Ok();
}

Status read_input(const json* object, const std::string& source, Graph* graph) {
  if (!object) return Status::Error(source + ": 'input' is missing");
  JsonFields f(*object, source + ": input");
  const std::string name = f.string("name", "image");
  const std::string layout = f.string("layout", "NHWC");
  const json* shape = f.member("shape");
  NL_RETURN_IF_ERROR(f.finish());
  NL_RETURN_IF_ERROR(check_name(name, source + ": input"));
  if (layout != "NHWC")
    return Status::Error(source + ": input layout " + quote_name(layout) + " is not supported; only \"NHWC\"");
  bool valid = shape && shape->is_array() && shape->size() == 4;
  int64_t dims[4] = {0, 0, 0, 0};
  for (size_t i = 0; valid && i < 4; ++i) {
    valid = (*shape)[i].is_number_integer();
    if (valid) dims[i] = (*shape)[i].is_number_unsigned() && (*shape)[i].get<uint64_t>() > uint64_t(INT64_MAX)
                             ? INT64_MAX : (*shape)[i].get<int64_t>();
  }
  if (!valid) return Status::Error(source + ": input 'shape' must be 4 integers [1, height, width, channels]");
  if (dims[0] != 1 || dims[1] < 1 || dims[1] > kModelMaxInputSide || dims[2] < 1 || dims[2] > kModelMaxInputSide ||
      (dims[3] != 1 && dims[3] != 3))
    return Status::Error(source + ": input shape [" + std::to_string(dims[0]) + ", " + std::to_string(dims[1]) + ", " +
                         std::to_string(dims[2]) + ", " + std::to_string(dims[3]) +
                         "] must be [1, height, width, channels] with height and width in [1, " +
                         std::to_string(kModelMaxInputSide) + "] and 1 or 3 channels");
  return graph->set_input(name, Shape{dims[0], dims[1], dims[2], dims[3]});
}

// Adds the nodes, keeping the parameters they allocate within what the weights
// file can back (so a small hostile model.json cannot claim gigabytes).
Status read_nodes(const json* nodes, const std::string& source, uint64_t weight_floats, Graph* graph) {
  if (!nodes || !nodes->is_array() || nodes->empty() || nodes->size() > static_cast<size_t>(kModelMaxNodes))
    return Status::Error(source + ": 'nodes' must be an array of 1 to " + std::to_string(kModelMaxNodes) + " nodes");
  std::unordered_map<std::string, int> ids{{graph->node(0).name, 0}};
  uint64_t param_floats = 0;
  for (size_t i = 0; i < nodes->size(); ++i) {
    JsonFields f((*nodes)[i], source + ": nodes[" + std::to_string(i) + "]");
    const std::string name = f.string("name");
    const std::string type = f.string("op");
    const auto input_names = f.strings("inputs", kMaxNodeInputs);
    const json* settings = f.member("settings");
    NL_RETURN_IF_ERROR(f.finish());
    const std::string where = source + ": node " + quote_name(name) + " (" + type + ")";
    NL_RETURN_IF_ERROR(check_name(name, where));
    if (ids.count(name)) return Status::Error(source + ": two nodes are named " + quote_name(name));
    const OpCodec* codec = find_op_codec(type);
    if (!codec)
      return Status::Error(source + ": node " + quote_name(name) + " has unknown op " + quote_name(type) +
                           " (known: " + known_op_types() + ")");
    std::vector<int> inputs;
    std::vector<Shape> input_shapes;
    for (const std::string& input : input_names) {
      auto it = ids.find(input);
      if (it == ids.end())
        return Status::Error(where + ": input " + quote_name(input) +
                             " is not the model input or an earlier node (nodes are listed inputs first)");
      inputs.push_back(it->second);
      input_shapes.push_back(graph->node(it->second).shape);
    }
    static const json kNoSettings = json::object();
    JsonFields settings_fields(settings ? *settings : kNoSettings, where + " settings");
    auto op = codec->create(settings_fields, OpCreateContext{input_shapes, weight_floats - param_floats});
    if (!op.ok()) {
      const std::string& m = op.status().message();
      // Settings errors already name the node; errors from create() do not.
      return Status::Error(m.rfind(source, 0) == 0 ? m : where + ": " + m);
    }
    // A backstop for codecs that cannot count ahead.
    for (const Param& p : op.value()->params()) param_floats += static_cast<uint64_t>(p.value->elements());
    if (param_floats > weight_floats)
      return Status::Error(where + " brings the parameter count to " + std::to_string(param_floats) +
                           ", more than the " + std::to_string(weight_floats) + " floats the weights file holds");
    auto id = graph->add(name, std::move(op.value()), std::move(inputs));
    if (!id.ok()) return Status::Error(source + ": " + id.status().message());
    ids[name] = id.value();
  }
  return Status::Ok();
}

// ---- 2. weights.safetensors -> parameters ------------------------------------------

Status assign_weights(SafetensorsContents& weights, const std::string& source, Graph* graph) {
  std::unordered_map<std::string, NamedTensor*> by_name;
  for (NamedTensor& t : weights.tensors) by_name[t.name] = &t;
  size_t used = 0;
  std::unordered_map<std::string, int> seen;
  for (const Param& p : graph->params()) {
    if (p.value->elements() == 0) continue;  // an absent optional tensor (e.g. no bias)
    if (seen[p.name]++) return Status::Error(source + ": two parameters of the graph are both named " + quote_name(p.name));
    auto it = by_name.find(p.name);
    if (it == by_name.end())
      return Status::Error(source + ": no tensor " + quote_name(p.name) + " (the graph expects one of shape " +
                           p.value->shape().str() + ")");
    Tensor& found = it->second->tensor;
    if (found.shape() != p.value->shape())
      return Status::Error(source + ": tensor " + quote_name(p.name) + " has shape " + found.shape().str() +
                           " but the graph expects " + p.value->shape().str());
    for (int64_t i = 0; i < found.elements(); ++i)
      if (!std::isfinite(found[i]))
        return Status::Error(source + ": tensor " + quote_name(p.name) + " holds a non-finite value (" +
                             std::to_string(found[i]) + ") at index " + std::to_string(i));
    *p.value = std::move(found);
    ++used;
  }
  if (used != weights.tensors.size())
    for (NamedTensor& t : weights.tensors)
      if (!seen.count(t.name))
        return Status::Error(source + ": tensor " + quote_name(t.name) + " is not a parameter of any node of the graph");
  for (int id = 1; id < graph->size(); ++id) {
    const Node& node = graph->node(id);
    const OpCodec* codec = find_op_codec(node.op->type());
    if (!codec || !codec->check_weights) continue;
    Status s = codec->check_weights(*node.op);
    if (!s.ok())
      return Status::Error(source + ": node " + quote_name(node.name) + " (" + node.op->type() + "): " + s.message());
  }
  return Status::Ok();
}

Result<Model> build_model(const json& doc, const std::string& source, std::span<const uint8_t> weight_bytes,
                          const std::string& weights_source) {
  Model model;
  JsonFields f(doc, source);
  const std::string format = f.string("format");
  const int64_t version = f.integer("version", 1, INT64_MAX);
  if (!f.ok()) return f.finish();  // format and version first: other errors mean little in a foreign file
  if (format != kModelFormatName)
    return Status::Error(source + ": 'format' is " + quote_name(format) + ", expected \"" + kModelFormatName + "\"");
  if (version != kModelFormatVersion)
    return Status::Error(source + ": format version " + std::to_string(version) + " is not supported (this build reads " +
                         std::to_string(kModelFormatVersion) + ")");
  model.name = f.string("name");
  model.description = f.string("description", "");
  model.labels = f.strings("labels", kMaxLabels);
  f.string("weights", kModelWeightsFile);  // the file name; load_model reads it
  const std::string output = f.string("output", "");
  const json* metadata = f.member("metadata");
  const json* input = f.member("input");
  const json* preprocessing = f.member("preprocessing");
  const json* nodes = f.member("nodes");
  NL_RETURN_IF_ERROR(f.finish());
  if (metadata) {
    if (!metadata->is_object()) return Status::Error(source + ": 'metadata' must be a JSON object");
    model.metadata_json = dump_json(*metadata, -1);
  }
  NL_RETURN_IF_ERROR(read_input(input, source, &model.graph));
  NL_RETURN_IF_ERROR(read_preprocessing(preprocessing, source, model.graph.node(0).shape.c(), &model.preprocessing));

  auto weights = parse_safetensors(weight_bytes, weights_source);
  if (!weights.ok()) return weights.status();
  uint64_t weight_floats = 0;
  for (const NamedTensor& t : weights.value().tensors) weight_floats += static_cast<uint64_t>(t.tensor.elements());
  NL_RETURN_IF_ERROR(read_nodes(nodes, source, weight_floats, &model.graph));

  if (!output.empty()) {
    const int id = model.graph.find(output);
    if (id <= 0) return Status::Error(source + ": 'output' names " + quote_name(output) + ", which is not a node");
    model.graph.set_output(id);
  }
  const Node& out = model.graph.node(model.graph.output());
  const int64_t classes = out.shape[out.shape.rank() - 1];
  if (static_cast<int64_t>(model.labels.size()) != classes)
    return Status::Error(source + ": " + std::to_string(model.labels.size()) + " labels, but the output node " +
                         quote_name(out.name) + " gives " + std::to_string(classes) + " values per image " +
                         out.shape.str());
  NL_RETURN_IF_ERROR(assign_weights(weights.value(), weights_source, &model.graph));
  return model;
}

// The weights file named by model.json: a plain name in the same folder.
Result<std::string> weights_file_name(const json& doc, const std::string& source) {
  if (!doc.is_object() || !doc.contains("weights")) return std::string(kModelWeightsFile);
  const json& w = doc["weights"];
  if (!w.is_string()) return Status::Error(source + ": 'weights' must be a string");
  const std::string name = w.get<std::string>();
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\\') != std::string::npos)
    return Status::Error(source + ": 'weights' must be a file name in the model's folder, not " + quote_name(name));
  return name;
}

// ---- 3. Model -> files ----------------------------------------------------------------

ordered_json readable_floats(const std::vector<float>& values) {
  ordered_json out = ordered_json::array();
  for (float v : values) out.push_back(readable_float(v));
  return out;
}

Result<ordered_json> node_json(const Graph& graph, int id) {
  const Node& node = graph.node(id);
  const OpCodec* codec = find_op_codec(node.op->type());
  ordered_json settings = codec ? codec->save(*node.op) : ordered_json();
  if (!codec || settings.is_null())
    return Status::Error("cannot save node " + quote_name(node.name) + ": op type " + quote_name(node.op->type()) +
                         " has no model.json form");
  ordered_json inputs = ordered_json::array();
  for (int input : node.inputs) inputs.push_back(graph.node(input).name);
  ordered_json out = {{"name", node.name}, {"op", node.op->type()}, {"inputs", inputs}};
  if (!settings.empty()) out["settings"] = settings;
  return out;
}

}  // namespace

Result<Model> parse_model(std::span<const uint8_t> model_json, const std::string& model_source,
                          std::span<const uint8_t> weights, const std::string& weights_source) {
  if (model_json.size() > kModelJsonMaxBytes)
    return Status::Error(model_source + ": " + describe_byte_count(model_json.size()) + " is larger than the limit of " +
                         describe_byte_count(kModelJsonMaxBytes));
  auto doc = parse_json_strictly(model_json, model_source, kMaxJsonDepth);
  if (!doc.ok()) return doc.status();
  return build_model(doc.value(), model_source, weights, weights_source);
}

Result<Model> load_model(const std::string& dir) {
  const std::string model_path = dir + "/" + kModelJsonFile;
  auto model_bytes = read_file_bytes(model_path, kModelJsonMaxBytes);
  if (!model_bytes.ok()) return model_bytes.status();
  auto doc = parse_json_strictly(model_bytes.value(), model_path, kMaxJsonDepth);
  if (!doc.ok()) return doc.status();
  auto weights_name = weights_file_name(doc.value(), model_path);
  if (!weights_name.ok()) return weights_name.status();
  const std::string weights_path = dir + "/" + weights_name.value();
  auto weight_bytes = read_file_bytes(weights_path, kSafetensorsMaxFileBytes);
  if (!weight_bytes.ok()) return weight_bytes.status();
  return build_model(doc.value(), model_path, weight_bytes.value(), weights_path);
}

Result<ModelFiles> serialize_model(Model& model) {
  Graph& graph = model.graph;
  if (graph.size() < 2) return Status::Error("cannot save a model whose graph has no nodes");
  const Shape& in = graph.node(0).shape;
  if (in.rank() != 4) return Status::Error("cannot save a model whose input " + in.str() + " is not NHWC");
  ordered_json nodes = ordered_json::array();
  for (int id = 1; id < graph.size(); ++id) {
    auto node = node_json(graph, id);
    if (!node.ok()) return node.status();
    nodes.push_back(std::move(node.value()));
  }
  ordered_json metadata = ordered_json::parse(model.metadata_json, nullptr, /*allow_exceptions=*/false);
  if (metadata.is_discarded() || !metadata.is_object())
    return Status::Error("cannot save: the model's metadata is not a JSON object");
  const Preprocessing& pre = model.preprocessing;
  ordered_json doc = {
      {"format", kModelFormatName},
      {"version", kModelFormatVersion},
      {"name", model.name},
      {"description", model.description},
      {"input", {{"name", graph.node(0).name}, {"layout", "NHWC"}, {"shape", {1, in.h(), in.w(), in.c()}}}},
      {"preprocessing",
       {{"colour", colour_name(pre.colour)}, {"invert", pre.invert}, {"scale", readable_float(pre.scale)},
        {"mean", readable_floats(pre.mean)}, {"std", readable_floats(pre.std)}}},
      {"labels", model.labels},
      {"output", graph.node(graph.output()).name},
      {"weights", kModelWeightsFile},
      {"nodes", nodes},
  };
  if (!metadata.empty()) doc["metadata"] = metadata;

  std::vector<TensorToWrite> tensors;
  for (const Param& p : graph.params())
    if (p.value->elements() > 0) tensors.push_back({p.name, p.value});
  auto weights = serialize_safetensors(tensors);
  if (!weights.ok()) return Status::Error(std::string(kModelWeightsFile) + ": " + weights.status().message());

  ModelFiles files{dump_json(doc, 2) + "\n", std::move(weights.value())};
  // A saved model must load: check with the reader itself.
  auto reloaded = parse_model(std::span(reinterpret_cast<const uint8_t*>(files.model_json.data()), files.model_json.size()),
                              kModelJsonFile, files.weights, kModelWeightsFile);
  if (!reloaded.ok()) return Status::Error("cannot save: the files would not load: " + reloaded.status().message());
  return files;
}

Status save_model(Model& model, const std::string& dir) {
  auto files = serialize_model(model);
  if (!files.ok()) return Status::Error(dir + ": " + files.status().message());
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::Error(dir + ": cannot create the folder (" + ec.message() + ")");
  const auto& text = files.value().model_json;
  // Weights first: a folder with a new model.json but old weights would be inconsistent.
  NL_RETURN_IF_ERROR(write_file_bytes(dir + "/" + kModelWeightsFile, files.value().weights));
  return write_file_bytes(dir + "/" + kModelJsonFile,
                          std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

}  // namespace nl
