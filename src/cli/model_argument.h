// The --model argument shared by forward and grad (and the input of import):
// a model folder or an .onnx file, the latter imported with --config CONF.json
// and/or --preset NAME. Also the .npy input checks both commands need.
#pragma once
#include <string>

#include "cli/args.h"
#include "model/onnx/onnx_import.h"

namespace nl::cli {

// The import config from --config and --preset (a preset given with --preset
// is the base; the config file's fields override it).
Result<ImportConfig> import_config_from(const Args& args);

// Loads the model at `path` (a folder, or an .onnx file imported with the config).
Result<Model> load_model_argument(const std::string& path, const Args& args);

// Reads an N x C x H x W float32 .npy file that fits the model's input, as NHWC.
Result<Tensor> read_model_input(const std::string& path, const Model& model);

}  // namespace nl::cli
