// neuronlens import MODEL.onnx [--config CONF.json] [--preset NAME] --out DIR:
// converts an ONNX model to the NeuronLens model format (docs/ONNX.md) and
// prints what was imported.
#include <cstdio>

#include "cli/command.h"
#include "cli/model_argument.h"

namespace nl::cli {

namespace {

const char* kUsage =
    "usage: neuronlens import MODEL.onnx --out DIR [options]\n"
    "  --out DIR          the model folder to write (model.json + weights.safetensors)\n"
    "  --config FILE      sidecar JSON: preset, name, input size, preprocessing, labels (docs/ONNX.md)\n"
    "  --preset NAME      imagenet (224x224 RGB, ImageNet mean/std and classes) or grey28 (28x28 grey, digits)\n";

}  // namespace

int run_import_command(std::span<const std::string> raw) {
  std::vector<std::string> rest(raw.begin(), raw.end());
  std::string onnx_path;
  if (!rest.empty() && rest[0].rfind("--", 0) != 0) {
    onnx_path = rest[0];
    rest.erase(rest.begin());
  }
  auto parsed = Args::parse(rest, {"out", "config", "preset"}, {"help"});
  if (!parsed.ok()) {
    std::fprintf(stderr, "neuronlens import: %s\n\n%s", parsed.status().message().c_str(), kUsage);
    return 2;
  }
  const Args& args = parsed.value();
  if (args.flag("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const auto out = args.value("out");
  if (onnx_path.empty() || !out) {
    std::fprintf(stderr, "neuronlens import: MODEL.onnx and --out are required\n\n%s", kUsage);
    return 2;
  }
  auto config = import_config_from(args);
  if (!config.ok()) {
    std::fprintf(stderr, "neuronlens import: %s\n", config.status().message().c_str());
    return 1;
  }
  auto imported = import_onnx_file(onnx_path, config.value());
  if (!imported.ok()) {
    std::fprintf(stderr, "neuronlens import: %s\n", imported.status().message().c_str());
    return 1;
  }
  OnnxImport& result = imported.value();
  if (Status s = save_model(result.model, *out); !s.ok()) {
    std::fprintf(stderr, "neuronlens import: %s\n", s.message().c_str());
    return 1;
  }
  const OnnxImportReport& r = result.report;
  const Shape& in = result.model.graph.node(0).shape;
  std::printf("imported %s (%s, opset %lld) into %s\n", onnx_path.c_str(), r.producer.c_str(),
              static_cast<long long>(r.opset), out->c_str());
  std::printf("  input %lld x %lld x %lld, %zu classes, %lld parameters\n", static_cast<long long>(in.c()),
              static_cast<long long>(in.h()), static_cast<long long>(in.w()), result.model.labels.size(),
              static_cast<long long>(r.parameters));
  std::printf("  %d ONNX nodes -> %d engine nodes (folded: %d batch norms, %d constant affine ops, %d pads; %d aliases)\n",
              r.onnx_nodes, r.engine_nodes - 1, r.folded_batchnorms, r.folded_affines, r.folded_pads, r.aliases);
  return 0;
}

}  // namespace nl::cli
