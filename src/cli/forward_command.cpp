// neuronlens forward --model PATH --input IN.npy --output OUT.npy: runs a model
// (a model folder or an .onnx file) on a float32 N x C x H x W array and
// writes its output (the logits, [N, classes]) as .npy.
#include <cstdio>

#include "cli/command.h"
#include "cli/model_argument.h"
#include "kernels/thread_pool.h"
#include "nn/executor.h"
#include "tensor/npy.h"

namespace nl::cli {

namespace {

const char* kUsage =
    "usage: neuronlens forward --model PATH --input IN.npy --output OUT.npy [options]\n"
    "  --model PATH       a model folder, or an .onnx file (imported on the fly)\n"
    "  --input IN.npy     float32 array N x C x H x W (already preprocessed, as the model expects)\n"
    "  --output OUT.npy   the model's output, [N, classes] (the logits for most classifiers)\n"
    "  --config FILE      import config for an .onnx model (docs/ONNX.md)\n"
    "  --preset NAME      imagenet or grey28, for an .onnx model\n"
    "  --threads N        threads (default 2)\n";

int fail(const std::string& message) {
  std::fprintf(stderr, "neuronlens forward: %s\n", message.c_str());
  return 1;
}

}  // namespace

int run_forward_command(std::span<const std::string> raw) {
  auto parsed = Args::parse(raw, {"model", "input", "output", "config", "preset", "threads"}, {"help"});
  if (!parsed.ok()) {
    std::fprintf(stderr, "neuronlens forward: %s\n\n%s", parsed.status().message().c_str(), kUsage);
    return 2;
  }
  const Args& args = parsed.value();
  if (args.flag("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const auto model_path = args.value("model"), input_path = args.value("input"), output_path = args.value("output");
  if (!model_path || !input_path || !output_path) {
    std::fprintf(stderr, "neuronlens forward: --model, --input and --output are required\n\n%s", kUsage);
    return 2;
  }
  auto threads = args.integer("threads", 2, 1, 256);
  if (!threads.ok()) return fail(threads.status().message());
  auto model = load_model_argument(*model_path, args);
  if (!model.ok()) return fail(model.status().message());
  auto input = read_model_input(*input_path, model.value());
  if (!input.ok()) return fail(input.status().message());
  ThreadPool pool(static_cast<int>(threads.value()));
  Graph& graph = model.value().graph;
  Executor executor(&graph, &pool);
  if (Status s = executor.forward(input.value()); !s.ok()) return fail(s.message());
  const Tensor& out = executor.value(graph.output());
  const Status written = write_npy(*output_path, out.shape().rank() == 4 ? nhwc_to_nchw(out) : out);
  if (!written.ok()) return fail(written.message());
  return 0;
}

}  // namespace nl::cli
