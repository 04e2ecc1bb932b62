// Recipe: everything that determines a training run, read from a JSON file
// (format documented in docs/recipes.md): data, preprocessing, architecture,
// augmentation, optimizer, schedule, epochs, batch size and seed. The same
// recipe and seed give the same weights on the same build.
//
// Parsing is strict: unknown keys, wrong types and out-of-range values are
// errors naming the key path (e.g. "optimizer.momentum"), so a typo cannot
// silently fall back to a default.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "nn/optimizer.h"
#include "nn/schedule.h"
#include "tensor/status.h"
#include "train/augment.h"

namespace nl {

// One entry of the architecture list; which fields apply depends on `type`.
struct LayerSpec {
  enum class Type { conv, maxpool, avgpool, global_avgpool, dropout, flatten, dense };
  Type type = Type::conv;
  int64_t units = 0;        // conv: output channels; dense: output features
  int kernel = 3;           // conv, pools
  int stride = 1;           // conv (default 1), pools (default = kernel)
  int padding = -1;         // conv: -1 = "same" (kernel / 2); pools: 0
  bool batchnorm = false;   // conv, dense: BatchNorm after the layer, before the activation
  bool relu = false;        // conv, dense: ReLU at the end
  float rate = 0.0f;        // dropout probability
};

struct Recipe {
  std::string name;
  std::string description;
  uint64_t seed = 1;
  int epochs = 1;
  int batch_size = 128;
  int threads = 2;                 // thread-pool size, the calling thread included
  int eval_every_epochs = 0;       // evaluate on the test set every N epochs (0: only at the end)

  // data
  std::string train_data;          // "fashion-train", "digits-train"
  std::string test_data;           // "fashion-test", "digits-test"
  int64_t train_limit = 0;         // > 0: a seeded random subset of this size (smoke runs)
  int64_t test_limit = 0;

  // preprocessing: x = (pixel - mean[c]) / std[c], pixels in [0, 1]
  std::vector<float> mean = {0.0f};
  std::vector<float> std = {1.0f};

  std::vector<LayerSpec> layers;
  float batchnorm_momentum = 0.1f; // PyTorch's: running = (1 - m) running + m batch
  float batchnorm_eps = 1e-5f;

  AugmentOptions augmentation;
  float label_smoothing = 0.0f;

  // optimizer
  std::string optimizer = "sgd";   // "sgd", "adam", "adamw"
  float learning_rate = 0.1f;
  SgdOptions sgd;
  AdamOptions adam;
  bool decay_biases_and_norms = false;  // weight decay on biases and BatchNorm scale/shift too

  // schedule, in epochs (converted to optimizer steps by the trainer)
  ScheduleOptions::Kind schedule = ScheduleOptions::Kind::cosine;
  float warmup_epochs = 0.0f;
  float warmup_start_factor = 0.1f;
  float min_learning_rate = 0.0f;
  float gamma = 0.1f;
  std::vector<float> milestone_epochs;

  // The schedule for a run of `steps_per_epoch` steps per epoch.
  Result<LearningRateSchedule> make_schedule(int64_t steps_per_epoch) const;
  // The configured optimizer, empty (tensors are added by the trainer).
  Result<std::unique_ptr<Optimizer>> make_optimizer() const;
};

// Parses and validates a recipe; `source` (a file name) prefixes errors.
Result<Recipe> parse_recipe(const std::string& json_text, const std::string& source);
Result<Recipe> load_recipe(const std::string& path);

// The layer type's name in recipes ("conv", "maxpool", ...).
std::string layer_type_name(LayerSpec::Type type);

}  // namespace nl
