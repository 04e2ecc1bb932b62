// The NeuronLens model format: a folder holding model.json (the graph, the
// input, preprocessing, class labels) and weights.safetensors (every
// parameter, named "<node>.<param>"). docs/MODEL_FORMAT.md specifies it.
//
// Loading checks everything against everything: JSON structure and types,
// each op's settings, the wiring (inputs must be earlier nodes), shapes
// through the graph, labels against the output, and every weight tensor's
// name, shape and values against the graph. Errors name the file and the
// problem, e.g. "weights.safetensors: tensor 'conv1.weight' has shape
// [32, 3, 3, 1] but the graph expects [32, 3, 3, 3]".
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "nn/graph.h"
#include "tensor/limits.h"

namespace nl {

inline constexpr const char* kModelFormatName = "neuronlens-model";
inline constexpr int kModelFormatVersion = 1;
inline constexpr const char* kModelJsonFile = "model.json";
inline constexpr const char* kModelWeightsFile = "weights.safetensors";
// Limits: tensor/limits.h says why each value.
inline constexpr uint64_t kModelJsonMaxBytes = limits::kMaxModelJsonBytes;
inline constexpr int kModelMaxNodes = limits::kMaxGraphNodes;
inline constexpr int64_t kModelMaxInputSide = limits::kMaxModelInputSide;

// How an image becomes the input tensor (see docs/MODEL_FORMAT.md):
//   p in [0, 255] per channel (grey: one channel, from luma when the image is colour)
//   if invert: p = 255 - p
//   x = (p * scale - mean[c]) / std[c]
struct Preprocessing {
  enum class Colour { kGrey, kRgb };
  Colour colour = Colour::kGrey;
  bool invert = false;
  float scale = 1.0f / 255.0f;
  std::vector<float> mean = {0.0f};  // one value, or one per channel
  std::vector<float> std = {1.0f};
};

struct Model {
  std::string name;
  std::string description;
  Preprocessing preprocessing;
  std::vector<std::string> labels;  // one per output value (class)
  std::string metadata_json = "{}";  // the free-form "metadata" object (model card facts)
  Graph graph;                      // node 0: the input [1, H, W, C]; graph.output(): class scores
};

// Builds a model from the two files' bytes; `*_source` name them in errors.
Result<Model> parse_model(std::span<const uint8_t> model_json, const std::string& model_source,
                          std::span<const uint8_t> weights, const std::string& weights_source);

// Reads <dir>/model.json and the weights file it names (weights.safetensors).
Result<Model> load_model(const std::string& dir);

struct ModelFiles {
  std::string model_json;
  std::vector<uint8_t> weights;
};

// The two files for `model`. Checks that they load back (parse_model), so a
// saved model is always a loadable one. Non-const: Op::params() hands out
// mutable tensors, though nothing is changed.
Result<ModelFiles> serialize_model(Model& model);

// Writes <dir>/model.json and <dir>/weights.safetensors (creating dir).
Status save_model(Model& model, const std::string& dir);

}  // namespace nl
