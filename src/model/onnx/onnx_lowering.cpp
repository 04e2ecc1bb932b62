// ImportContext: values, names, inputs, attributes and node building for the
// ONNX lowering (see onnx_lowering.h).
#include "model/onnx/onnx_lowering.h"

#include <cmath>

#include "nn/ops/conv2d.h"
#include "tensor/limits.h"

namespace nl {

namespace {

constexpr size_t kMaxNodeNameBytes = limits::kMaxNodeNameBytes;  // the model format's limit
constexpr int64_t kMaxAttrInt = int64_t{1} << 40;

}  // namespace

std::vector<int64_t> onnx_dims_of(const Shape& s) {
  if (s.rank() == 4) return {s[0], s[3], s[1], s[2]};
  std::vector<int64_t> dims;
  for (int i = 0; i < s.rank(); ++i) dims.push_back(s[i]);
  return dims;
}

const Value* ImportContext::find(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? nullptr : &it->second;
}

int ImportContext::uses(const std::string& name) const {
  auto it = readers_.find(name);
  const int readers = it == readers_.end() ? 0 : static_cast<int>(it->second.size());
  return readers + (name == graph_output_ ? 1 : 0);
}

const std::vector<const OnnxNode*>& ImportContext::readers(const std::string& name) const {
  static const std::vector<const OnnxNode*> kNone;
  auto it = readers_.find(name);
  return it == readers_.end() ? kNone : it->second;
}

Status ImportContext::fail(const OnnxNode& node, const std::string& message) const {
  const std::string name = node.name.empty() ? (node.outputs.empty() ? "#" + std::to_string(node.index) : node.outputs[0])
                                             : node.name;
  return Status::Error("ONNX node '" + name + "' (" + node.op_type + ", opset " + std::to_string(opset_) + "): " + message);
}

std::string ImportContext::node_name(const OnnxNode& node, size_t output) {
  std::string base = node.name;
  if (base.empty() || base.size() > kMaxNodeNameBytes || names_.count(base) || graph_->node(0).name == base)
    base = output < node.outputs.size() ? node.outputs[output] : std::string();
  if (base.empty() || base.size() > kMaxNodeNameBytes - 12) base = node.op_type.substr(0, 64) + "_" + std::to_string(node.index);
  std::string name = base;
  // Every node but the input was named here, so names_ and the input's name cover the graph.
  const auto taken = [&](const std::string& n) { return names_.count(n) > 0 || graph_->node(0).name == n; };
  for (int k = 2; taken(name); ++k) name = base + "_" + std::to_string(k);
  names_.insert(name);
  return name;
}

bool ImportContext::input_is_constant(const OnnxNode& node, size_t i) const {
  if (!has_input(node, i)) return false;
  const Value* v = find(node.inputs[i]);
  return v && v->is_constant;
}

Result<const Value*> ImportContext::tensor_input_unpadded(const OnnxNode& node, size_t i) {
  if (!has_input(node, i)) return fail(node, "input " + std::to_string(i) + " is missing");
  const Value* v = find(node.inputs[i]);
  if (!v) return fail(node, "input '" + node.inputs[i] + "' has no value (internal: not lowered yet)");
  if (v->is_constant)
    return fail(node, "input " + std::to_string(i) + " ('" + node.inputs[i] +
                          "') is a constant; NeuronLens imports this op only on computed tensors");
  return v;
}

Result<const Value*> ImportContext::tensor_input(const OnnxNode& node, size_t i) {
  auto v = tensor_input_unpadded(node, i);
  if (!v.ok() || !v.value()->has_pad()) return v;
  return materialize_pad(node, node.inputs[i]);
}

Result<std::shared_ptr<const ConstTensor>> ImportContext::constant_input(const OnnxNode& node, size_t i, bool optional) {
  if (!has_input(node, i)) {
    if (optional) return std::shared_ptr<const ConstTensor>();
    return fail(node, "input " + std::to_string(i) + " is missing");
  }
  const Value* v = find(node.inputs[i]);
  if (!v) return fail(node, "input '" + node.inputs[i] + "' has no value (internal: not lowered yet)");
  if (!v->is_constant)
    return fail(node, "input " + std::to_string(i) + " ('" + node.inputs[i] +
                          "') is computed by the graph, but NeuronLens needs it to be a constant (an initializer)");
  if (v->constant) return v->constant;
  auto decoded = decode_onnx_tensor(*v->initializer);
  if (!decoded.ok()) return fail(node, decoded.status().message());
  return std::shared_ptr<const ConstTensor>(std::make_shared<ConstTensor>(std::move(decoded.value())));
}

Status ImportContext::check_unused_outputs(const OnnxNode& node, size_t used) {
  for (size_t i = used; i < node.outputs.size(); ++i)
    if (!node.outputs[i].empty() && uses(node.outputs[i]) > 0)
      return fail(node, "output " + std::to_string(i) + " ('" + node.outputs[i] +
                            "') is used by the graph; NeuronLens computes only the first output of this op");
  return Status::Ok();
}

Result<int64_t> ImportContext::attr_int(const OnnxNode& node, const char* name, int64_t fallback) const {
  const OnnxAttribute* a = node.attribute(name);
  if (!a) return fallback;
  if (a->type != OnnxAttribute::kInt && a->type != OnnxAttribute::kUndefined)
    return fail(node, std::string("attribute '") + name + "' must be an integer");
  if (a->i < -kMaxAttrInt || a->i > kMaxAttrInt)
    return fail(node, std::string("attribute '") + name + "' is out of range: " + std::to_string(a->i));
  return a->i;
}

Result<float> ImportContext::attr_float(const OnnxNode& node, const char* name, float fallback) const {
  const OnnxAttribute* a = node.attribute(name);
  if (!a) return fallback;
  if (a->type != OnnxAttribute::kFloat && a->type != OnnxAttribute::kUndefined)
    return fail(node, std::string("attribute '") + name + "' must be a float");
  return a->f;
}

Result<std::string> ImportContext::attr_string(const OnnxNode& node, const char* name, const std::string& fallback) const {
  const OnnxAttribute* a = node.attribute(name);
  if (!a) return fallback;
  if (a->type != OnnxAttribute::kString && a->type != OnnxAttribute::kUndefined)
    return fail(node, std::string("attribute '") + name + "' must be a string");
  return a->s;
}

Result<std::vector<int64_t>> ImportContext::attr_ints(const OnnxNode& node, const char* name,
                                                      std::vector<int64_t> fallback) const {
  const OnnxAttribute* a = node.attribute(name);
  if (!a) return fallback;
  if (a->type != OnnxAttribute::kInts && a->type != OnnxAttribute::kUndefined)
    return fail(node, std::string("attribute '") + name + "' must be a list of integers");
  for (int64_t v : a->ints)
    if (v < -kMaxAttrInt || v > kMaxAttrInt)
      return fail(node, std::string("attribute '") + name + "' holds an out-of-range value " + std::to_string(v));
  return a->ints;
}

Status ImportContext::reserve_parameters(const OnnxNode& node, int64_t count) {
  if (count < 0 || count > kOnnxMaxParameters - stats_.parameters)
    return fail(node, "the model would need more than " + std::to_string(kOnnxMaxParameters) +
                          " parameters (the import limit); this node alone asks for " + std::to_string(count));
  stats_.parameters += count;
  return Status::Ok();
}

Value ImportContext::value_of(int engine_node) const {
  Value v;
  v.node = engine_node;
  v.dims = onnx_dims_of(graph_->node(engine_node).shape);
  return v;
}

Result<Value> ImportContext::add(const OnnxNode& node, std::unique_ptr<Op> op, std::vector<int> inputs, size_t output) {
  if (graph_->size() >= kMaxEngineNodes)
    return fail(node, "the model needs more than " + std::to_string(kMaxEngineNodes) + " nodes (the import limit)");
  auto id = graph_->add(node_name(node, output), std::move(op), std::move(inputs));
  if (!id.ok()) return fail(node, id.status().message());
  const int64_t elements = graph_->node(id.value()).shape.elements();
  if (elements > kOnnxMaxNodeElements || elements > kOnnxMaxActivationElements - activation_elements_)
    return fail(node, "its output " + graph_->node(id.value()).shape.str() +
                          " would take the activations past the import limit of " +
                          std::to_string(kOnnxMaxActivationElements) + " values per image");
  activation_elements_ += elements;
  return value_of(id.value());
}

Result<const Value*> ImportContext::materialize_pad(const OnnxNode& reader, const std::string& tensor) {
  Value* v = &values_.at(tensor);
  if (!v->has_pad()) return static_cast<const Value*>(v);
  const Shape& in = graph_->node(v->node).shape;
  if (in.rank() != 4) return fail(reader, "internal: pending padding on a tensor that is not 4-D");
  // A depthwise 1x1 convolution with weight 1 and bias 0 copies its input into the padded output.
  Conv2DParams p;
  p.in_channels = p.out_channels = in.c();
  p.groups = static_cast<int>(in.c());
  p.pad_top = v->pad[0];
  p.pad_left = v->pad[1];
  p.pad_bottom = v->pad[2];
  p.pad_right = v->pad[3];
  NL_RETURN_IF_ERROR(reserve_parameters(reader, 2 * in.c()));
  auto conv = Conv2D::create(p);
  if (!conv.ok()) return fail(reader, "padding its input: " + conv.status().message());
  conv.value()->weight.fill(1.0f);
  OnnxNode pad_node;
  pad_node.op_type = "Pad";
  pad_node.name = tensor.substr(0, 200) + "_padded";
  pad_node.index = reader.index;
  auto added = add(pad_node, std::move(conv.value()), {v->node});
  if (!added.ok()) return added.status();
  Value padded = added.value();
  padded.hwc = v->hwc;
  values_[tensor] = padded;
  return static_cast<const Value*>(&values_.at(tensor));
}

}  // namespace nl
