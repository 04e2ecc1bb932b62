// Progress bar; see progress_bar.h.
#include "cli/progress_bar.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "train/progress.h"

namespace nl::cli {

ProgressBar::ProgressBar(std::string label, int64_t total, bool quiet)
    : label_(std::move(label)), total_(std::max<int64_t>(1, total)), quiet_(quiet), tty_(isatty(fileno(stderr)) != 0),
      start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() {
  if (open_) std::fputc('\n', stderr);
}

bool ProgressBar::operator()(int64_t done, int64_t total) {
  total_ = std::max<int64_t>(1, total);
  update(done);
  return true;
}

void ProgressBar::update(int64_t done) {
  if (quiet_ || finished_) return;
  done = std::clamp<int64_t>(done, 0, total_);
  const auto now = std::chrono::steady_clock::now();
  if (tty_) {
    if (done < total_ && now - last_draw_ < std::chrono::milliseconds(200)) return;
    last_draw_ = now;
    draw(done, false);
  } else {
    const int tenth = static_cast<int>(done * 10 / total_);
    if (tenth == last_tenth_) return;
    last_tenth_ = tenth;
    draw(done, false);
  }
}

void ProgressBar::finish() {
  if (quiet_ || finished_) return;
  if (tty_ || last_tenth_ != 10) draw(total_, true);
  finished_ = true;
}

void ProgressBar::draw(int64_t done, bool final) {
  constexpr int kWidth = 20;
  const double fraction = static_cast<double>(done) / static_cast<double>(total_);
  const int filled = std::min(kWidth, static_cast<int>(fraction * kWidth));
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double left = done > 0 ? elapsed * static_cast<double>(total_ - done) / static_cast<double>(done) : -1;
  const std::string bar = std::string(static_cast<size_t>(filled), '#') + std::string(static_cast<size_t>(kWidth - filled), '-');
  std::fprintf(stderr, "%s%s [%s] %lld/%lld %s elapsed, %s left%s", tty_ ? "\r" : "", label_.c_str(), bar.c_str(),
               static_cast<long long>(done), static_cast<long long>(total_), format_duration(elapsed).c_str(),
               format_duration(left).c_str(), tty_ ? "\033[K" : "\n");
  open_ = tty_;
  if (final && tty_) {
    std::fputc('\n', stderr);
    open_ = false;
  }
  std::fflush(stderr);
}

}  // namespace nl::cli
