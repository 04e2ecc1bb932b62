// Learning-rate schedules, as a function of the optimizer step (0-based: the
// rate used by the first update is at(0)). Recipes speak in epochs; the
// trainer converts them to steps.
//
//   warm-up (any kind), t < warmup_steps:
//     lr = base * (f + (1 - f) * t / warmup_steps),  f = warmup_start_factor
//   constant:  lr = base
//   cosine:    p = (t - warmup) / (total - warmup) clamped to [0, 1],
//              lr = min + (base - min) * (1 + cos(pi * p)) / 2
//              (PyTorch's CosineAnnealingLR closed form with T_max = total - warmup)
//   step:      lr = base * gamma ^ (number of milestones <= t)
//              (MultiStepLR; evenly spaced milestones give StepLR)
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "tensor/status.h"

namespace nl {

struct ScheduleOptions {
  enum class Kind { constant, cosine, step };
  Kind kind = Kind::constant;
  float base_lr = 0.1f;
  int64_t total_steps = 0;         // cosine: the step at which lr reaches min_lr
  int64_t warmup_steps = 0;
  float warmup_start_factor = 0.0f;
  float min_lr = 0.0f;             // cosine only
  float gamma = 0.1f;              // step only
  std::vector<int64_t> milestones; // step only: ascending steps where lr *= gamma
};

class LearningRateSchedule {
 public:
  // Checks the options: base_lr > 0, 0 <= min_lr <= base_lr, warm-up within
  // the total (cosine), gamma in (0, 1], milestones ascending and positive.
  static Result<LearningRateSchedule> create(const ScheduleOptions& options);
  LearningRateSchedule() = default;

  float at(int64_t step) const;
  const ScheduleOptions& options() const { return o_; }

  // "cosine", "step", "constant", and back (error naming the text otherwise).
  static std::string kind_name(ScheduleOptions::Kind kind);
  static Result<ScheduleOptions::Kind> parse_kind(const std::string& name);

 private:
  explicit LearningRateSchedule(ScheduleOptions o) : o_(std::move(o)) {}
  ScheduleOptions o_;
};

}  // namespace nl
