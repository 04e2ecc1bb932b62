// Trainer: mini-batch training of a recipe's network with the engine's own
// forward and hand-derived backward passes.
//
// One step: pick the next batch of a seeded shuffle, augment each image with
// its own seeded generator (in parallel on the pool), normalise, run forward
// in training mode (batch statistics, dropout), softmax cross-entropy (with
// optional label smoothing), backward to every parameter, one optimizer step
// at the scheduled learning rate. Each epoch uses floor(N / batch) full
// batches; the examples left over differ from epoch to epoch.
//
// Determinism: every random choice (initialisation, shuffle, augmentation,
// dropout) is a function of the recipe's seed and the position in the run,
// and every op reduces in a fixed order, so the same recipe, seed, data and
// thread count give the same weights, bit for bit, on the same build.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "data/image_dataset.h"
#include "model/model_file.h"
#include "nn/executor.h"
#include "nn/optimizer.h"
#include "nn/schedule.h"
#include "train/confusion_matrix.h"
#include "train/progress.h"
#include "train/recipe.h"

namespace nl {

class ThreadPool;

struct EpochSummary {
  int epoch = 0;                 // 1-based
  double train_loss = 0.0;       // mean over the epoch's batches
  double train_accuracy = 0.0;   // on the augmented training batches, in training mode
  double test_accuracy = -1.0;   // -1 when the test set was not evaluated after this epoch
  double seconds = 0.0;          // wall time of the epoch, evaluation included
  float learning_rate = 0.0f;    // at the epoch's last step
};

struct TrainResult {
  std::vector<EpochSummary> epochs;
  ConfusionMatrix test;          // of the final weights on the test set
  double seconds = 0.0;          // the whole run
  double images_per_second = 0.0;  // training throughput over the run
};

// Mean softmax cross-entropy against targets smoothed towards uniform:
//   (1 - e) * CE(label) + e * mean_k CE(k) = CE(label) + e * (z_label - mean_k z_k)
// and its gradient (softmax - (1 - e) onehot - e / C) / N written to logits_grad.
// e = 0 is plain softmax_cross_entropy.
Result<float> smoothed_cross_entropy(const Tensor& logits, std::span<const int> labels, float smoothing,
                                     Tensor* logits_grad);

// Normalised input batch for `count` images starting at `first` of `data`:
// x = (v * 255 * scale - mean[c]) / std[c] (after 255 - p when inverting).
Status preprocess_batch(const ImageDataset& data, int64_t first, int64_t count, const Preprocessing& preprocessing,
                        Tensor* batch);

// Evaluates a classifier (any graph whose output is [N, classes]) on a dataset
// in inference mode, in batches.
Result<ConfusionMatrix> evaluate_classifier(Graph& graph, const Preprocessing& preprocessing, const ImageDataset& data,
                                            ThreadPool* pool, int batch_size = 256);

class Trainer {
 public:
  using ProgressFn = std::function<void(const TrainProgress&)>;
  using EpochFn = std::function<void(const EpochSummary&)>;

  // Builds the network (input shape and classes from `train`), the optimizer
  // and the schedule. `train` and `test` must outlive the trainer.
  static Result<std::unique_ptr<Trainer>> create(const Recipe& recipe, const ImageDataset& train,
                                                 const ImageDataset* test, ThreadPool* pool);

  // Trains every epoch of the recipe, evaluating on the test set as the recipe
  // says and at the end. on_step runs after every step, on_epoch after each epoch.
  Result<TrainResult> run(const ProgressFn& on_step = {}, const EpochFn& on_epoch = {});

  // One epoch (0-based); the running loss and accuracy land in `summary`.
  Status train_epoch(int epoch, const ProgressFn& on_step, EpochSummary* summary);

  // The model being trained: training graph (BatchNorm unfolded), preprocessing, labels.
  Model& model() { return model_; }
  // Moves the model out with BatchNorm folded into the convolutions, ready to
  // save. The trainer cannot be used afterwards.
  Result<Model> take_exported_model();

  int64_t steps_per_epoch() const { return steps_per_epoch_; }
  const LearningRateSchedule& schedule() const { return schedule_; }

 private:
  Trainer(const Recipe& recipe, const ImageDataset& train, const ImageDataset* test, ThreadPool* pool);
  void assemble_batch(int epoch, int64_t step, const std::vector<int64_t>& order);
  double estimate_seconds_left(int64_t steps_done_in_run, double step_seconds) const;

  Recipe recipe_;
  const ImageDataset& train_;
  const ImageDataset* test_;
  ThreadPool* pool_;
  Model model_;
  std::unique_ptr<Executor> executor_;
  std::unique_ptr<Optimizer> optimizer_;
  LearningRateSchedule schedule_;
  int64_t steps_per_epoch_ = 0;
  int64_t global_step_ = 0;
  Tensor batch_, logits_grad_;
  std::vector<int> batch_labels_;
  double run_seconds_ = 0.0;        // training time so far (for the estimate of what is left)
  double eval_seconds_per_image_ = 0.0;
  double recent_images_per_second_ = 0.0;
};

}  // namespace nl
