#include "web_api/visualization_settings.h"

#include "web_api/option_reader.h"
#include "web_api/session.h"

namespace nl::web {

Result<VisualizeSettings> read_visualize_settings(Session& s, emscripten::val options, const char* who) {
  OptionReader o(options, who);
  VisualizeSettings v;
  const int node = o.integer("node", -1, 1, s.model->graph.size() - 1);
  NL_RETURN_IF_ERROR(o.status());
  NL_RETURN_IF_ERROR(s.check_node(node));
  const Shape& shape = s.model->graph.node(node).shape;
  const int channels = static_cast<int>(shape[shape.rank() - 1]);
  const int channel = o.integer("channel", 0, 0, channels - 1);
  const int kind = o.choice("objective", 0, {"mean", "sum", "spatial", "unit"});
  v.objective.node = node;
  ObjectiveTerm term;
  term.channel = channel;
  if (shape.rank() != 4) {
    term.kind = ObjectiveTerm::Kind::kUnit;  // a dense unit or class logit
  } else if (kind == 1) {
    term.kind = ObjectiveTerm::Kind::kChannelSum;
  } else if (kind == 2) {
    term.kind = ObjectiveTerm::Kind::kSpatial;
    term.y = o.integer("y", static_cast<int>(shape[1] / 2), 0, static_cast<int>(shape[1] - 1));
    term.x = o.integer("x", static_cast<int>(shape[2] / 2), 0, static_cast<int>(shape[2] - 1));
  } else if (kind == 3) {
    return Status::Error(std::string(who) + ": objective 'unit' is for dense layers; layer " +
                         s.model->graph.node(node).name + " has maps");
  } else {
    term.kind = ObjectiveTerm::Kind::kChannelMean;
  }
  v.objective.terms = {term};

  VisualizeOptions& p = v.options;
  p.steps = o.integer("steps", 256, 1, 5000);
  p.learning_rate = static_cast<float>(o.number("learningRate", 0.14, 1e-6, 100));
  p.optimizer = o.choice("optimizer", 0, {"gradient", "adam"}) == 1 ? VisualizeOptions::Optimizer::kAdam
                                                                   : VisualizeOptions::Optimizer::kGradient;
  p.blur_sigma = static_cast<float>(o.number("blur", 0.4, 0, 5));
  p.l2_decay = static_cast<float>(o.number("l2", 0, 0, 10));
  p.total_variation = static_cast<float>(o.number("tv", 0, 0, 10));
  p.jitter = o.integer("jitter", 0, 0, 16);
  p.scale_jitter = static_cast<float>(o.number("scaleJitter", 0, 0, 0.5));
  p.rotate_degrees = static_cast<float>(o.number("rotate", 0, 0, 45));
  p.images = o.integer("images", 1, 1, 4);
  p.diversity = static_cast<float>(o.number("diversity", 0, 0, 100));
  const int start = o.choice("start", 0, {"constant", "noise", "input"});
  // "pixels" optimises the image itself; "fourier" a decorrelated spectrum (fourier_image.h).
  if (o.choice("parameterization", 0, {"pixels", "fourier"}) == 1)
    p.parameterization = VisualizeOptions::Parameterization::kFourier;
  p.seed = static_cast<uint64_t>(o.number("seed", 1, 0, 4294967295.0));
  NL_RETURN_IF_ERROR(o.status());
  p.transform = s.transform();
  if (start == 1) p.start = VisualizeOptions::Start::kNoise;
  if (start == 2) {
    NL_RETURN_IF_ERROR(s.require_input());
    p.start = VisualizeOptions::Start::kImage;
    v.start_image = s.input;
  }
  return v;
}

}  // namespace nl::web
