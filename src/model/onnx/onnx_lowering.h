// Lowering ONNX nodes to engine ops: the state shared by the importer's driver
// (onnx_import.cpp) and the per-op lowerings (onnx_ops.cpp). Internal.
//
// Layouts. ONNX tensors are NCHW; the engine's are NHWC. Every computed ONNX
// tensor is a Value that points at an engine node and says how that node's
// data maps to the ONNX tensor:
//   - engine [N, H, W, C]  <->  ONNX [N, C, H, W]
//   - engine [N, F]        <->  ONNX [N, F] or [N, F, 1, 1, ...] (after a global
//     pool, Squeeze or Unsqueeze), with the F features in ONNX order, or in
//     H, W, C order when they come from flattening an [N, C, H, W] map with
//     C > 1 and H * W > 1 (then `hwc` records C, H, W): the first Gemm or
//     MatMul reading them permutes its weight columns to match, and per-feature
//     constants are permuted the same way.
// Folding. A Value made by a Conv or Dense node that nothing else reads is
// `foldable`: a following BatchNormalization, or Add/Sub/Mul/Div by a
// per-channel constant, is merged into its weights and bias instead of
// becoming a node. A zero Pad is kept `pending` on the Value and absorbed into
// the padding of the Conv or AveragePool that reads it; any other reader gets
// an explicit padding node (a depthwise 1x1 identity convolution with padding).
#pragma once
#include <array>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/onnx/onnx_constant.h"
#include "model/onnx/onnx_proto.h"
#include "nn/graph.h"

namespace nl {

struct Value {
  bool is_constant = false;
  // Constants: an initializer (decoded on use, so weights are never held twice) or a folded tensor.
  const OnnxTensor* initializer = nullptr;
  std::shared_ptr<const ConstTensor> constant;
  // Computed tensors:
  int node = -1;                      // engine node holding the data
  std::vector<int64_t> dims;          // the ONNX shape (batch 1)
  std::array<int64_t, 3> hwc{};       // {C, H, W} when an [N, F] node's features are in H, W, C order
  bool foldable = false;
  std::array<int, 4> pad{};           // pending zero padding: top, left, bottom, right

  bool has_hwc() const { return hwc[0] > 0; }
  bool has_pad() const { return pad[0] || pad[1] || pad[2] || pad[3]; }
};

struct ImportStats {
  int folded_batchnorms = 0;   // BatchNormalization merged into a Conv or Gemm
  int folded_affines = 0;      // Add/Sub/Mul/Div by constants merged into a Conv or Gemm
  int folded_pads = 0;         // Pad merged into a Conv or AveragePool
  int aliases = 0;             // Identity, Dropout, flattening Reshapes, ...: no node needed
  int64_t parameters = 0;
};

class ImportContext {
 public:
  ImportContext(Graph* graph, int64_t opset) : graph_(graph), opset_(opset) {}

  Graph& graph() { return *graph_; }
  int64_t opset() const { return opset_; }
  ImportStats& stats() { return stats_; }

  // ---- values
  void set(const std::string& name, Value value) { values_[name] = std::move(value); }
  const Value* find(const std::string& name) const;
  // How many nodes read `name`, plus one when it is the graph's output.
  int uses(const std::string& name) const;
  // The nodes that read `name` (set up by the driver before lowering).
  const std::vector<const OnnxNode*>& readers(const std::string& name) const;
  void add_reader(const std::string& name, const OnnxNode* reader) { readers_[name].push_back(reader); }
  void set_graph_output(const std::string& name) { graph_output_ = name; }
  // Every computed value, for the tensor-name -> node-name table.
  const std::unordered_map<std::string, Value>& values() const { return values_; }

  // ---- errors and names
  // "ONNX node 'name' (Op, opset N): message"
  Status fail(const OnnxNode& node, const std::string& message) const;
  // A unique engine node name for `node`'s output `output`: the node's name when it has
  // one that is free, else the output tensor's name, made unique with a suffix.
  std::string node_name(const OnnxNode& node, size_t output = 0);

  // ---- inputs of a node
  // Input `i` as a computed tensor (error if absent or constant); pending padding is applied.
  Result<const Value*> tensor_input(const OnnxNode& node, size_t i);
  // Same, but pending padding is left for the caller to absorb.
  Result<const Value*> tensor_input_unpadded(const OnnxNode& node, size_t i);
  // Input `i` as a constant (error if computed); absent optional inputs give null.
  Result<std::shared_ptr<const ConstTensor>> constant_input(const OnnxNode& node, size_t i, bool optional = false);
  bool has_input(const OnnxNode& node, size_t i) const { return i < node.inputs.size() && !node.inputs[i].empty(); }
  bool input_is_constant(const OnnxNode& node, size_t i) const;
  // Checks that outputs past `used` are absent or read by nobody (Dropout's mask, MaxPool's indices).
  Status check_unused_outputs(const OnnxNode& node, size_t used);

  // ---- attributes (defaults when absent)
  Result<int64_t> attr_int(const OnnxNode& node, const char* name, int64_t fallback) const;
  Result<float> attr_float(const OnnxNode& node, const char* name, float fallback) const;
  Result<std::string> attr_string(const OnnxNode& node, const char* name, const std::string& fallback) const;
  Result<std::vector<int64_t>> attr_ints(const OnnxNode& node, const char* name, std::vector<int64_t> fallback) const;
  bool has_attr(const OnnxNode& node, const char* name) const { return node.attribute(name) != nullptr; }

  // ---- building
  // Adds an engine node (checking the parameter budget and activation size) and returns its Value.
  Result<Value> add(const OnnxNode& node, std::unique_ptr<Op> op, std::vector<int> inputs, size_t output = 0);
  // A Value for an engine node, its ONNX dims derived from the engine shape.
  Value value_of(int engine_node) const;
  // Applies pending zero padding with an explicit node (cached per tensor).
  Result<const Value*> materialize_pad(const OnnxNode& reader, const std::string& tensor);
  // Reserves `count` parameters against the import's budget, or fails naming the node.
  Status reserve_parameters(const OnnxNode& node, int64_t count);

 private:
  Graph* graph_;
  int64_t opset_;
  ImportStats stats_;
  std::unordered_map<std::string, Value> values_;
  std::unordered_map<std::string, std::vector<const OnnxNode*>> readers_;
  std::string graph_output_;
  std::set<std::string> names_;
  int64_t activation_elements_ = 0;
};

// Limits of an import, checked before anything is allocated.
// Limits of an import (tensor/limits.h says why each value).
inline constexpr int64_t kOnnxMaxParameters = limits::kMaxModelParameters;          // 1 GiB of float32 weights
inline constexpr int64_t kOnnxMaxNodeElements = limits::kMaxTensorElements;         // one activation, batch 1
inline constexpr int64_t kOnnxMaxActivationElements = limits::kMaxActivationElements;  // all activations, batch 1
inline constexpr int kMaxEngineNodes = limits::kMaxGraphNodes;                      // the model format's limit

// Lowers one node; the ops it knows are listed by onnx_supported_ops().
Status lower_onnx_node(ImportContext& context, const OnnxNode& node);
bool onnx_op_supported(const std::string& op_type);
std::string onnx_supported_ops();

// Layout helpers.
// ONNX dims of an engine shape: [N, H, W, C] -> [N, C, H, W]; [N, F] stays.
std::vector<int64_t> onnx_dims_of(const Shape& engine_shape);

}  // namespace nl
