// The ONNX importer's driver: parse, check the opset, find the input and the
// output, keep the nodes the output depends on, sort them topologically, lower
// each (onnx_ops.cpp), then assemble the Model. Sections:
//   1. the input   2. ordering the nodes   3. import_onnx   4. files and lookups
#include <cmath>
#include "model/onnx/onnx_import.h"

#include <deque>
#include <filesystem>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "model/onnx/onnx_lowering.h"
#include "model/onnx/onnx_proto.h"
#include "model/strict_json.h"
#include "tensor/file_bytes.h"
#include "tensor/limits.h"

namespace nl {

namespace {

using json = nlohmann::ordered_json;

constexpr int64_t kMinOpset = 7, kMaxOpset = 17;
constexpr int64_t kMaxInputSide = limits::kMaxModelInputSide;

// ---- 1. the input -----------------------------------------------------------------------------------

// The one graph input that is not an initializer, as engine [1, H, W, C]; the
// batch is fixed to 1 (the engine runs any batch), other dynamic dims come
// from the config.
Status resolve_input(const OnnxGraph& g, const std::unordered_set<std::string>& initializers, const ImportConfig& config,
                     const OnnxValueInfo** input, Shape* shape) {
  std::vector<const OnnxValueInfo*> real;
  for (const auto& v : g.inputs)
    if (!initializers.count(v.name)) real.push_back(&v);
  if (real.size() != 1) {
    std::string names;
    for (const auto* v : real) names += (names.empty() ? "'" : ", '") + v->name + "'";
    return Status::Error("ONNX: the model has " + std::to_string(real.size()) + " inputs" +
                         (names.empty() ? "" : " (" + names + ")") + "; NeuronLens imports models with one image input");
  }
  const OnnxValueInfo& in = *real[0];
  *input = &in;
  const std::string what = "ONNX: input '" + in.name + "'";
  if (in.name.empty()) return Status::Error("ONNX: the input has no name");
  if (!in.is_tensor) return Status::Error(what + " is not a tensor");
  if (in.elem_type != static_cast<int32_t>(OnnxType::kFloat))
    return Status::Error(what + " has element type " + onnx_type_name(in.elem_type) + "; NeuronLens needs FLOAT");
  if (!in.has_shape || in.dims.size() != 4)
    return Status::Error(what + " must be N x C x H x W (a batch of images), got " +
                         (in.has_shape ? std::to_string(in.dims.size()) + " dimensions" : std::string("no shape")));
  const char* names[4] = {"batch", "channels", "height", "width"};
  const std::optional<int64_t> given[4] = {std::nullopt, config.channels, config.height, config.width};
  int64_t dims[4];
  for (int i = 0; i < 4; ++i) {
    const OnnxDim& d = in.dims[static_cast<size_t>(i)];
    const bool dynamic = !d.has_value || d.value <= 0;
    if (i == 0) {
      dims[0] = 1;  // dynamic or not: the engine runs any batch
      continue;
    }
    if (dynamic) {
      if (!given[i])
        return Status::Error(what + " has a dynamic " + names[i] + (d.param.empty() ? "" : " ('" + d.param + "')") +
                             "; give the input size in the config (\"input\": {\"height\": H, \"width\": W, \"channels\": C})");
      dims[i] = *given[i];
    } else {
      if (given[i] && *given[i] != d.value)
        return Status::Error(what + " has " + names[i] + " " + std::to_string(d.value) + " but the config says " +
                             std::to_string(*given[i]));
      dims[i] = d.value;
    }
  }
  if (dims[1] != 1 && dims[1] != 3)
    return Status::Error(what + " has " + std::to_string(dims[1]) + " channels; NeuronLens imports grey (1) or RGB (3) image models");
  if (dims[2] > kMaxInputSide || dims[3] > kMaxInputSide)
    return Status::Error(what + " is " + std::to_string(dims[2]) + " x " + std::to_string(dims[3]) +
                         "; the largest input is " + std::to_string(kMaxInputSide) + " x " + std::to_string(kMaxInputSide));
  *shape = Shape{1, dims[2], dims[3], dims[1]};
  return Status::Ok();
}

// ---- 2. ordering the nodes ----------------------------------------------------------------------------

std::string node_label(const OnnxNode& n) {
  return "'" + (n.name.empty() ? (n.outputs.empty() ? "#" + std::to_string(n.index) : n.outputs[0]) : n.name) + "' (" +
         n.op_type + ")";
}

// The nodes `output` depends on, in an order where every node follows the
// nodes it reads (Kahn's algorithm, ties in file order); a cycle is an error.
Status order_nodes(const OnnxGraph& g, const std::string& output, const std::unordered_set<std::string>& sources,
                   std::vector<const OnnxNode*>* order) {
  std::unordered_map<std::string, const OnnxNode*> producer;
  for (const auto& n : g.nodes)
    for (const auto& out : n.outputs) {
      if (out.empty()) continue;
      if (sources.count(out))
        return Status::Error("ONNX: node " + node_label(n) + " writes '" + out + "', which is an input or initializer");
      if (!producer.emplace(out, &n).second)
        return Status::Error("ONNX: tensor '" + out + "' is written by more than one node (" +
                             node_label(*producer[out]) + " and " + node_label(n) + ")");
    }
  // Walk back from the output.
  std::vector<char> needed(g.nodes.size(), 0);
  std::deque<std::string> pending = {output};
  if (!producer.count(output) && !sources.count(output))
    return Status::Error("ONNX: the graph output '" + output + "' is written by no node");
  while (!pending.empty()) {
    const std::string name = std::move(pending.front());
    pending.pop_front();
    auto it = producer.find(name);
    if (it == producer.end()) continue;
    const OnnxNode& n = *it->second;
    if (needed[n.index]) continue;
    needed[n.index] = 1;
    for (const auto& in : n.inputs) {
      if (in.empty()) continue;
      if (!producer.count(in) && !sources.count(in))
        return Status::Error("ONNX: node " + node_label(n) + " reads '" + in +
                             "', which no node writes and which is neither an input nor an initializer");
      pending.push_back(in);
    }
  }
  // Kahn's algorithm over the needed nodes.
  std::vector<int> waiting(g.nodes.size(), 0);
  std::unordered_map<const OnnxNode*, std::vector<size_t>> dependents;
  for (const auto& n : g.nodes) {
    if (!needed[n.index]) continue;
    std::unordered_set<const OnnxNode*> seen;
    for (const auto& in : n.inputs) {
      auto it = producer.find(in);
      if (in.empty() || it == producer.end() || !seen.insert(it->second).second) continue;
      ++waiting[n.index];
      dependents[it->second].push_back(n.index);
    }
  }
  std::priority_queue<size_t, std::vector<size_t>, std::greater<>> ready;
  size_t count = 0;
  for (const auto& n : g.nodes)
    if (needed[n.index]) {
      ++count;
      if (waiting[n.index] == 0) ready.push(n.index);
    }
  while (!ready.empty()) {
    const OnnxNode& n = g.nodes[ready.top()];
    ready.pop();
    order->push_back(&n);
    for (size_t d : dependents[&n])
      if (--waiting[d] == 0) ready.push(d);
  }
  if (order->size() != count) {
    std::string stuck;
    int listed = 0;
    for (const auto& n : g.nodes)
      if (needed[n.index] && waiting[n.index] > 0 && listed < 5) stuck += (listed++ ? ", " : "") + node_label(n);
    return Status::Error("ONNX: the graph has a cycle: these nodes wait on each other: " + stuck);
  }
  return Status::Ok();
}

std::string file_stem(const std::string& source) {
  std::string stem = std::filesystem::path(source).stem().string();
  return stem.empty() ? "onnx-model" : stem.substr(0, 200);
}

}  // namespace

// ---- 3. import_onnx --------------------------------------------------------------------------------

Result<OnnxImport> import_onnx(std::span<const uint8_t> bytes, const ImportConfig& config, const std::string& source) {
  const auto with_source = [&](const Status& s) { return Status::Error(source + ": " + s.message()); };
  if (bytes.size() > kOnnxMaxFileBytes)
    return with_source(Status::Error("the file is larger than " + describe_byte_count(kOnnxMaxFileBytes)));
  auto parsed = parse_onnx_model(bytes);
  if (!parsed.ok()) return with_source(parsed.status());
  const OnnxModel& m = parsed.value();
  const OnnxGraph& g = m.graph;

  int64_t opset = 0;
  for (const auto& o : m.opset_imports)
    if (o.domain.empty() || o.domain == "ai.onnx") opset = o.version;
  if (opset == 0 && m.ir_version < 3) opset = 1;  // IR versions before 3 had no opset imports
  if (opset < kMinOpset || opset > kMaxOpset)
    return with_source(Status::Error("ONNX: the model uses opset " + std::to_string(opset) + "; NeuronLens imports opsets " +
                                     std::to_string(kMinOpset) + " to " + std::to_string(kMaxOpset) +
                                     " (re-export with e.g. opset_version=13)"));
  if (g.sparse_initializers > 0) return with_source(Status::Error("ONNX: sparse initializers are not supported"));
  if (g.outputs.empty()) return with_source(Status::Error("ONNX: the graph has no output"));
  if (config.preset == "imagenet" && config.labels.empty())
    return with_source(Status::Error("the \"imagenet\" preset has no class names in this build; give \"labels\""));

  std::unordered_set<std::string> sources;
  std::unordered_map<std::string, const OnnxTensor*> initializers;
  for (const auto& t : g.initializers) {
    if (t.name.empty()) return with_source(Status::Error("ONNX: an initializer has no name"));
    if (!initializers.emplace(t.name, &t).second)
      return with_source(Status::Error("ONNX: two initializers are named '" + t.name + "'"));
    sources.insert(t.name);
  }
  const OnnxValueInfo* input = nullptr;
  Shape input_shape;
  {
    std::unordered_set<std::string> init_names(sources);
    Status s = resolve_input(g, init_names, config, &input, &input_shape);
    if (!s.ok()) return with_source(s);
  }
  sources.insert(input->name);
  const std::string& output_name = g.outputs[0].name;

  std::vector<const OnnxNode*> order;
  if (Status s = order_nodes(g, output_name, sources, &order); !s.ok()) return with_source(s);

  OnnxImport result;
  Model& model = result.model;
  ImportContext context(&model.graph, opset);
  std::string input_name = input->name.size() <= 256 ? input->name : "image";
  if (Status s = model.graph.set_input(input_name, input_shape); !s.ok()) return with_source(s);
  context.set(input->name, context.value_of(0));
  for (const auto& [name, tensor] : initializers) {
    if (name == input->name) continue;
    Value v;
    v.is_constant = true;
    v.initializer = tensor;
    context.set(name, v);
  }
  for (const OnnxNode* n : order)
    for (const auto& in : n->inputs)
      if (!in.empty()) context.add_reader(in, n);
  context.set_graph_output(output_name);
  for (const OnnxNode* n : order)
    if (Status s = lower_onnx_node(context, *n); !s.ok()) return with_source(s);

  // The output: class scores [N, K] (or [N, K, 1, 1]).
  const Value* out = context.find(output_name);
  if (!out || out->is_constant || out->node <= 0)
    return with_source(Status::Error("ONNX: the output '" + output_name + "' is " +
                                     (out && out->is_constant ? "a constant" : "the input itself") +
                                     "; there is nothing to compute"));
  if (out->has_pad()) {
    OnnxNode end;
    end.op_type = "Output";
    end.name = output_name;
    auto padded = context.materialize_pad(end, output_name);
    if (!padded.ok()) return with_source(padded.status());
    out = padded.value();
  }
  const Shape& out_shape = model.graph.node(out->node).shape;
  if (out_shape.rank() != 2)
    return with_source(Status::Error("ONNX: the output '" + output_name + "' has shape " + dims_str(out->dims) +
                                     "; NeuronLens imports classifiers, whose output is [N, classes]"));
  if (out->has_hwc())
    return with_source(Status::Error("ONNX: the output '" + output_name +
                                     "' is a flattened feature map; NeuronLens imports classifiers, whose output is [N, classes]"));
  model.graph.set_output(out->node);
  const int64_t classes = out_shape[1];

  // Presentation: name, preprocessing, labels.
  model.name = !config.name.empty() ? config.name : !g.name.empty() && g.name.size() <= 200 ? g.name : file_stem(source);
  if (model.name == "main_graph" || model.name == "torch-jit-export" || model.name == "torch_jit") model.name = file_stem(source);
  model.description = !config.description.empty() ? config.description : "Imported from " + file_stem(source) + ".onnx";
  const int64_t channels = input_shape.c();
  if (config.preprocessing) {
    model.preprocessing = *config.preprocessing;
    const int64_t colour_channels = model.preprocessing.colour == Preprocessing::Colour::kGrey ? 1 : 3;
    if (colour_channels != channels)
      return with_source(Status::Error("the config's preprocessing is for " + std::to_string(colour_channels) +
                                       " channel(s) but the model's input has " + std::to_string(channels)));
    for (const auto* values : {&model.preprocessing.mean, &model.preprocessing.std})
      if (values->size() != 1 && static_cast<int64_t>(values->size()) != channels)
        return with_source(Status::Error("the config's preprocessing mean/std need 1 or " + std::to_string(channels) + " values"));
  } else {
    model.preprocessing.colour = channels == 1 ? Preprocessing::Colour::kGrey : Preprocessing::Colour::kRgb;
  }
  if (!config.labels.empty()) {
    if (static_cast<int64_t>(config.labels.size()) != classes)
      return with_source(Status::Error("the config gives " + std::to_string(config.labels.size()) +
                                       " labels but the model has " + std::to_string(classes) + " outputs"));
    model.labels = config.labels;
  } else {
    for (int64_t k = 0; k < classes; ++k) model.labels.push_back("class " + std::to_string(k));
  }

  // The report, and the metadata that keeps the ONNX names reachable.
  OnnxImportReport& r = result.report;
  r.opset = opset;
  r.ir_version = m.ir_version;
  r.producer = m.producer_name + (m.producer_version.empty() ? "" : " " + m.producer_version);
  r.onnx_nodes = static_cast<int>(order.size());
  r.engine_nodes = model.graph.size();
  r.folded_batchnorms = context.stats().folded_batchnorms;
  r.folded_affines = context.stats().folded_affines;
  r.folded_pads = context.stats().folded_pads;
  r.aliases = context.stats().aliases;
  r.parameters = context.stats().parameters;
  for (const auto& [name, v] : context.values()) {
    if (v.is_constant || v.has_pad() || v.node < 0) continue;
    const std::string& node_name = model.graph.node(v.node).name;
    if (node_name != name) r.tensor_nodes[name] = node_name;
  }
  // The model format holds only finite weights; refuse here, with the ONNX
  // source named, rather than write a model that would not load.
  for (const Param& p : model.graph.params())
    for (int64_t i = 0; i < p.value->elements(); ++i)
      if (!std::isfinite((*p.value)[i]))
        return Status::Error(source + ": parameter " + p.name + " holds a non-finite value (" +
                             std::to_string((*p.value)[i]) + ") at index " + std::to_string(i) +
                             " (a NaN or infinite initializer, or one folded from such constants)");
  json meta;
  meta["source"] = "onnx";
  meta["file"] = std::filesystem::path(source).filename().string();
  meta["producer"] = r.producer;
  meta["opset"] = r.opset;
  meta["ir_version"] = r.ir_version;
  meta["folded"] = {{"batchnorms", r.folded_batchnorms}, {"affines", r.folded_affines}, {"pads", r.folded_pads}};
  json tensors = json::object();
  for (const auto& [tensor, node] : r.tensor_nodes) tensors[tensor] = node;
  meta["onnx_tensors"] = std::move(tensors);
  model.metadata_json = dump_json(meta, -1);
  return result;
}

// ---- 4. files and lookups -----------------------------------------------------------------------------

Result<OnnxImport> import_onnx_file(const std::string& path, const ImportConfig& config) {
  auto bytes = read_file_bytes(path, kOnnxMaxFileBytes);
  if (!bytes.ok()) return bytes.status();
  return import_onnx(bytes.value(), config, path);
}

Result<Model> open_model(const std::string& path, const ImportConfig& config) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return load_model(path);
  if (file_state(path) == FileState::kMissing) return Status::Error(path + ": no such file or folder");
  auto imported = import_onnx_file(path, config);
  if (!imported.ok()) return imported.status();
  return std::move(imported.value().model);
}

int find_layer(const Model& model, const std::string& name) {
  const int id = model.graph.find(name);
  if (id >= 0) return id;
  auto meta = parse_json_strictly(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(model.metadata_json.data()),
                                                           model.metadata_json.size()),
                                  "metadata", 16);
  if (!meta.ok() || !meta.value().is_object()) return -1;
  auto tensors = meta.value().find("onnx_tensors");
  if (tensors == meta.value().end() || !tensors->is_object()) return -1;
  auto it = tensors->find(name);
  if (it == tensors->end() || !it->is_string()) return -1;
  return model.graph.find(it->get<std::string>());
}

}  // namespace nl
