// How an imported model presents itself: the sidecar JSON given to
// `neuronlens import --config CONF.json` (or a form in the UI). It names a
// preset and/or overrides its fields; everything is optional:
//
//   {"preset": "imagenet",                      // or "grey28"
//    "name": "resnet18", "description": "...",
//    "input": {"height": 224, "width": 224},    // fixes dynamic dims of the ONNX input
//    "preprocessing": {"colour": "rgb", "invert": false, "scale": 0.00392156862745098,
//                      "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]},
//    "labels": ["tench", "goldfish", ...]}
//
// Presets: "imagenet" (224 x 224 x 3, RGB scaled to [0, 1], ImageNet mean and
// std, the 1,000 ImageNet class names) and "grey28" (28 x 28 x 1, [0, 1],
// labels "0".."9"). docs/ONNX.md documents the format.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "model/model_file.h"

namespace nl {

struct ImportConfig {
  std::string preset;  // "", "imagenet" or "grey28"
  std::string name, description;
  std::optional<int64_t> height, width, channels;
  std::optional<Preprocessing> preprocessing;  // absent: from the input's channels, values in [0, 1]
  std::vector<std::string> labels;             // absent: "class 0", "class 1", ...
};

// The named preset: "imagenet" or "grey28".
Result<ImportConfig> import_config_preset(const std::string& name);

// Parses the sidecar JSON (strictly: unknown keys are errors). Errors start with "<source>: ".
Result<ImportConfig> parse_import_config(std::span<const uint8_t> json, const std::string& source);

// Reads and parses a config file.
Result<ImportConfig> load_import_config(const std::string& path);

// The 1,000 ImageNet class names, in the usual index order, extracted from
// Debian's python3-torchvision when NeuronLens was built; empty when the build
// machine had no torchvision (the "imagenet" preset then needs "labels").
std::span<const char* const> imagenet_class_names();

}  // namespace nl
