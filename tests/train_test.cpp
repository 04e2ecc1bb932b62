// Training end to end on small synthetic data: BatchNorm folding keeps the
// logits, the label-smoothed loss matches its definition and finite
// differences, training is bit-for-bit repeatable and learns, and an exported
// model saves, loads and scores the same.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "kernels/thread_pool.h"
#include "model/model_file.h"
#include "nn/executor.h"
#include "nn/fold_batchnorm.h"
#include "nn/ops/batch_norm.h"
#include "nn/ops/conv2d.h"
#include "nn/ops/dense.h"
#include "nn/ops/flatten.h"
#include "nn/ops/max_pool2d.h"
#include "nn/ops/relu.h"
#include "temp_dir.h"
#include "tensor/rng.h"
#include "train/report.h"
#include "train/trainer.h"

namespace {

void fill(nl::Tensor& t, nl::Rng& rng, double lo, double hi) {
  for (int64_t i = 0; i < t.elements(); ++i) t[i] = static_cast<float>(rng.uniform(lo, hi));
}

template <typename T>
int add(nl::Graph& g, const std::string& name, nl::Result<std::unique_ptr<T>> op, int input) {
  REQUIRE(op.ok());
  auto id = g.add(name, std::unique_ptr<nl::Op>(std::move(op.value())), {input});
  REQUIRE(id.ok());
  return id.value();
}

// A BatchNorm with statistics far from the identity, as after training.
std::unique_ptr<nl::BatchNorm> trained_batchnorm(int64_t channels, nl::Rng& rng) {
  auto bn = nl::BatchNorm::create(channels, 1e-5f);
  REQUIRE(bn.ok());
  fill(bn.value()->weight, rng, 0.5, 1.5);
  fill(bn.value()->bias, rng, -0.5, 0.5);
  fill(bn.value()->running_mean, rng, -0.3, 0.3);
  fill(bn.value()->running_var, rng, 0.2, 2.0);
  return std::move(bn.value());
}

// 4 classes of 8x8 grey images: a bright 3x3 patch somewhere in quadrant k, on noise.
nl::ImageDataset quadrant_dataset(int64_t count, uint64_t seed) {
  nl::ImageDataset d;
  d.images = nl::Tensor(nl::Shape{count, 8, 8, 1});
  d.class_names = {"top-left", "top-right", "bottom-left", "bottom-right"};
  nl::Rng rng(seed);
  for (int64_t n = 0; n < count; ++n) {
    const int k = static_cast<int>(n % 4);
    d.labels.push_back(k);
    float* img = d.images.data() + n * 64;
    for (int i = 0; i < 64; ++i) img[i] = static_cast<float>(rng.uniform(0.0, 0.25));
    const int y0 = (k / 2) * 4 + static_cast<int>(rng.below(2)), x0 = (k % 2) * 4 + static_cast<int>(rng.below(2));
    for (int y = y0; y < y0 + 3; ++y)
      for (int x = x0; x < x0 + 3; ++x) img[y * 8 + x] = static_cast<float>(rng.uniform(0.7, 1.0));
  }
  return d;
}

const char* kQuadrantRecipe = R"({
  "name": "quadrants", "epochs": 6, "batch_size": 16, "seed": 11, "threads": 2,
  "data": {"train": "synthetic", "test": "synthetic"},
  "preprocessing": {"mean": [0.3], "std": [0.3]},
  "architecture": [
    {"type": "conv", "channels": 6, "batchnorm": true, "activation": "relu"},
    {"type": "maxpool"},
    {"type": "conv", "channels": 8, "batchnorm": true, "activation": "relu"},
    {"type": "maxpool"},
    {"type": "flatten"},
    {"type": "dropout", "rate": 0.1},
    {"type": "dense", "units": 16, "batchnorm": true, "activation": "relu"},
    {"type": "dense", "units": 4}
  ],
  "augmentation": {"max_shift": 1, "erase_probability": 0.3, "erase_size": 2},
  "label_smoothing": 0.05,
  "optimizer": {"type": "sgd", "learning_rate": 0.05, "momentum": 0.9, "nesterov": true, "weight_decay": 1e-4},
  "schedule": {"type": "cosine", "warmup_epochs": 1}
})";

nl::Recipe quadrant_recipe() {
  auto r = nl::parse_recipe(kQuadrantRecipe, "quadrants.json");
  REQUIRE(r.ok());
  return r.value();
}

// Every trained tensor's bits, in order.
std::vector<float> all_weights(nl::Graph& g) {
  std::vector<float> out;
  for (const nl::Param& p : g.params())
    for (int64_t i = 0; i < p.value->elements(); ++i) out.push_back((*p.value)[i]);
  return out;
}

}  // namespace

TEST_CASE("folding BatchNorm into conv and dense layers keeps the logits", "[train]") {
  nl::Rng rng(5);
  nl::Graph g;
  REQUIRE(g.set_input("input", nl::Shape{1, 9, 7, 3}).ok());
  nl::Conv2DParams p1;
  p1.in_channels = 3;
  p1.out_channels = 5;
  p1.kernel_h = p1.kernel_w = 3;
  p1.pad_top = p1.pad_left = p1.pad_bottom = p1.pad_right = 1;
  auto conv1 = nl::Conv2D::create(p1);  // with a bias
  REQUIRE(conv1.ok());
  fill(conv1.value()->weight, rng, -0.5, 0.5);
  fill(conv1.value()->bias, rng, -0.2, 0.2);
  int id = add(g, "conv1", std::move(conv1), 0);
  id = add(g, "conv1_bn", nl::Result<std::unique_ptr<nl::BatchNorm>>(trained_batchnorm(5, rng)), id);
  id = add(g, "conv1_relu", nl::ReLU::create(), id);
  nl::Conv2DParams p2 = p1;
  p2.in_channels = 5;
  p2.out_channels = 7;
  p2.stride_h = 2;
  p2.has_bias = false;
  auto conv2 = nl::Conv2D::create(p2);  // without a bias
  REQUIRE(conv2.ok());
  fill(conv2.value()->weight, rng, -0.5, 0.5);
  id = add(g, "conv2", std::move(conv2), id);
  id = add(g, "conv2_bn", nl::Result<std::unique_ptr<nl::BatchNorm>>(trained_batchnorm(7, rng)), id);
  id = add(g, "pool", nl::MaxPool2D::create({}), id);
  id = add(g, "flatten", nl::Flatten::create(), id);
  const int64_t features = g.node(id).shape[1];
  auto fc = nl::Dense::create(features, 6, false);
  REQUIRE(fc.ok());
  fill(fc.value()->weight, rng, -0.3, 0.3);
  id = add(g, "fc", std::move(fc), id);
  id = add(g, "fc_bn", nl::Result<std::unique_ptr<nl::BatchNorm>>(trained_batchnorm(6, rng)), id);
  id = add(g, "fc_relu", nl::ReLU::create(), id);
  auto logits = nl::Dense::create(6, 4, true);
  REQUIRE(logits.ok());
  fill(logits.value()->weight, rng, -0.5, 0.5);
  fill(logits.value()->bias, rng, -0.5, 0.5);
  add(g, "logits", std::move(logits), id);

  nl::Tensor x(nl::Shape{3, 9, 7, 3});
  fill(x, rng, -1.0, 1.0);
  nl::Executor before(&g);
  REQUIRE(before.forward(x).ok());
  const nl::Tensor expected = before.value(g.output());
  const int nodes_before = g.size();

  int folded = 0;
  auto result = nl::fold_batchnorms(std::move(g), &folded);
  REQUIRE(result.ok());
  nl::Graph& f = result.value();
  CHECK(folded == 3);
  CHECK(f.size() == nodes_before - 3);
  CHECK(f.find("conv1_bn") < 0);
  CHECK(f.find("conv2") >= 0);
  CHECK(f.node(f.find("conv2")).op->params().size() == 2);  // it gained a bias
  nl::Executor after(&f);
  REQUIRE(after.forward(x).ok());
  const nl::Tensor& got = after.value(f.output());
  REQUIRE(got.shape() == expected.shape());
  double worst = 0;
  for (int64_t i = 0; i < got.elements(); ++i) worst = std::max(worst, std::fabs(static_cast<double>(got[i] - expected[i])));
  INFO("max |folded - unfolded| = " << worst);
  CHECK(worst < 1e-5);
}

TEST_CASE("a BatchNorm whose producer has another consumer is left alone", "[train]") {
  nl::Graph g;
  REQUIRE(g.set_input("input", nl::Shape{1, 4}).ok());
  auto fc = nl::Dense::create(4, 3);
  REQUIRE(fc.ok());
  int a = add(g, "fc", std::move(fc), 0);
  auto bn = nl::BatchNorm::create(3);
  int b = add(g, "bn", std::move(bn), a);
  auto sum = g.add("relu_of_fc", std::unique_ptr<nl::Op>(nl::ReLU::create().value().release()), {a});
  REQUIRE(sum.ok());
  g.set_output(b);
  int folded = -1;
  auto r = nl::fold_batchnorms(std::move(g), &folded);
  REQUIRE(r.ok());
  CHECK(folded == 0);
  CHECK(r.value().size() == 4);
  CHECK(r.value().output() == r.value().find("bn"));
}

TEST_CASE("label-smoothed cross-entropy matches its definition and finite differences", "[train]") {
  nl::Tensor z(nl::Shape{3, 5});
  nl::Rng rng(2);
  fill(z, rng, -2.0, 2.0);
  const std::vector<int> labels = {4, 0, 2};
  const float e = 0.1f;
  nl::Tensor grad;
  auto loss = nl::smoothed_cross_entropy(z, labels, e, &grad);
  REQUIRE(loss.ok());
  // -sum_k q_k log softmax(z)_k with q = (1 - e) onehot + e / C, averaged over the batch.
  auto reference = [&](const nl::Tensor& logits) {
    double total = 0;
    for (int n = 0; n < 3; ++n) {
      double lse = 0;
      for (int k = 0; k < 5; ++k) lse += std::exp(static_cast<double>(logits[n * 5 + k]));
      lse = std::log(lse);
      for (int k = 0; k < 5; ++k) {
        const double q = (k == labels[static_cast<size_t>(n)] ? 1.0 - e : 0.0) + e / 5.0;
        total -= q * (static_cast<double>(logits[n * 5 + k]) - lse);
      }
    }
    return total / 3.0;
  };
  CHECK(loss.value() == Approx(reference(z)).epsilon(1e-5));
  for (int64_t i = 0; i < z.elements(); ++i) {
    nl::Tensor zp = z, zm = z;
    zp[i] += 1e-3f;
    zm[i] -= 1e-3f;
    const double numeric = (reference(zp) - reference(zm)) / (static_cast<double>(zp[i]) - zm[i]);
    CHECK(grad[i] == Approx(numeric).margin(1e-4));
  }
}

TEST_CASE("same recipe and seed give the same weights, bit for bit", "[train]") {
  const nl::Recipe recipe = quadrant_recipe();
  const nl::ImageDataset data = quadrant_dataset(96, 1);
  nl::ThreadPool pool(2);
  auto train_once = [&](uint64_t seed) {
    nl::Recipe r = recipe;
    r.seed = seed;
    r.epochs = 2;
    r.augmentation.horizontal_flip = true;
    auto t = nl::Trainer::create(r, data, nullptr, &pool);
    REQUIRE(t.ok());
    auto result = t.value()->run();
    REQUIRE(result.ok());
    return all_weights(t.value()->model().graph);
  };
  const auto first = train_once(11), second = train_once(11), other = train_once(12);
  REQUIRE(first.size() == second.size());
  CHECK(std::memcmp(first.data(), second.data(), first.size() * sizeof(float)) == 0);
  CHECK(first != other);
}

TEST_CASE("training learns a small problem; the exported model saves, loads and agrees", "[train]") {
  const nl::Recipe recipe = quadrant_recipe();
  const nl::ImageDataset train = quadrant_dataset(192, 1), test = quadrant_dataset(80, 2);
  nl::ThreadPool pool(2);
  auto created = nl::Trainer::create(recipe, train, &test, &pool);
  REQUIRE(created.ok());
  nl::Trainer& trainer = *created.value();
  CHECK(trainer.steps_per_epoch() == 12);
  int progress_calls = 0;
  std::vector<double> losses;
  auto result = trainer.run([&](const nl::TrainProgress& p) {
    ++progress_calls;
    CHECK(p.seconds_left >= 0);
  }, [&](const nl::EpochSummary& e) { losses.push_back(e.train_loss); });
  REQUIRE(result.ok());
  CHECK(progress_calls == 6 * 12);
  REQUIRE(losses.size() == 6);
  CHECK(losses.back() < 0.5 * losses.front());
  const double accuracy = result.value().test.accuracy();
  INFO("test accuracy " << accuracy);
  CHECK(accuracy >= 0.95);

  auto exported = trainer.take_exported_model();
  REQUIRE(exported.ok());
  nl::Model& model = exported.value();
  CHECK(model.graph.find("conv1_bn") < 0);
  auto folded_eval = nl::evaluate_classifier(model.graph, model.preprocessing, test, &pool);
  REQUIRE(folded_eval.ok());
  CHECK(folded_eval.value().rows() == result.value().test.rows());

  const nl::test::TempDir dir;
  const nl::Status saved = nl::save_model(model, dir.path());
  INFO(saved.message());
  REQUIRE(saved.ok());
  auto loaded = nl::load_model(dir.path());
  INFO(loaded.status().message());
  REQUIRE(loaded.ok());
  CHECK(loaded.value().labels == train.class_names);
  auto reloaded_eval = nl::evaluate_classifier(loaded.value().graph, loaded.value().preprocessing, test, &pool);
  REQUIRE(reloaded_eval.ok());
  CHECK(reloaded_eval.value().rows() == folded_eval.value().rows());

  // The evaluation JSON is valid and holds what `neuronlens eval` promises.
  const auto j = nlohmann::json::parse(nl::evaluation_json("quadrants", "synthetic", train.class_names, reloaded_eval.value()));
  CHECK(j["accuracy"].get<double>() == Approx(reloaded_eval.value().accuracy()).margin(1e-6));
  CHECK(j["per_class_accuracy"].size() == 4);
  CHECK(j["confusion"].size() == 4);
  CHECK(j["confusion"][0].size() == 4);
  CHECK(j["images"].get<int>() == 80);
}

TEST_CASE("trainer rejects data that does not fit the recipe", "[train]") {
  nl::Recipe recipe = quadrant_recipe();
  nl::ThreadPool pool(1);
  const nl::ImageDataset small = quadrant_dataset(8, 1);
  auto too_few = nl::Trainer::create(recipe, small, nullptr, &pool);
  REQUIRE_FALSE(too_few.ok());
  CHECK(too_few.status().message().find("fewer than one batch") != std::string::npos);
  recipe.layers.back().units = 10;
  auto wrong_classes = nl::Trainer::create(recipe, quadrant_dataset(32, 1), nullptr, &pool);
  REQUIRE_FALSE(wrong_classes.ok());
  CHECK(wrong_classes.status().message().find("4 classes") != std::string::npos);
}
