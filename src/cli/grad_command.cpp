// neuronlens grad --model PATH --input IN.npy --layer NAME --channel K --output G.npy:
// the gradient of the mean of channel K of layer NAME with respect to the
// input, written N x C x H x W like the input.
#include <cstdio>

#include "cli/command.h"
#include "cli/model_argument.h"
#include "interpret/channel_gradient.h"
#include "kernels/thread_pool.h"
#include "tensor/npy.h"

namespace nl::cli {

namespace {

const char* kUsage =
    "usage: neuronlens grad --model PATH --input IN.npy --layer NAME --channel K --output G.npy [options]\n"
    "  --model PATH       a model folder, or an .onnx file (imported on the fly)\n"
    "  --input IN.npy     float32 array N x C x H x W (already preprocessed)\n"
    "  --layer NAME       a node of the model (or, for imported models, an ONNX tensor name)\n"
    "  --channel K        the channel (or feature, for a flat layer) whose mean is differentiated\n"
    "  --output G.npy     d mean(layer[:, K]) / d input, N x C x H x W\n"
    "  --config FILE      import config for an .onnx model (docs/ONNX.md)\n"
    "  --preset NAME      imagenet or grey28, for an .onnx model\n"
    "  --threads N        threads (default 2)\n";

int fail(const std::string& message) {
  std::fprintf(stderr, "neuronlens grad: %s\n", message.c_str());
  return 1;
}

std::string some_layer_names(const Graph& g) {
  std::string names;
  const int shown = std::min(g.size() - 1, 12);
  for (int i = 1; i <= shown; ++i) names += (i > 1 ? ", " : "") + g.node(i).name;
  if (g.size() - 1 > shown) names += ", ... (" + std::to_string(g.size() - 1) + " in all)";
  return names;
}

}  // namespace

int run_grad_command(std::span<const std::string> raw) {
  auto parsed = Args::parse(raw, {"model", "input", "layer", "channel", "output", "config", "preset", "threads"}, {"help"});
  if (!parsed.ok()) {
    std::fprintf(stderr, "neuronlens grad: %s\n\n%s", parsed.status().message().c_str(), kUsage);
    return 2;
  }
  const Args& args = parsed.value();
  if (args.flag("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const auto model_path = args.value("model"), input_path = args.value("input"), layer = args.value("layer"),
             output_path = args.value("output");
  if (!model_path || !input_path || !layer || !args.value("channel") || !output_path) {
    std::fprintf(stderr, "neuronlens grad: --model, --input, --layer, --channel and --output are required\n\n%s", kUsage);
    return 2;
  }
  auto channel = args.integer("channel", 0, 0, int64_t{1} << 30);
  auto threads = args.integer("threads", 2, 1, 256);
  for (const Status& s : {channel.status(), threads.status()})
    if (!s.ok()) return fail(s.message());
  auto model = load_model_argument(*model_path, args);
  if (!model.ok()) return fail(model.status().message());
  const int node = find_layer(model.value(), *layer);
  if (node <= 0)
    return fail("the model has no layer '" + *layer + "'; its layers: " + some_layer_names(model.value().graph));
  auto input = read_model_input(*input_path, model.value());
  if (!input.ok()) return fail(input.status().message());
  ThreadPool pool(static_cast<int>(threads.value()));
  Executor executor(&model.value().graph, &pool);
  auto grad = channel_mean_input_gradient(executor, input.value(), node, channel.value());
  if (!grad.ok()) return fail(grad.status().message());
  const Status written = write_npy(*output_path, nhwc_to_nchw(grad.value()));
  if (!written.ok()) return fail(written.message());
  return 0;
}

}  // namespace nl::cli
