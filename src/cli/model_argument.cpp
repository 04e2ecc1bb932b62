// --model, --config, --preset and --input handling for forward, grad and import.
#include "cli/model_argument.h"

#include "tensor/npy.h"

namespace nl::cli {

Result<ImportConfig> import_config_from(const Args& args) {
  ImportConfig config;
  const auto preset = args.value("preset");
  const auto file = args.value("config");
  if (preset) {
    auto p = import_config_preset(*preset);
    if (!p.ok()) return p.status();
    config = std::move(p.value());
  }
  if (file) {
    auto c = load_import_config(*file);
    if (!c.ok()) return c.status();
    if (preset && !c.value().preset.empty() && c.value().preset != *preset)
      return Status::Error("--preset " + *preset + " and the config's preset \"" + c.value().preset + "\" disagree");
    if (preset && c.value().preset.empty()) {
      // Overlay the file's fields on the preset.
      ImportConfig& f = c.value();
      if (f.name.empty()) f.name = config.name;
      if (f.description.empty()) f.description = config.description;
      if (!f.height) f.height = config.height;
      if (!f.width) f.width = config.width;
      if (!f.channels) f.channels = config.channels;
      if (!f.preprocessing) f.preprocessing = config.preprocessing;
      if (f.labels.empty()) f.labels = config.labels;
      f.preset = config.preset;
    }
    config = std::move(c.value());
  }
  return config;
}

Result<Model> load_model_argument(const std::string& path, const Args& args) {
  auto config = import_config_from(args);
  if (!config.ok()) return config.status();
  return open_model(path, config.value());
}

Result<Tensor> read_model_input(const std::string& path, const Model& model) {
  auto input = read_npy(path);
  if (!input.ok()) return input.status();
  const Shape& want = model.graph.node(0).shape;  // [1, H, W, C]
  const Shape& got = input.value().shape();
  const std::string expected = "N x " + std::to_string(want.c()) + " x " + std::to_string(want.h()) + " x " +
                               std::to_string(want.w()) + " (N x C x H x W)";
  if (got.rank() != 4 || got[1] != want.c() || got[2] != want.h() || got[3] != want.w())
    return Status::Error(path + ": the array has shape " + got.str() + "; the model takes " + expected);
  return nchw_to_nhwc(input.value());
}

}  // namespace nl::cli
