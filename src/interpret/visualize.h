// Feature visualization by gradient ascent on the input pixels, the network
// frozen in inference mode (METHOD.md, "Visualization").
//
// Default (the paper's): plain gradient steps with learning rate 0.14 for 1000
// iterations from a constant near-black image, a 3x3 Gaussian blur (sigma 0.4)
// after every step, no penalty. Options: L2 decay, total variation, jitter,
// random scale and rotation, Adam, several images pushed apart by a diversity
// term, start from noise or a given image. Runs are seeded: the same settings
// and seed give the same image bit for bit on a given build.
//
// The image is optimised in the model's input space (after its normalisation);
// InputTransform maps display pixels in [0, 1] to that space and back.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "interpret/objective.h"
#include "nn/executor.h"
#include "tensor/rng.h"

namespace nl {

// Model input = pixel * scale[c] + shift[c] per channel (e.g. scale = 1/std, shift = -mean/std).
struct InputTransform {
  std::vector<float> scale{1.0f};
  std::vector<float> shift{0.0f};
  float to_input(float pixel, int64_t c) const { return pixel * scale[c % scale.size()] + shift[c % shift.size()]; }
  float to_pixel(float input, int64_t c) const { return (input - shift[c % shift.size()]) / scale[c % scale.size()]; }
};

struct VisualizeOptions {
  int steps = 1000;
  float learning_rate = 0.14f;
  enum class Optimizer { kGradient, kAdam } optimizer = Optimizer::kGradient;
  float blur_sigma = 0.4f;      // 0: no blur after each step
  float l2_decay = 0.0f;        // penalty weight * 0.5 * |x|^2
  float total_variation = 0.0f; // penalty weight * TV(x)
  int jitter = 0;               // random circular shift up to this many pixels each step
  float scale_jitter = 0.0f;    // random scale in [1 - s, 1 + s] each step
  float rotate_degrees = 0.0f;  // random rotation in [-r, r] each step
  int images = 1;               // several images for one objective...
  float diversity = 0.0f;       // ...pushed apart by penalising the cosine similarity of their activations
  enum class Start { kConstant, kNoise, kImage } start = Start::kConstant;
  float start_pixel = 0.05f;    // the constant start, in display pixels (near black)
  float noise_std = 0.1f;       // the noise start, in display pixels around 0.5
  const Tensor* start_image = nullptr;  // kImage: [1, H, W, C] model input
  InputTransform transform;  // the model's own: maps the start pixels into input space
  uint64_t seed = 1;
};

struct VisualizeResult {
  Tensor image;                   // [images, H, W, C], in model input space
  std::vector<double> objective;  // J per step (mean over images), for plotting
  bool cancelled = false;
};

// Called after every step with (step index from 1, J); return false to cancel.
using VisualizeProgress = std::function<bool(int step, double objective)>;

Result<VisualizeResult> visualize(Executor& executor, const Objective& objective, const VisualizeOptions& options,
                                  const VisualizeProgress& progress = nullptr);

// The same optimisation one step at a time, so a caller that must stay
// responsive (the web app's worker) can show every step's image, interleave
// other work between steps and stop at any point. visualize() is this loop, so
// a run stepped to the end gives the same image bit for bit. Each step() runs
// a forward and backward pass to completion on the executor, which may serve
// other requests between steps (it keeps no state from one step to the next).
class VisualizationRun {
 public:
  // Checks the settings against the graph and builds the start image.
  // The executor must outlive the run; options.start_image is copied.
  static Result<VisualizationRun> start(Executor& executor, const Objective& objective, const VisualizeOptions& options);

  Status step();  // one optimisation step; an error when all steps are done
  int steps_done() const { return step_; }
  int steps_total() const { return options_.steps; }
  bool finished() const { return step_ >= options_.steps; }
  const Tensor& image() const { return result_.image; }  // [images, H, W, C], model input space
  const std::vector<double>& objective_trace() const { return result_.objective; }
  VisualizeResult take_result() { return std::move(result_); }

  VisualizationRun() = default;  // an empty run, for Result<>

 private:
  Executor* ex_ = nullptr;
  Objective objective_;
  VisualizeOptions options_;
  Rng rng_{1};
  int step_ = 0;
  VisualizeResult result_;
  Tensor adam_m_, adam_v_, grad_, seed_;
  std::vector<double> per_item_;
};

// For display: model input -> pixels (inverse transform), then per image clip
// to mean +- 5 std and rescale to [0, 255]. Returns RGBA bytes per image, row-major.
std::vector<uint8_t> visualization_to_rgba(const Tensor& image, int64_t index, const InputTransform& transform);

}  // namespace nl
