// A progress bar on stderr for the method's long runs (visualizations,
// sweeps over image sets, ablations): redrawn in place on a terminal (at most
// 5 times a second), one line per tenth otherwise so logs stay readable.
//   visualize conv3 [########------------] 41/128 0:12 elapsed, 0:25 left
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace nl::cli {

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total, bool quiet);
  ~ProgressBar();  // finishes the line if update() left it open

  // Sets the work done so far (0..total).
  void update(int64_t done);
  void finish();
  // For engine callbacks that may cancel: update and return true.
  bool operator()(int64_t done, int64_t total);

 private:
  void draw(int64_t done, bool final);
  std::string label_;
  int64_t total_;
  bool quiet_, tty_, open_ = false, finished_ = false;
  int last_tenth_ = -1;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace nl::cli
