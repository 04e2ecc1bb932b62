// Training progress: the numbers the trainer reports after every step, and
// the one-line progress bar the CLI draws from them on stderr.
#pragma once
#include <cstdint>
#include <string>

namespace nl {

struct TrainProgress {
  int epoch = 0, epochs = 0;                   // 1-based epoch
  int64_t step = 0, steps_per_epoch = 0;       // 1-based step within the epoch
  int64_t global_step = 0, total_steps = 0;
  double loss = 0.0;                           // mean over the epoch so far
  double accuracy = 0.0;                       // training accuracy over the epoch so far, [0, 1]
  double images_per_second = 0.0;              // recent training throughput
  double elapsed_seconds = 0.0;
  double seconds_left = 0.0;                   // estimate for the rest of the run, evaluation included
  float learning_rate = 0.0f;
};

// "1:02:03" for an hour or more, else "2:03"; "?" for a negative or non-finite value.
std::string format_duration(double seconds);

// "epoch 3/30 [#######-------------] 120/469 loss 0.3121 acc 88.9% lr 0.0412 1523 img/s 4:12 elapsed, 52:10 left"
std::string format_progress_line(const TrainProgress& progress, int bar_width = 20);

}  // namespace nl
