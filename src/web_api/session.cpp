#include "web_api/session.h"

#include <string>

namespace nl::web {

Session& session() {
  static Session instance;
  return instance;
}

Status Session::require_model() const {
  return model ? Status::Ok() : Status::Error("no model is loaded");
}

Status Session::require_input() const {
  NL_RETURN_IF_ERROR(require_model());
  return has_input ? Status::Ok() : Status::Error("no image is loaded: pick a sample, upload or draw one");
}

Status Session::require_samples() const {
  NL_RETURN_IF_ERROR(require_model());
  return samples.size() > 0 ? Status::Ok() : Status::Error("this model has no sample images loaded");
}

Status Session::check_node(int node) const {
  NL_RETURN_IF_ERROR(require_model());
  if (node < 1 || node >= model->graph.size())
    return Status::Error("layer " + std::to_string(node) + " does not exist (the model has layers 1.." +
                         std::to_string(model->graph.size() - 1) + ")");
  return Status::Ok();
}

Status Session::forward_input() {
  NL_RETURN_IF_ERROR(require_input());
  if (executor_holds_input) return Status::Ok();
  NL_RETURN_IF_ERROR(executor->forward(input));
  executor_holds_input = true;
  return Status::Ok();
}

PixelNormalization Session::normalization() const {
  const Preprocessing& p = model->preprocessing;
  return PixelNormalization{p.scale, p.mean, p.std};
}

InputTransform Session::transform() const {
  // Display pixel u in [0, 1] is the byte p = 255 u: x = (255 u scale - mean) / std.
  const Preprocessing& p = model->preprocessing;
  InputTransform t;
  const size_t c = static_cast<size_t>(channels());
  t.scale.assign(c, 0.0f);
  t.shift.assign(c, 0.0f);
  for (size_t k = 0; k < c; ++k) {
    const float mean = p.mean[k % p.mean.size()], sd = p.std[k % p.std.size()];
    t.scale[k] = 255.0f * p.scale / sd;
    t.shift[k] = -mean / sd;
  }
  return t;
}

void Session::reset_model() {
  jobs.clear();  // jobs point into the executor
  statistics.clear();
  tile_features.clear();
  samples = ImageSet{};
  sample_pixels.clear();
  has_input = false;
  executor_holds_input = false;
  input = Tensor{};
  input_pixels.clear();
  executor.reset();
  model.reset();
  logits = -1;
}

}  // namespace nl::web
