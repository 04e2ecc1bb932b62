// The sidecar config of an ONNX import and its presets: see import_config.h.
#include "model/onnx/import_config.h"

#include "model/json_fields.h"
#include "model/strict_json.h"
#include "tensor/file_bytes.h"
#include "tensor/limits.h"

namespace nl {

namespace {

using json = nlohmann::ordered_json;

constexpr uint64_t kMaxConfigBytes = uint64_t{8} << 20;
constexpr size_t kMaxLabels = 100000;
constexpr int64_t kMaxSide = limits::kMaxModelInputSide;

Status read_preprocessing(const json& object, const std::string& where, Preprocessing* out) {
  JsonFields f(object, where + ": preprocessing");
  const std::string colour = f.string("colour");
  if (colour == "grey") out->colour = Preprocessing::Colour::kGrey;
  else if (colour == "rgb") out->colour = Preprocessing::Colour::kRgb;
  else if (f.ok()) f.fail("'colour' is " + quote_name(colour) + "; it must be \"grey\" or \"rgb\"");
  out->invert = f.boolean("invert", false);
  out->scale = static_cast<float>(f.number("scale", 1e-12, 1e12, 1.0 / 255.0));
  const auto mean = f.numbers("mean", 3, -1e12, 1e12, std::vector<double>{0.0});
  const auto std = f.numbers("std", 3, 1e-12, 1e12, std::vector<double>{1.0});
  NL_RETURN_IF_ERROR(f.finish());
  out->mean.assign(mean.begin(), mean.end());
  out->std.assign(std.begin(), std.end());
  return Status::Ok();
}

}  // namespace

Result<ImportConfig> import_config_preset(const std::string& name) {
  ImportConfig c;
  c.preset = name;
  Preprocessing p;
  if (name == "imagenet") {
    c.height = 224;
    c.width = 224;
    c.channels = 3;
    p.colour = Preprocessing::Colour::kRgb;
    p.mean = {0.485f, 0.456f, 0.406f};
    p.std = {0.229f, 0.224f, 0.225f};
    for (const char* label : imagenet_class_names()) c.labels.emplace_back(label);
  } else if (name == "grey28") {
    c.height = 28;
    c.width = 28;
    c.channels = 1;
    p.colour = Preprocessing::Colour::kGrey;
    for (int i = 0; i < 10; ++i) c.labels.push_back(std::to_string(i));
  } else {
    return Status::Error("unknown preset " + quote_name(name) + "; presets: imagenet, grey28");
  }
  c.preprocessing = p;
  return c;
}

Result<ImportConfig> parse_import_config(std::span<const uint8_t> bytes, const std::string& source) {
  auto parsed = parse_json_strictly(bytes, source, 16);
  if (!parsed.ok()) return parsed.status();
  const json& root = parsed.value();
  JsonFields f(root, source);
  ImportConfig c;
  if (f.has("preset")) {
    const std::string preset = f.string("preset");
    if (!f.ok()) return f.finish();
    auto base = import_config_preset(preset);
    if (!base.ok()) return Status::Error(source + ": " + base.status().message());
    c = std::move(base.value());
  }
  c.name = f.string("name", c.name);
  c.description = f.string("description", c.description);
  if (const json* input = f.member("input")) {
    JsonFields in(*input, source + ": input");
    if (in.has("height")) c.height = in.integer("height", 1, kMaxSide);
    if (in.has("width")) c.width = in.integer("width", 1, kMaxSide);
    if (in.has("channels")) c.channels = in.integer("channels", 1, 3);
    NL_RETURN_IF_ERROR(in.finish());
    if (c.channels && *c.channels == 2) return Status::Error(source + ": input 'channels' must be 1 or 3");
  }
  if (const json* pre = f.member("preprocessing")) {
    Preprocessing p;
    NL_RETURN_IF_ERROR(read_preprocessing(*pre, source, &p));
    c.preprocessing = p;
  }
  if (f.has("labels")) c.labels = f.strings("labels", kMaxLabels);
  NL_RETURN_IF_ERROR(f.finish());
  if (c.preset == "imagenet" && c.labels.empty())
    return Status::Error(source + ": the \"imagenet\" preset has no class names in this build (python3-torchvision "
                                  "was missing when NeuronLens was built); give \"labels\"");
  if (c.preprocessing && c.channels) {
    const int64_t colour_channels = c.preprocessing->colour == Preprocessing::Colour::kGrey ? 1 : 3;
    if (colour_channels != *c.channels)
      return Status::Error(source + ": preprocessing 'colour' needs " + std::to_string(colour_channels) +
                           " input channel(s) but the input has " + std::to_string(*c.channels));
  }
  return c;
}

Result<ImportConfig> load_import_config(const std::string& path) {
  auto bytes = read_file_bytes(path, kMaxConfigBytes);
  if (!bytes.ok()) return bytes.status();
  return parse_import_config(bytes.value(), path);
}

}  // namespace nl
