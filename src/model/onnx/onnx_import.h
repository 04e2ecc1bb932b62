// ONNX import: reads an .onnx file (opsets 7 to 17) into a NeuronLens Model
// (graph + preprocessing + labels), converting NCHW to the engine's NHWC.
// docs/ONNX.md lists the supported ops and how each one is mapped.
//
// Everything is checked: the protobuf encoding (onnx_proto.h), the opset, the
// graph's wiring (topologically sorted; cycles, dangling inputs and tensors
// written twice are errors), each op's attributes and constant inputs, and
// the sizes (file, tensor elements, parameters, activations, nodes) against
// limits before anything is allocated. Errors name the node, its op and the
// opset, e.g. "ONNX node '/layer1/Resize' (Resize, opset 13): the op 'Resize'
// is not supported by NeuronLens's importer; supported: Conv, Gemm, ...".
#pragma once
#include <cstdint>
#include <map>
#include <span>
#include <string>

#include "model/model_file.h"
#include "model/onnx/import_config.h"
#include "tensor/limits.h"

namespace nl {

inline constexpr uint64_t kOnnxMaxFileBytes = limits::kMaxOnnxFileBytes;  // protobuf's own limit is 2 GiB

struct OnnxImportReport {
  int64_t opset = 0, ir_version = 0;
  std::string producer;          // "pytorch 1.13.0"
  int onnx_nodes = 0;            // nodes the output depends on
  int engine_nodes = 0;          // nodes of the imported graph (input included)
  int folded_batchnorms = 0, folded_affines = 0, folded_pads = 0, aliases = 0;
  int64_t parameters = 0;
  // ONNX tensor name -> the engine node holding it, for tensors whose node has
  // another name (e.g. a Relu's output "/layer1/relu/Relu_output_0" ->
  // "/layer1/relu/Relu"). Also stored in the model's metadata as "onnx_tensors".
  std::map<std::string, std::string> tensor_nodes;
};

struct OnnxImport {
  Model model;
  OnnxImportReport report;
};

// Imports the bytes of an .onnx file; `source` names it in errors and metadata.
Result<OnnxImport> import_onnx(std::span<const uint8_t> bytes, const ImportConfig& config, const std::string& source);

// Reads and imports `path` (at most kOnnxMaxFileBytes).
Result<OnnxImport> import_onnx_file(const std::string& path, const ImportConfig& config);

// A model from a model folder (model.json + weights) or an .onnx file
// (imported with `config`); `path` decides which.
Result<Model> open_model(const std::string& path, const ImportConfig& config);

// The graph node a name refers to: a node name, or an ONNX tensor name listed
// in the model's metadata "onnx_tensors". -1 when there is none.
int find_layer(const Model& model, const std::string& name);

}  // namespace nl
