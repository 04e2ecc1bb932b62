// The subset of ONNX's protobuf messages (onnx/onnx.proto) that the importer
// reads: ModelProto, its opset imports and GraphProto; NodeProto,
// AttributeProto, TensorProto (raw_data or typed data fields), ValueInfoProto
// with TypeProto tensor shapes. Unknown fields are skipped, as protobuf
// requires; sub-graphs (If/Loop bodies), sparse tensors and training info are
// not descended into, so nesting is bounded by the schema (model > graph >
// node > attribute > tensor) and checked against kMaxDepth anyway.
//
// Tensor payloads are not copied: raw_data is a span into the file's bytes,
// which must outlive the OnnxModel.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tensor/status.h"
#include "tensor/limits.h"

namespace nl {

// Counts and sizes the reader refuses to exceed (before allocating).
struct OnnxLimits {
  static constexpr int kMaxDepth = limits::kMaxProtobufDepth;  // nested messages
  static constexpr size_t kMaxNodes = 100000;
  static constexpr size_t kMaxInitializers = 100000;
  static constexpr size_t kMaxGraphValues = 100000;         // inputs, outputs, value_info
  static constexpr size_t kMaxNodeInputs = 4096;            // inputs or outputs of one node
  static constexpr size_t kMaxAttributes = 256;             // per node
  static constexpr size_t kMaxAttributeValues = 1 << 20;    // ints / floats of one attribute
  static constexpr size_t kMaxRank = 8;                     // dims of a tensor or shape
  static constexpr size_t kMaxStringBytes = 1 << 16;        // any name or string attribute
  static constexpr size_t kMaxOpsetImports = 64;
  static constexpr int64_t kMaxTensorElements = limits::kMaxTensorElements;  // 1 GiB of floats
};

// ONNX TensorProto.DataType values the importer understands.
enum class OnnxType : int32_t {
  kUndefined = 0, kFloat = 1, kUint8 = 2, kInt8 = 3, kUint16 = 4, kInt16 = 5, kInt32 = 6, kInt64 = 7,
  kString = 8, kBool = 9, kFloat16 = 10, kDouble = 11, kUint32 = 12, kUint64 = 13, kBfloat16 = 16,
};
// "FLOAT", "INT64", ... or "type 42".
std::string onnx_type_name(int32_t type);

struct OnnxTensor {
  std::string name;
  std::vector<int64_t> dims;
  int32_t data_type = 0;
  int64_t elements = 1;                 // product of dims, checked against kMaxTensorElements
  std::span<const uint8_t> raw_data;    // into the file's bytes
  bool has_raw_data = false;
  bool external = false;                // data_location == EXTERNAL (refused on use)
  // Typed fields, used when there is no raw_data:
  std::vector<uint32_t> float_data;     // IEEE bits of FLOAT values
  std::vector<int64_t> int_data;        // int32_data (INT32, INT16, INT8, UINT8, BOOL, FLOAT16 bits) or int64_data
  std::vector<uint64_t> double_data;    // IEEE bits of DOUBLE values
};

struct OnnxAttribute {
  // AttributeProto.AttributeType
  enum Type : int32_t { kUndefined = 0, kFloat = 1, kInt = 2, kString = 3, kTensor = 4, kGraph = 5,
                        kFloats = 6, kInts = 7, kStrings = 8, kTensors = 9, kGraphs = 10, kSparseTensor = 11 };
  std::string name;
  int32_t type = kUndefined;
  float f = 0.0f;
  int64_t i = 0;
  std::string s;
  std::vector<OnnxTensor> t;  // the TENSOR value (0 or 1 entries)
  std::vector<float> floats;
  std::vector<int64_t> ints;
};

struct OnnxNode {
  std::string name, op_type, domain;
  std::vector<std::string> inputs, outputs;  // "" marks an omitted optional input
  std::vector<OnnxAttribute> attributes;
  size_t index = 0;  // position in GraphProto.node

  const OnnxAttribute* attribute(const std::string& attribute_name) const;
};

// One dimension of a ValueInfo shape: a number, a symbolic name, or unknown.
struct OnnxDim {
  bool has_value = false;
  int64_t value = 0;
  std::string param;  // dim_param, e.g. "batch_size"
};

struct OnnxValueInfo {
  std::string name;
  bool is_tensor = false;   // TypeProto.tensor_type present
  int32_t elem_type = 0;
  bool has_shape = false;
  std::vector<OnnxDim> dims;
};

struct OnnxOpsetImport {
  std::string domain;  // "" or "ai.onnx" for the standard operators
  int64_t version = 0;
};

struct OnnxGraph {
  std::string name;
  std::vector<OnnxNode> nodes;
  std::vector<OnnxTensor> initializers;
  std::vector<OnnxValueInfo> inputs, outputs, value_info;
  size_t sparse_initializers = 0;  // counted only, to refuse them clearly
};

struct OnnxModel {
  int64_t ir_version = 0;
  std::string producer_name, producer_version;
  std::vector<OnnxOpsetImport> opset_imports;
  OnnxGraph graph;
  bool has_graph = false;
  size_t functions = 0;  // model-local functions (counted only)
};

// Parses a whole .onnx file. Errors start with "ONNX: " and say what is wrong
// and where (field and byte offset), e.g. a truncated file or a length past the end.
Result<OnnxModel> parse_onnx_model(std::span<const uint8_t> bytes);

}  // namespace nl
