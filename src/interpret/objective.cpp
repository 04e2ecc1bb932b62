#include "interpret/objective.h"

#include <string>

namespace nl {

Objective channel_objective(int node, int channel, bool mean) {
  ObjectiveTerm t;
  t.kind = mean ? ObjectiveTerm::Kind::kChannelMean : ObjectiveTerm::Kind::kChannelSum;
  t.channel = channel;
  return Objective{node, {t}};
}

Objective unit_objective(int node, int unit) {
  ObjectiveTerm t;
  t.kind = ObjectiveTerm::Kind::kUnit;
  t.channel = unit;
  return Objective{node, {t}};
}

Status validate_objective(const Objective& o, const Shape& s) {
  if (o.terms.empty()) return Status::Error("objective: no terms");
  const bool spatial = s.rank() == 4;
  if (!spatial && s.rank() != 2) return Status::Error("objective: node shape " + s.str() + " is neither [N,H,W,C] nor [N,F]");
  const int64_t channels = spatial ? s[3] : s[1];
  for (const ObjectiveTerm& t : o.terms) {
    if (t.channel < 0 || t.channel >= channels)
      return Status::Error("objective: channel " + std::to_string(t.channel) + " outside 0.." + std::to_string(channels - 1));
    const bool needs_map = t.kind != ObjectiveTerm::Kind::kUnit;
    if (needs_map != spatial)
      return Status::Error(std::string("objective: ") + (spatial ? "a unit term needs a [N,F] node" : "a channel term needs a [N,H,W,C] node") +
                           ", got " + s.str());
    if (t.kind == ObjectiveTerm::Kind::kSpatial && (t.y < 0 || t.y >= s[1] || t.x < 0 || t.x >= s[2]))
      return Status::Error("objective: position (" + std::to_string(t.y) + ", " + std::to_string(t.x) + ") outside the " +
                           std::to_string(s[1]) + "x" + std::to_string(s[2]) + " map");
  }
  return Status::Ok();
}

void evaluate_objective(const Objective& o, const Tensor& value, std::vector<double>* per_item, Tensor* seed) {
  const Shape& s = value.shape();
  const int64_t n = s[0];
  const bool spatial = s.rank() == 4;
  const int64_t h = spatial ? s[1] : 1, w = spatial ? s[2] : 1, c = spatial ? s[3] : s[1];
  seed->resize(s);
  per_item->assign(static_cast<size_t>(n), 0.0);
  for (int64_t b = 0; b < n; ++b) {
    const float* v = value.data() + b * h * w * c;
    float* g = seed->data() + b * h * w * c;
    double j = 0.0;
    for (const ObjectiveTerm& t : o.terms) {
      switch (t.kind) {
        case ObjectiveTerm::Kind::kChannelSum:
        case ObjectiveTerm::Kind::kChannelMean: {
          const float scale = t.kind == ObjectiveTerm::Kind::kChannelMean ? t.weight / static_cast<float>(h * w) : t.weight;
          double sum = 0.0;
          for (int64_t p = 0; p < h * w; ++p) {
            sum += v[p * c + t.channel];
            g[p * c + t.channel] += scale;
          }
          j += scale * sum;
          break;
        }
        case ObjectiveTerm::Kind::kSpatial: {
          const int64_t i = (static_cast<int64_t>(t.y) * w + t.x) * c + t.channel;
          j += static_cast<double>(t.weight) * v[i];
          g[i] += t.weight;
          break;
        }
        case ObjectiveTerm::Kind::kUnit:
          j += static_cast<double>(t.weight) * v[t.channel];
          g[t.channel] += t.weight;
          break;
      }
    }
    (*per_item)[static_cast<size_t>(b)] = j;
  }
}

}  // namespace nl
