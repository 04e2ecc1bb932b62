#include "interpret/top_images.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "interpret/activation.h"
#include "nn/ops/avg_pool2d.h"
#include "nn/ops/conv2d.h"
#include "nn/ops/max_pool2d.h"

namespace nl {

ReceptiveField receptive_field(const Graph& g, int node) {
  // Walk from the node to the input along first inputs, collecting the
  // geometry (kernel extent, stride, padding) of each spatial op.
  struct Step {
    int64_t extent_y, extent_x, stride_y, stride_x, pad_y, pad_x;
  };
  std::vector<Step> steps;
  for (int at = node; at > 0; at = g.node(at).inputs.empty() ? 0 : g.node(at).inputs[0]) {
    const Op* op = g.node(at).op.get();
    if (auto* conv = dynamic_cast<const Conv2D*>(op)) {
      const Conv2DParams& p = conv->settings();
      steps.push_back({int64_t{p.dilation_h} * (p.kernel_h - 1) + 1, int64_t{p.dilation_w} * (p.kernel_w - 1) + 1, p.stride_h,
                       p.stride_w, p.pad_top, p.pad_left});
    } else if (auto* mp = dynamic_cast<const MaxPool2D*>(op)) {
      const Pool2DParams& p = mp->settings();
      steps.push_back({p.kernel_h, p.kernel_w, p.stride_h, p.stride_w, p.pad_top, p.pad_left});
    } else if (auto* ap = dynamic_cast<const AvgPool2D*>(op)) {
      const Pool2DParams& p = ap->settings();
      steps.push_back({p.kernel_h, p.kernel_w, p.stride_h, p.stride_w, p.pad_top, p.pad_left});
    }
  }
  // Compose from the input upwards: size += (extent - 1) * jump; offset -= pad * jump; jump *= stride.
  ReceptiveField rf;
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    rf.offset_y -= it->pad_y * rf.stride_y;
    rf.offset_x -= it->pad_x * rf.stride_x;
    rf.size_y += (it->extent_y - 1) * rf.stride_y;
    rf.size_x += (it->extent_x - 1) * rf.stride_x;
    rf.stride_y *= it->stride_y;
    rf.stride_x *= it->stride_x;
  }
  return rf;
}

Result<std::vector<TopImage>> top_activating_images(Executor& ex, const ImageSet& set, int node, int channel, int k) {
  const Graph& g = ex.graph();
  if (node <= 0 || node >= g.size()) return Status::Error("top images: node " + std::to_string(node) + " does not exist");
  const Shape& s = g.node(node).shape;
  const int64_t channels = s[s.rank() - 1];
  if (channel < 0 || channel >= channels)
    return Status::Error("top images: channel " + std::to_string(channel) + " outside 0.." + std::to_string(channels - 1));
  if (k < 1) return Status::Error("top images: k must be positive");
  const bool spatial = s.rank() == 4;
  const ReceptiveField rf = spatial ? receptive_field(g, node) : ReceptiveField{};
  const int64_t in_h = g.node(0).shape[1], in_w = g.node(0).shape[2];

  std::vector<TopImage> all;
  for (int64_t begin = 0; begin < set.size(); begin += kSweepBatch) {
    const int64_t end = std::min(set.size(), begin + kSweepBatch);
    NL_RETURN_IF_ERROR(ex.forward_until(set.batch(begin, end), node));
    const Tensor& v = ex.value(node);
    const int64_t h = spatial ? v.shape()[1] : 1, w = spatial ? v.shape()[2] : 1;
    for (int64_t b = 0; b < end - begin; ++b) {
      TopImage t;
      t.index = begin + b;
      double sum = 0;
      float best = -INFINITY;
      for (int64_t p = 0; p < h * w; ++p) {
        const float a = v[(b * h * w + p) * channels + channel];
        sum += a;
        if (a > best) {
          best = a;
          t.peak_y = p / w;
          t.peak_x = p % w;
        }
      }
      t.response = static_cast<float>(sum);
      if (spatial) {
        t.box_y0 = std::clamp<int64_t>(rf.offset_y + t.peak_y * rf.stride_y, 0, in_h);
        t.box_x0 = std::clamp<int64_t>(rf.offset_x + t.peak_x * rf.stride_x, 0, in_w);
        t.box_y1 = std::clamp<int64_t>(rf.offset_y + t.peak_y * rf.stride_y + rf.size_y, 0, in_h);
        t.box_x1 = std::clamp<int64_t>(rf.offset_x + t.peak_x * rf.stride_x + rf.size_x, 0, in_w);
      } else {
        t.box_y1 = in_h;
        t.box_x1 = in_w;
      }
      all.push_back(t);
    }
  }
  const size_t keep = std::min(all.size(), static_cast<size_t>(k));
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(keep), all.end(), [](const TopImage& a, const TopImage& b) {
    return a.response != b.response ? a.response > b.response : a.index < b.index;
  });
  all.resize(keep);
  return all;
}

}  // namespace nl
