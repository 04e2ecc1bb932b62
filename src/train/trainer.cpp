// Trainer: see trainer.h.
// Sections: loss with label smoothing - preprocessing and evaluation - setup -
// batches - epochs - export.
#include "train/trainer.h"

#include <chrono>
#include <cmath>

#include "kernels/thread_pool.h"
#include "nn/fold_batchnorm.h"
#include "nn/loss.h"
#include "nn/ops/batch_norm.h"
#include "train/architecture.h"
#include "train/augment.h"
#include "train/random.h"

namespace nl {

namespace {

// stream_seed purpose tags: each random decision has its own stream.
constexpr uint64_t kShuffleStream = 0x5A0F, kAugmentStream = 0xA0C3, kDropoutStream = 0xD209;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void run_on_pool(ThreadPool* pool, int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  if (pool && pool->threads() > 1 && n > 1) pool->parallel_for(n, fn);
  else fn(0, n);
}

// Pixel values in [0, 1] -> network input, for one image of `pixels` pixels.
void normalise(const float* v, float* x, int64_t pixels, int64_t channels, const Preprocessing& p) {
  const float to_raw = 255.0f * p.scale;
  for (int64_t i = 0; i < pixels; ++i)
    for (int64_t c = 0; c < channels; ++c) {
      const size_t k = p.mean.size() == 1 ? 0 : static_cast<size_t>(c);
      float value = v[i * channels + c];
      if (p.invert) value = 1.0f - value;
      x[i * channels + c] = (value * to_raw - p.mean[k]) / p.std[k];
    }
}

Status check_preprocessing(const Preprocessing& p, int64_t channels) {
  const size_t n = p.mean.size();
  if (n == 0 || n != p.std.size() || (n != 1 && static_cast<int64_t>(n) != channels))
    return Status::Error("preprocessing: mean and std need 1 or " + std::to_string(channels) + " values each, got " +
                         std::to_string(p.mean.size()) + " and " + std::to_string(p.std.size()));
  for (float s : p.std)
    if (!(s > 0.0f)) return Status::Error("preprocessing: std must be > 0");
  return Status::Ok();
}

}  // namespace

// ---- loss with label smoothing -------------------------------------------------------

Result<float> smoothed_cross_entropy(const Tensor& logits, std::span<const int> labels, float smoothing,
                                     Tensor* logits_grad) {
  auto plain = softmax_cross_entropy(logits, labels, logits_grad);
  if (!plain.ok() || smoothing == 0.0f) return plain;
  if (!(smoothing > 0.0f && smoothing < 1.0f))
    return Status::Error("label smoothing must be in [0, 1), got " + std::to_string(smoothing));
  const int64_t n = logits.shape()[0], classes = logits.shape()[1];
  double extra = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const float* z = logits.data() + i * classes;
    double mean = 0.0;
    for (int64_t k = 0; k < classes; ++k) mean += z[k];
    mean /= static_cast<double>(classes);
    const int label = labels[static_cast<size_t>(i)];
    extra += static_cast<double>(z[label]) - mean;
    if (logits_grad) {
      // d/dz of e * (z_label - mean_k z_k) / N
      float* g = logits_grad->data() + i * classes;
      const float spread = smoothing / static_cast<float>(classes * n);
      for (int64_t k = 0; k < classes; ++k) g[k] -= spread;
      g[label] += smoothing / static_cast<float>(n);
    }
  }
  return static_cast<float>(static_cast<double>(plain.value()) + smoothing * extra / static_cast<double>(n));
}

// ---- preprocessing and evaluation ----------------------------------------------------

Status preprocess_batch(const ImageDataset& data, int64_t first, int64_t count, const Preprocessing& p, Tensor* batch) {
  const Shape& s = data.images.shape();
  if (s.rank() != 4) return Status::Error("dataset: images must be [N, H, W, C], got " + s.str());
  if (first < 0 || count <= 0 || first + count > s[0])
    return Status::Error("dataset: batch [" + std::to_string(first) + ", " + std::to_string(first + count) +
                         ") outside the " + std::to_string(s[0]) + " images");
  NL_RETURN_IF_ERROR(check_preprocessing(p, s.c()));
  const Shape shape{count, s.h(), s.w(), s.c()};
  if (batch->shape() != shape) batch->resize(shape);
  const int64_t per_image = s.h() * s.w() * s.c();
  normalise(data.images.data() + first * per_image, batch->data(), count * s.h() * s.w(), s.c(), p);
  return Status::Ok();
}

Result<ConfusionMatrix> evaluate_classifier(Graph& graph, const Preprocessing& preprocessing, const ImageDataset& data,
                                            ThreadPool* pool, int batch_size) {
  if (data.size() == 0) return Status::Error("evaluate: the dataset is empty");
  if (batch_size <= 0) return Status::Error("evaluate: batch size must be positive");
  const Shape& declared = graph.node(0).shape;
  const Shape& images = data.images.shape();
  if (declared.rank() != 4 || images.rank() != 4 || declared.h() != images.h() || declared.w() != images.w() ||
      declared.c() != images.c())
    return Status::Error("evaluate: the model takes " + declared.str() + " inputs but the images are " + images.str());
  const Shape& out = graph.node(graph.output()).shape;
  if (out.rank() != 2) return Status::Error("evaluate: the model's output must be [N, classes], got " + out.str());
  const int classes = static_cast<int>(out[1]);
  for (int label : data.labels)
    if (label < 0 || label >= classes)
      return Status::Error("evaluate: label " + std::to_string(label) + " but the model has " + std::to_string(classes) +
                           " classes");
  ConfusionMatrix matrix(classes);
  Executor executor(&graph, pool);
  Tensor batch;
  for (int64_t first = 0; first < data.size(); first += batch_size) {
    const int64_t count = std::min<int64_t>(batch_size, data.size() - first);
    NL_RETURN_IF_ERROR(preprocess_batch(data, first, count, preprocessing, &batch));
    NL_RETURN_IF_ERROR(executor.forward_until(batch, graph.output(), /*training=*/false));
    matrix.add_batch(executor.value(graph.output()),
                     std::span<const int>(data.labels).subspan(static_cast<size_t>(first), static_cast<size_t>(count)));
  }
  return matrix;
}

// ---- setup -------------------------------------------------------------------------

Trainer::Trainer(const Recipe& recipe, const ImageDataset& train, const ImageDataset* test, ThreadPool* pool)
    : recipe_(recipe), train_(train), test_(test), pool_(pool) {}

Result<std::unique_ptr<Trainer>> Trainer::create(const Recipe& recipe, const ImageDataset& train,
                                                 const ImageDataset* test, ThreadPool* pool) {
  const Shape& s = train.images.shape();
  if (s.rank() != 4 || s[0] != train.size() || train.size() == 0)
    return Status::Error("trainer: the training images must be [N, H, W, C] with one label each, got " + s.str() +
                         " and " + std::to_string(train.size()) + " labels");
  if (train.size() < recipe.batch_size)
    return Status::Error("trainer: " + std::to_string(train.size()) + " training images are fewer than one batch of " +
                         std::to_string(recipe.batch_size));
  const int64_t classes = static_cast<int64_t>(train.class_names.size());
  if (classes < 2) return Status::Error("trainer: the training data needs at least 2 classes");
  for (int label : train.labels)
    if (label < 0 || label >= classes) return Status::Error("trainer: training label " + std::to_string(label) + " out of range");
  if (test && (test->images.shape().rank() != 4 || test->images.shape().h() != s.h() ||
               test->images.shape().w() != s.w() || test->images.shape().c() != s.c()))
    return Status::Error("trainer: test images " + test->images.shape().str() + " differ in size from training images " + s.str());
  NL_RETURN_IF_ERROR(recipe.augmentation.validate(s.h(), s.w()));

  std::unique_ptr<Trainer> t(new Trainer(recipe, train, test, pool));
  Model& m = t->model_;
  m.name = recipe.name;
  m.description = recipe.description;
  m.labels = train.class_names;
  m.preprocessing.colour = s.c() == 3 ? Preprocessing::Colour::kRgb : Preprocessing::Colour::kGrey;
  if (s.c() != 1 && s.c() != 3) return Status::Error("trainer: images need 1 or 3 channels, got " + std::to_string(s.c()));
  m.preprocessing.mean = recipe.mean;
  m.preprocessing.std = recipe.std;
  NL_RETURN_IF_ERROR(check_preprocessing(m.preprocessing, s.c()));
  NL_RETURN_IF_ERROR(build_architecture(recipe, Shape{1, s.h(), s.w(), s.c()}, classes, recipe.seed, &m.graph));

  t->steps_per_epoch_ = train.size() / recipe.batch_size;
  auto schedule = recipe.make_schedule(t->steps_per_epoch_);
  if (!schedule.ok()) return schedule.status();
  t->schedule_ = schedule.value();
  auto optimizer = recipe.make_optimizer();
  if (!optimizer.ok()) return optimizer.status();
  t->optimizer_ = std::move(optimizer.value());

  for (int i = 1; i < m.graph.size(); ++i) {
    Node& node = m.graph.node(i);
    node.op->zero_param_grads();  // allocates the gradients the optimizer reads
    const bool is_norm = dynamic_cast<BatchNorm*>(node.op.get()) != nullptr;
    for (const Param& p : node.op->params()) {
      if (!p.grad) continue;  // running statistics
      const bool decay = recipe.decay_biases_and_norms || (p.name == "weight" && !is_norm);
      NL_RETURN_IF_ERROR(t->optimizer_->add({node.name + "." + p.name, p.value, p.grad, decay}));
    }
  }
  t->executor_ = std::make_unique<Executor>(&m.graph, pool);
  return t;
}

// ---- batches -----------------------------------------------------------------------

void Trainer::assemble_batch(int epoch, int64_t step, const std::vector<int64_t>& order) {
  const Shape& s = train_.images.shape();
  const int64_t b = recipe_.batch_size, h = s.h(), w = s.w(), c = s.c(), per_image = h * w * c;
  const Shape shape{b, h, w, c};
  if (batch_.shape() != shape) batch_.resize(shape);
  batch_labels_.resize(static_cast<size_t>(b));
  const bool augment = recipe_.augmentation.any();
  run_on_pool(pool_, b, [&](int64_t begin, int64_t end) {
    std::vector<float> scratch(static_cast<size_t>(per_image));
    for (int64_t i = begin; i < end; ++i) {
      const int64_t position = step * b + i;
      const int64_t example = order[static_cast<size_t>(position)];
      const float* src = train_.images.data() + example * per_image;
      if (augment) {
        Rng rng(stream_seed({recipe_.seed, kAugmentStream, static_cast<uint64_t>(epoch), static_cast<uint64_t>(position)}));
        const AugmentDraw draw = draw_augmentation(recipe_.augmentation, h, w, rng);
        apply_augmentation(draw, recipe_.augmentation, src, scratch.data(), h, w, c);
        src = scratch.data();
      }
      normalise(src, batch_.data() + i * per_image, h * w, c, model_.preprocessing);
      batch_labels_[static_cast<size_t>(i)] = train_.labels[static_cast<size_t>(example)];
    }
  });
}

double Trainer::estimate_seconds_left(int64_t steps_done, double step_seconds) const {
  const int64_t total = steps_per_epoch_ * recipe_.epochs;
  double left = static_cast<double>(total - steps_done) * step_seconds;
  if (test_) {
    int evals_left = 1;  // the final evaluation
    const int done_epochs = static_cast<int>(steps_done / std::max<int64_t>(1, steps_per_epoch_));
    if (recipe_.eval_every_epochs > 0)
      for (int e = done_epochs + 1; e < recipe_.epochs; ++e) evals_left += e % recipe_.eval_every_epochs == 0;
    // Until an evaluation is timed: inference costs about a third of a training step per image.
    const double per_image = eval_seconds_per_image_ > 0 ? eval_seconds_per_image_ : step_seconds / recipe_.batch_size / 3.0;
    left += evals_left * static_cast<double>(test_->size()) * per_image;
  }
  return left;
}

// ---- epochs ------------------------------------------------------------------------

Status Trainer::train_epoch(int epoch, const ProgressFn& on_step, EpochSummary* summary) {
  const auto epoch_start = std::chrono::steady_clock::now();
  std::vector<int64_t> order(static_cast<size_t>(train_.size()));
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
  Rng shuffle_rng(stream_seed({recipe_.seed, kShuffleStream, static_cast<uint64_t>(epoch)}));
  shuffle_in_place(std::span<int64_t>(order), shuffle_rng);

  Graph& graph = model_.graph;
  const int output = graph.output();
  double loss_sum = 0.0;
  int64_t correct = 0, seen = 0;
  float lr = 0.0f;
  for (int64_t step = 0; step < steps_per_epoch_; ++step) {
    const auto step_start = std::chrono::steady_clock::now();
    assemble_batch(epoch, step, order);
    const uint64_t dropout_seed = stream_seed({recipe_.seed, kDropoutStream, static_cast<uint64_t>(global_step_)});
    NL_RETURN_IF_ERROR(executor_->forward_until(batch_, output, /*training=*/true, dropout_seed));
    const Tensor& logits = executor_->value(output);
    auto loss = smoothed_cross_entropy(logits, batch_labels_, recipe_.label_smoothing, &logits_grad_);
    if (!loss.ok()) return loss.status();
    if (!std::isfinite(loss.value()))
      return Status::Error("training diverged at epoch " + std::to_string(epoch + 1) + ", step " + std::to_string(step + 1) +
                           " (loss " + std::to_string(loss.value()) + "): try a lower learning rate");
    const int64_t classes = logits.shape()[1];
    for (int64_t i = 0; i < logits.shape()[0]; ++i)
      correct += argmax(logits.data() + i * classes, classes) == batch_labels_[static_cast<size_t>(i)];

    for (int i = 1; i < graph.size(); ++i) graph.node(i).op->zero_param_grads();
    BackwardRequest request;
    request.from = output;
    request.seed = &logits_grad_;
    request.want_param_grads = true;
    request.keep_intermediate_grads = false;
    request.want_stop_at_grad = false;  // the input's gradient is not needed
    NL_RETURN_IF_ERROR(executor_->backward(request));
    lr = schedule_.at(global_step_);
    NL_RETURN_IF_ERROR(optimizer_->step(lr));
    ++global_step_;

    loss_sum += loss.value();
    seen += recipe_.batch_size;
    const double step_seconds = seconds_since(step_start);
    run_seconds_ += step_seconds;
    const double ips = static_cast<double>(recipe_.batch_size) / std::max(step_seconds, 1e-9);
    recent_images_per_second_ = recent_images_per_second_ == 0.0 ? ips : 0.9 * recent_images_per_second_ + 0.1 * ips;
    if (on_step) {
      TrainProgress p;
      p.epoch = epoch + 1;
      p.epochs = recipe_.epochs;
      p.step = step + 1;
      p.steps_per_epoch = steps_per_epoch_;
      p.global_step = global_step_;
      p.total_steps = steps_per_epoch_ * recipe_.epochs;
      p.loss = loss_sum / static_cast<double>(step + 1);
      p.accuracy = static_cast<double>(correct) / static_cast<double>(seen);
      p.images_per_second = recent_images_per_second_;
      p.elapsed_seconds = run_seconds_;
      p.seconds_left = estimate_seconds_left(global_step_, run_seconds_ / static_cast<double>(global_step_));
      p.learning_rate = lr;
      on_step(p);
    }
  }
  summary->epoch = epoch + 1;
  summary->train_loss = steps_per_epoch_ > 0 ? loss_sum / static_cast<double>(steps_per_epoch_) : 0.0;
  summary->train_accuracy = seen > 0 ? static_cast<double>(correct) / static_cast<double>(seen) : 0.0;
  summary->learning_rate = lr;
  summary->seconds = seconds_since(epoch_start);
  return Status::Ok();
}

Result<TrainResult> Trainer::run(const ProgressFn& on_step, const EpochFn& on_epoch) {
  const auto start = std::chrono::steady_clock::now();
  TrainResult result;
  double train_seconds = 0.0;
  for (int epoch = 0; epoch < recipe_.epochs; ++epoch) {
    EpochSummary summary;
    NL_RETURN_IF_ERROR(train_epoch(epoch, on_step, &summary));
    train_seconds += summary.seconds;
    const bool last = epoch + 1 == recipe_.epochs;
    const bool scheduled = recipe_.eval_every_epochs > 0 && (epoch + 1) % recipe_.eval_every_epochs == 0;
    if (test_ && (last || scheduled)) {
      const auto eval_start = std::chrono::steady_clock::now();
      auto matrix = evaluate_classifier(model_.graph, model_.preprocessing, *test_, pool_);
      if (!matrix.ok()) return matrix.status();
      const double eval_seconds = seconds_since(eval_start);
      eval_seconds_per_image_ = eval_seconds / static_cast<double>(test_->size());
      summary.seconds += eval_seconds;
      summary.test_accuracy = matrix.value().accuracy();
      if (last) result.test = matrix.value();
    }
    result.epochs.push_back(summary);
    if (on_epoch) on_epoch(summary);
  }
  result.seconds = seconds_since(start);
  result.images_per_second =
      train_seconds > 0 ? static_cast<double>(steps_per_epoch_ * recipe_.epochs * recipe_.batch_size) / train_seconds : 0.0;
  return result;
}

// ---- export ------------------------------------------------------------------------

Result<Model> Trainer::take_exported_model() {
  executor_.reset();  // it points at the graph about to be replaced
  auto folded = fold_batchnorms(std::move(model_.graph));
  if (!folded.ok()) return folded.status();
  model_.graph = std::move(folded.value());
  return std::move(model_);
}

}  // namespace nl
