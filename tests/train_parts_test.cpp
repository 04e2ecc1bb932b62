// The trainer's parts that need no network: augmentation, the deterministic
// generator, the confusion matrix, recipe parsing and the progress line.
#include <catch2/catch.hpp>

#include <set>

#include "train/augment.h"
#include "train/confusion_matrix.h"
#include "train/progress.h"
#include "train/random.h"
#include "train/recipe.h"

namespace {

// A 4x5 single-channel image whose pixel (y, x) holds 10*y + x + 1.
std::vector<float> ramp_image() {
  std::vector<float> img(20);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 5; ++x) img[static_cast<size_t>(y * 5 + x)] = static_cast<float>(10 * y + x + 1);
  return img;
}

const char* kMinimalRecipe = R"({
  "name": "tiny", "epochs": 3, "batch_size": 8, "seed": 7,
  "data": {"train": "fashion-train", "test": "fashion-test"},
  "architecture": [
    {"type": "conv", "channels": 4, "batchnorm": true, "activation": "relu"},
    {"type": "maxpool"},
    {"type": "flatten"},
    {"type": "dense", "units": 10}
  ],
  "optimizer": {"type": "sgd", "learning_rate": 0.1, "momentum": 0.9, "nesterov": true, "weight_decay": 5e-4},
  "schedule": {"type": "cosine", "warmup_epochs": 1}
})";

}  // namespace

TEST_CASE("shift, flip and erase move pixels as specified", "[train]") {
  const auto src = ramp_image();
  std::vector<float> dst(20);
  nl::AugmentOptions o;
  SECTION("shift by (+1, -2): output (y, x) reads input (y + 1, x - 2), zero outside") {
    nl::AugmentDraw d;
    d.shift_y = 1;
    d.shift_x = -2;
    nl::apply_augmentation(d, o, src.data(), dst.data(), 4, 5, 1);
    CHECK(dst[0 * 5 + 2] == 11.0f);  // (0,2) <- (1,0)
    CHECK(dst[2 * 5 + 4] == 33.0f);  // (2,4) <- (3,2)
    CHECK(dst[0 * 5 + 1] == 0.0f);   // x - 2 < 0
    CHECK(dst[3 * 5 + 3] == 0.0f);   // y + 1 = 4 is outside
  }
  SECTION("flip mirrors each row") {
    nl::AugmentDraw d;
    d.flip = true;
    nl::apply_augmentation(d, o, src.data(), dst.data(), 4, 5, 1);
    CHECK(dst[0] == 5.0f);
    CHECK(dst[1 * 5 + 4] == 11.0f);
  }
  SECTION("erase zeroes a square clipped at the border") {
    o.erase_size = 2;
    nl::AugmentDraw d;
    d.erase = true;
    d.erase_y = 0;  // rows [-1, 1) -> row 0 only
    d.erase_x = 4;  // columns [3, 5)
    nl::apply_augmentation(d, o, src.data(), dst.data(), 4, 5, 1);
    CHECK(dst[3] == 0.0f);
    CHECK(dst[4] == 0.0f);
    CHECK(dst[2] == 3.0f);
    CHECK(dst[1 * 5 + 3] == 14.0f);
  }
}

TEST_CASE("augmentation draws cover the range and repeat for the same seed", "[train]") {
  nl::AugmentOptions o;
  o.max_shift = 2;
  o.horizontal_flip = true;
  std::set<int> shifts;
  int flips = 0;
  for (uint64_t i = 0; i < 400; ++i) {
    nl::Rng a(nl::stream_seed({7, 1, i})), b(nl::stream_seed({7, 1, i}));
    auto da = nl::draw_augmentation(o, 28, 28, a), db = nl::draw_augmentation(o, 28, 28, b);
    CHECK(da.shift_x == db.shift_x);
    CHECK(da.flip == db.flip);
    shifts.insert(da.shift_x);
    flips += da.flip;
  }
  CHECK(shifts == std::set<int>{-2, -1, 0, 1, 2});
  CHECK(flips > 150);
  CHECK(flips < 250);
  o.horizontal_flip = false;
  nl::Rng rng(3);
  for (int i = 0; i < 50; ++i) CHECK_FALSE(nl::draw_augmentation(o, 28, 28, rng).flip);
  CHECK_FALSE(nl::AugmentOptions{.max_shift = 28}.validate(28, 28).ok());
}

TEST_CASE("seed streams differ and a shuffle is a seeded permutation", "[train]") {
  CHECK(nl::stream_seed({1, 2, 3}) != nl::stream_seed({1, 2, 4}));
  CHECK(nl::stream_seed({1, 2, 3}) != nl::stream_seed({1, 3, 2}));
  CHECK(nl::stream_seed({1, 2, 3}) == nl::stream_seed({1, 2, 3}));
  std::vector<int> v(100);
  for (int i = 0; i < 100; ++i) v[static_cast<size_t>(i)] = i;
  nl::Rng s(9);
  nl::shuffle_in_place(std::span<int>(v), s);
  std::set<int> seen(v.begin(), v.end());
  CHECK(seen.size() == 100);
  CHECK(v != std::vector<int>(seen.begin(), seen.end()));
}

TEST_CASE("confusion matrix: accuracy, per-class accuracy, rows", "[train]") {
  nl::ConfusionMatrix m(3);
  // truth 0: predicted 0, 0, 1; truth 1: 1; truth 2: 0, 2.
  nl::Tensor logits(nl::Shape{6, 3});
  const float rows[6][3] = {{3, 1, 0}, {2, 1, 1}, {0, 5, 1}, {0, 2, 1}, {4, 0, 3}, {0, 0, 1}};
  for (int i = 0; i < 6; ++i)
    for (int k = 0; k < 3; ++k) logits[i * 3 + k] = rows[i][k];
  const std::vector<int> labels = {0, 0, 0, 1, 2, 2};
  m.add_batch(logits, labels);
  CHECK(m.total() == 6);
  CHECK(m.correct() == 4);
  CHECK(m.accuracy() == Approx(4.0 / 6.0));
  const auto per_class = m.per_class_accuracy();
  CHECK(per_class[0] == Approx(2.0 / 3.0));
  CHECK(per_class[1] == Approx(1.0));
  CHECK(per_class[2] == Approx(0.5));
  CHECK(m.rows() == std::vector<std::vector<int64_t>>{{2, 1, 0}, {0, 1, 0}, {1, 0, 1}});
  CHECK(nl::argmax(rows[5], 3) == 2);
}

TEST_CASE("recipe: a valid file parses into the expected settings", "[train]") {
  auto r = nl::parse_recipe(kMinimalRecipe, "tiny.json");
  REQUIRE(r.ok());
  const nl::Recipe& recipe = r.value();
  CHECK(recipe.name == "tiny");
  CHECK(recipe.seed == 7);
  CHECK(recipe.layers.size() == 4);
  CHECK(recipe.layers[0].units == 4);
  CHECK(recipe.layers[0].batchnorm);
  CHECK(recipe.layers[0].relu);
  CHECK(recipe.layers[0].padding == -1);
  CHECK(recipe.layers[1].kernel == 2);
  CHECK(recipe.layers[1].stride == 2);
  CHECK(recipe.sgd.nesterov);
  CHECK(recipe.sgd.weight_decay == Approx(5e-4));
  // 3 epochs of 10 steps, 1 epoch of warm-up starting at 0.1 * lr.
  auto schedule = recipe.make_schedule(10);
  REQUIRE(schedule.ok());
  CHECK(schedule.value().at(0) == Approx(0.01));
  CHECK(schedule.value().at(10) == Approx(0.1));
  CHECK(schedule.value().at(20) == Approx(0.05));
}

TEST_CASE("recipe: mistakes give errors naming the key", "[train]") {
  auto expect_error = [](std::string text, const std::string& needle) {
    auto r = nl::parse_recipe(text, "bad.json");
    REQUIRE_FALSE(r.ok());
    INFO(r.status().message());
    CHECK(r.status().message().find(needle) != std::string::npos);
    CHECK(r.status().message().find("bad.json") != std::string::npos);
  };
  auto replace = [](std::string text, const std::string& from, const std::string& to) {
    text.replace(text.find(from), from.size(), to);
    return text;
  };
  const std::string ok = kMinimalRecipe;
  expect_error("{", "not valid JSON");
  expect_error("[1]", "object");
  expect_error(replace(ok, "\"momentum\": 0.9", "\"momentun\": 0.9"), "optimizer.momentun");
  expect_error(replace(ok, "\"momentum\": 0.9", "\"momentum\": \"high\""), "optimizer.momentum");
  expect_error(replace(ok, "\"epochs\": 3", "\"epochs\": 0"), "epochs");
  expect_error(replace(ok, "\"type\": \"maxpool\"", "\"type\": \"maxpooling\""), "architecture[1].type");
  expect_error(replace(ok, "\"channels\": 4", "\"channels\": -4"), "architecture[0].channels");
  expect_error(replace(ok, "\"type\": \"cosine\"", "\"type\": \"linear\""), "schedule.type");
  expect_error(replace(ok, "\"warmup_epochs\": 1", "\"warmup_epochs\": 5"), "warm-up");
  expect_error(replace(ok, "\"type\": \"sgd\"", "\"type\": \"rmsprop\""), "optimizer.type");
  expect_error(replace(ok, "{\"type\": \"dense\", \"units\": 10}", "{\"type\": \"flatten\"}"), "last layer");
  expect_error(replace(ok, "\"momentum\": 0.9, \"nesterov\": true", "\"nesterov\": true"), "Nesterov");
  CHECK_FALSE(nl::load_recipe("/nonexistent/recipe.json").ok());
}

TEST_CASE("progress line and durations", "[train]") {
  CHECK(nl::format_duration(0) == "0:00");
  CHECK(nl::format_duration(125.4) == "2:05");
  CHECK(nl::format_duration(3723) == "1:02:03");
  CHECK(nl::format_duration(-1) == "?");
  nl::TrainProgress p;
  p.epoch = 3;
  p.epochs = 30;
  p.step = 50;
  p.steps_per_epoch = 100;
  p.loss = 0.31234;
  p.accuracy = 0.889;
  p.images_per_second = 1523.2;
  p.elapsed_seconds = 252;
  p.seconds_left = 3130;
  p.learning_rate = 0.0412f;
  const std::string line = nl::format_progress_line(p, 10);
  CHECK(line == "epoch 3/30 [#####-----] 50/100 loss 0.3123 acc 88.9% lr 0.0412 1523 img/s 4:12 elapsed, 52:10 left");
}
