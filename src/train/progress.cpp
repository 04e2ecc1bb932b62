// Progress-line formatting; see progress.h.
#include "train/progress.h"

#include <cmath>
#include <cstdio>

namespace nl {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const int64_t total = static_cast<int64_t>(std::llround(seconds));
  const int64_t h = total / 3600, m = (total / 60) % 60, s = total % 60;
  char buf[48];
  if (h > 0) std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(h), static_cast<long long>(m),
                           static_cast<long long>(s));
  else std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(m), static_cast<long long>(s));
  return buf;
}

std::string format_progress_line(const TrainProgress& p, int bar_width) {
  const double done = p.steps_per_epoch > 0 ? static_cast<double>(p.step) / static_cast<double>(p.steps_per_epoch) : 0.0;
  int filled = static_cast<int>(done * bar_width);
  if (filled > bar_width) filled = bar_width;
  std::string bar = "[";  // appended piecewise: g++ 12 warns falsely on "[" + std::string(...)
  bar.append(static_cast<size_t>(filled), '#');
  bar.append(static_cast<size_t>(bar_width - filled), '-');
  bar += ']';
  char buf[256];
  std::snprintf(buf, sizeof buf, "epoch %d/%d %s %lld/%lld loss %.4f acc %.1f%% lr %.4g %.0f img/s %s elapsed, %s left",
                p.epoch, p.epochs, bar.c_str(), static_cast<long long>(p.step), static_cast<long long>(p.steps_per_epoch),
                p.loss, 100.0 * p.accuracy, static_cast<double>(p.learning_rate), p.images_per_second,
                format_duration(p.elapsed_seconds).c_str(), format_duration(p.seconds_left).c_str());
  return buf;
}

}  // namespace nl
