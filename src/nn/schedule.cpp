// Learning-rate schedules; the formulas are in schedule.h.
#include "nn/schedule.h"

#include <cmath>

namespace nl {

namespace {
constexpr double kPi = 3.14159265358979323846;
std::string str(double v) { return std::to_string(v); }
}  // namespace

Result<LearningRateSchedule> LearningRateSchedule::create(const ScheduleOptions& o) {
  const std::string what = "learning-rate schedule (" + kind_name(o.kind) + "): ";
  if (!(o.base_lr > 0.0f) || !std::isfinite(o.base_lr))
    return Status::Error(what + "base learning rate must be finite and > 0, got " + str(o.base_lr));
  if (o.warmup_steps < 0) return Status::Error(what + "warm-up steps must be >= 0, got " + std::to_string(o.warmup_steps));
  if (!(o.warmup_start_factor >= 0.0f && o.warmup_start_factor <= 1.0f))
    return Status::Error(what + "warm-up start factor must be in [0, 1], got " + str(o.warmup_start_factor));
  if (o.kind == ScheduleOptions::Kind::cosine) {
    if (o.total_steps <= 0) return Status::Error(what + "total steps must be > 0, got " + std::to_string(o.total_steps));
    if (o.warmup_steps > o.total_steps)
      return Status::Error(what + "warm-up (" + std::to_string(o.warmup_steps) + " steps) is longer than the run (" +
                           std::to_string(o.total_steps) + " steps)");
    if (!(o.min_lr >= 0.0f && o.min_lr <= o.base_lr))
      return Status::Error(what + "minimum learning rate must be in [0, base " + str(o.base_lr) + "], got " + str(o.min_lr));
  }
  if (o.kind == ScheduleOptions::Kind::step) {
    if (!(o.gamma > 0.0f && o.gamma <= 1.0f)) return Status::Error(what + "gamma must be in (0, 1], got " + str(o.gamma));
    for (size_t i = 0; i < o.milestones.size(); ++i) {
      if (o.milestones[i] <= 0) return Status::Error(what + "milestones must be > 0, got " + std::to_string(o.milestones[i]));
      if (i > 0 && o.milestones[i] <= o.milestones[i - 1])
        return Status::Error(what + "milestones must ascend, got " + std::to_string(o.milestones[i - 1]) + " then " +
                             std::to_string(o.milestones[i]));
    }
  }
  return LearningRateSchedule(o);
}

float LearningRateSchedule::at(int64_t step) const {
  const double base = o_.base_lr;
  if (step < 0) step = 0;
  if (step < o_.warmup_steps) {
    const double f = o_.warmup_start_factor;
    return static_cast<float>(base * (f + (1.0 - f) * static_cast<double>(step) / static_cast<double>(o_.warmup_steps)));
  }
  switch (o_.kind) {
    case ScheduleOptions::Kind::constant:
      return o_.base_lr;
    case ScheduleOptions::Kind::cosine: {
      const int64_t span = o_.total_steps - o_.warmup_steps;
      double p = span > 0 ? static_cast<double>(step - o_.warmup_steps) / static_cast<double>(span) : 1.0;
      if (p > 1.0) p = 1.0;
      const double lo = o_.min_lr;
      return static_cast<float>(lo + (base - lo) * (1.0 + std::cos(kPi * p)) / 2.0);
    }
    case ScheduleOptions::Kind::step: {
      int passed = 0;
      for (int64_t m : o_.milestones)
        if (m <= step) ++passed;
      return static_cast<float>(base * std::pow(static_cast<double>(o_.gamma), passed));
    }
  }
  return o_.base_lr;
}

std::string LearningRateSchedule::kind_name(ScheduleOptions::Kind kind) {
  switch (kind) {
    case ScheduleOptions::Kind::constant: return "constant";
    case ScheduleOptions::Kind::cosine: return "cosine";
    case ScheduleOptions::Kind::step: return "step";
  }
  return "?";
}

Result<ScheduleOptions::Kind> LearningRateSchedule::parse_kind(const std::string& name) {
  if (name == "constant") return ScheduleOptions::Kind::constant;
  if (name == "cosine") return ScheduleOptions::Kind::cosine;
  if (name == "step") return ScheduleOptions::Kind::step;
  return Status::Error("learning-rate schedule: unknown kind '" + name + "' (expected cosine, step or constant)");
}

}  // namespace nl
