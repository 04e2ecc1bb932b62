#include "interpret/visualize.h"

#include <algorithm>
#include <cmath>

#include "interpret/pixel_transforms.h"
#include "tensor/rng.h"

namespace nl {
namespace {

// Diversity: D = sum_{i<j} cos(a_i, a_j) over the images' flattened
// activations at the objective's node. Subtracts weight * dD/da_i from seed.
void add_diversity_gradient(const Tensor& value, float weight, Tensor* seed) {
  const int64_t n = value.shape()[0];
  const int64_t d = value.elements() / n;
  std::vector<double> norm(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    double s = 0;
    for (int64_t k = 0; k < d; ++k) s += static_cast<double>(value[i * d + k]) * value[i * d + k];
    norm[static_cast<size_t>(i)] = std::sqrt(s) + 1e-12;
  }
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      if (i == j) continue;
      const double ni = norm[static_cast<size_t>(i)], nj = norm[static_cast<size_t>(j)];
      double dot = 0;
      for (int64_t k = 0; k < d; ++k) dot += static_cast<double>(value[i * d + k]) * value[j * d + k];
      const double cos = dot / (ni * nj);
      // d cos(a_i, a_j) / d a_i = a_j / (|a_i||a_j|) - cos * a_i / |a_i|^2
      for (int64_t k = 0; k < d; ++k) {
        const double g = value[j * d + k] / (ni * nj) - cos * value[i * d + k] / (ni * ni);
        (*seed)[i * d + k] -= static_cast<float>(weight * g);
      }
    }
}

}  // namespace

Result<VisualizationRun> VisualizationRun::start(Executor& ex, const Objective& objective, const VisualizeOptions& o) {
  Graph& g = ex.graph();
  if (objective.node <= 0 || objective.node >= g.size())
    return Status::Error("visualize: objective node " + std::to_string(objective.node) + " does not exist");
  if (o.steps < 0 || o.steps > 100000) return Status::Error("visualize: steps must be in 0..100000");
  if (o.images < 1 || o.images > 64) return Status::Error("visualize: images must be in 1..64");
  if (!(o.learning_rate > 0) || !std::isfinite(o.learning_rate)) return Status::Error("visualize: learning rate must be positive");
  if (o.blur_sigma < 0 || o.jitter < 0 || o.scale_jitter < 0 || o.scale_jitter >= 1 || o.rotate_degrees < 0)
    return Status::Error("visualize: blur, jitter, scale and rotation settings must be non-negative (scale below 1)");
  const Shape in_shape = g.node(0).shape;
  if (in_shape.rank() != 4) return Status::Error("visualize: the model input must be an image [N,H,W,C]");
  Shape s{o.images, in_shape[1], in_shape[2], in_shape[3]};
  NL_RETURN_IF_ERROR(validate_objective(objective, g.node(objective.node).shape));

  VisualizationRun run;
  run.ex_ = &ex;
  run.objective_ = objective;
  run.options_ = o;
  run.options_.start_image = nullptr;  // copied into the image below
  run.rng_ = Rng(o.seed);
  Tensor& x = run.result_.image;
  x.resize(s);
  // Starting image: constant and noise starts are given in display pixels and
  // mapped into input space; an image start is already in input space.
  const int64_t channels = s[3];
  switch (o.start) {
    case VisualizeOptions::Start::kConstant:
      for (int64_t i = 0; i < x.elements(); ++i) x[i] = o.transform.to_input(o.start_pixel, i % channels);
      break;
    case VisualizeOptions::Start::kNoise:
      for (int64_t i = 0; i < x.elements(); ++i)
        x[i] = o.transform.to_input(static_cast<float>(0.5 + o.noise_std * run.rng_.normal()), i % channels);
      break;
    case VisualizeOptions::Start::kImage: {
      if (!o.start_image || o.start_image->elements() != s.elements() / o.images)
        return Status::Error("visualize: the start image must have the model's input shape " + in_shape.str());
      const int64_t per = s.elements() / o.images;
      for (int64_t b = 0; b < o.images; ++b)
        for (int64_t i = 0; i < per; ++i) x[b * per + i] = (*o.start_image)[i];
      break;
    }
  }
  int64_t parameters = s.elements();
  if (o.parameterization == VisualizeOptions::Parameterization::kFourier) {
    auto fourier = FourierImage::create(s, o.fourier, o.transform.scale, o.transform.shift);
    if (!fourier.ok()) return fourier.status();
    run.fourier_ = std::move(fourier.value());
    // The start image becomes a spectrum; the noise start draws the spectrum itself.
    if (o.start == VisualizeOptions::Start::kNoise) run.fourier_.set_noise(run.rng_, o.noise_std);
    else NL_RETURN_IF_ERROR(run.fourier_.set_from_input(x));
    run.fourier_.render(&x);
    parameters = run.fourier_.parameter_count();
  }
  run.adam_m_.resize(Shape{parameters});
  run.adam_v_.resize(Shape{parameters});
  run.grad_.resize(s);
  return run;
}

Status VisualizationRun::step() {
  if (!ex_) return Status::Error("visualize: the run was not started");
  if (finished()) return Status::Error("visualize: all " + std::to_string(options_.steps) + " steps are done");
  const VisualizeOptions& o = options_;
  Executor& ex = *ex_;
  Tensor& x = result_.image;
  const Shape s = x.shape();
  const int step = ++step_;
  constexpr float kPi = 3.14159265358979f;

  // Transformation robustness: the same random shift/scale/rotation for all images of the step.
  const int dy = o.jitter ? static_cast<int>(rng_.below(2 * o.jitter + 1)) - o.jitter : 0;
  const int dx = o.jitter ? static_cast<int>(rng_.below(2 * o.jitter + 1)) - o.jitter : 0;
  Similarity2D sim;
  if (o.scale_jitter > 0) sim.scale = static_cast<float>(rng_.uniform(1 - o.scale_jitter, 1 + o.scale_jitter));
  if (o.rotate_degrees > 0) sim.angle_rad = static_cast<float>(rng_.uniform(-o.rotate_degrees, o.rotate_degrees)) * kPi / 180;
  const bool warp = o.scale_jitter > 0 || o.rotate_degrees > 0;

  const Tensor* input = &x;
  Tensor rolled, warped;
  if (dy || dx) {
    roll_image(*input, dy, dx, &rolled);
    input = &rolled;
  }
  if (warp) {
    resample_forward(*input, sim, &warped);
    input = &warped;
  }
  NL_RETURN_IF_ERROR(ex.forward_until(*input, objective_.node));
  evaluate_objective(objective_, ex.value(objective_.node), &per_item_, &seed_);
  if (o.images > 1 && o.diversity > 0) add_diversity_gradient(ex.value(objective_.node), o.diversity, &seed_);
  NL_RETURN_IF_ERROR(ex.backward({.from = objective_.node, .seed = &seed_, .keep_intermediate_grads = false}));

  // Carry dJ/d(input) back through the warp and the shift to dJ/dx.
  const Tensor* gin = &ex.grad(0);
  Tensor unwarped;
  if (warp) {
    unwarped.resize(s);
    resample_backward(*gin, sim, &unwarped);
    gin = &unwarped;
  }
  Tensor& grad = grad_;
  if (dy || dx) roll_image(*gin, -dy, -dx, &grad);
  else grad = *gin;
  // Penalties enter as gradients of -lambda R(x) (we ascend J - lambda R).
  if (o.l2_decay > 0)
    for (int64_t i = 0; i < x.elements(); ++i) grad[i] -= o.l2_decay * x[i];
  if (o.total_variation > 0) {
    Tensor tv_grad(s);
    total_variation(x, o.total_variation, &tv_grad);
    for (int64_t i = 0; i < x.elements(); ++i) grad[i] -= tv_grad[i];
  }

  // The optimised parameters: the pixels themselves, or the spectrum (dJ/dx carried back to it).
  const bool fourier = o.parameterization == VisualizeOptions::Parameterization::kFourier;
  float* theta = x.data();
  const float* g = grad.data();
  int64_t count = x.elements();
  if (fourier) {
    fourier_.backward(grad, &spectrum_grad_);
    theta = fourier_.spectrum().data();
    g = spectrum_grad_.data();
    count = fourier_.parameter_count();
  }
  if (o.optimizer == VisualizeOptions::Optimizer::kGradient) {
    for (int64_t i = 0; i < count; ++i) theta[i] += o.learning_rate * g[i];
  } else {
    const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
    const float c1 = 1 - std::pow(b1, static_cast<float>(step)), c2 = 1 - std::pow(b2, static_cast<float>(step));
    for (int64_t i = 0; i < count; ++i) {
      adam_m_[i] = b1 * adam_m_[i] + (1 - b1) * g[i];
      adam_v_[i] = b2 * adam_v_[i] + (1 - b2) * g[i] * g[i];
      theta[i] += o.learning_rate * (adam_m_[i] / c1) / (std::sqrt(adam_v_[i] / c2) + eps);
    }
  }
  if (fourier) fourier_.render(&x);
  else if (o.blur_sigma > 0) gaussian_blur_3x3(&x, o.blur_sigma);

  double mean_j = 0;
  for (double j : per_item_) mean_j += j;
  mean_j /= static_cast<double>(per_item_.size());
  result_.objective.push_back(mean_j);
  return Status::Ok();
}

Result<VisualizeResult> visualize(Executor& ex, const Objective& objective, const VisualizeOptions& o,
                                  const VisualizeProgress& progress) {
  auto started = VisualizationRun::start(ex, objective, o);
  if (!started.ok()) return started.status();
  VisualizationRun& run = started.value();
  while (!run.finished()) {
    NL_RETURN_IF_ERROR(run.step());
    if (progress && !progress(run.steps_done(), run.objective_trace().back())) {
      VisualizeResult result = run.take_result();
      result.cancelled = true;
      return result;
    }
  }
  return run.take_result();
}

InputTransform input_transform_for(const Preprocessing& pre, int channels) {
  InputTransform t;
  t.scale.clear();
  t.shift.clear();
  for (int c = 0; c < channels; ++c) {
    const float sd = pre.std.empty() ? 1.0f : pre.std[static_cast<size_t>(c) % pre.std.size()];
    const float mean = pre.mean.empty() ? 0.0f : pre.mean[static_cast<size_t>(c) % pre.mean.size()];
    const float a = 255.0f * pre.scale / sd;
    t.scale.push_back(pre.invert ? -a : a);
    t.shift.push_back(pre.invert ? (255.0f * pre.scale - mean) / sd : -mean / sd);
  }
  return t;
}

std::vector<uint8_t> visualization_to_rgba(const Tensor& image, int64_t index, const InputTransform& t) {
  const Shape& s = image.shape();
  const int64_t h = s[1], w = s[2], c = s[3];
  const float* x = image.data() + index * h * w * c;
  std::vector<float> pix(static_cast<size_t>(h * w * c));
  double sum = 0, sq = 0;
  for (int64_t i = 0; i < h * w * c; ++i) {
    const float p = t.to_pixel(x[i], i % c);
    pix[static_cast<size_t>(i)] = p;
    sum += p;
    sq += static_cast<double>(p) * p;
  }
  const double n = static_cast<double>(h * w * c);
  const double mean = sum / n, sd = std::sqrt(std::max(0.0, sq / n - mean * mean));
  double lo = mean - 5 * sd, hi = mean + 5 * sd;
  // The clip range never exceeds the data's own range, so contrast is not wasted.
  double mn = pix.empty() ? 0 : *std::min_element(pix.begin(), pix.end());
  double mx = pix.empty() ? 0 : *std::max_element(pix.begin(), pix.end());
  lo = std::max(lo, mn);
  hi = std::min(hi, mx);
  const double range = hi - lo > 1e-12 ? hi - lo : 1.0;
  std::vector<uint8_t> rgba(static_cast<size_t>(h * w * 4), 255);
  for (int64_t p = 0; p < h * w; ++p)
    for (int k = 0; k < 3; ++k) {
      const float v = pix[static_cast<size_t>(p * c + (c == 3 ? k : 0))];
      const double u = std::clamp((v - lo) / range, 0.0, 1.0);
      rgba[static_cast<size_t>(p * 4 + k)] = static_cast<uint8_t>(std::lround(u * 255));
    }
  return rgba;
}

}  // namespace nl
