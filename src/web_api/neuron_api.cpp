// neuronDetails(node, channel, options): one neuron for the current input
// (METHOD.md): its activation map and response, its contribution to the
// predicted class (gradient x activation on the logit) and its share, whether
// it belongs to the prediction's dominating set; and, once statistics over the
// sample images exist for the layer, its dominant category and margin, its
// Act and gamma profiles over categories, and its top activating samples with
// the input region its peak sees.
#include <emscripten/bind.h>

#include <algorithm>
#include <numeric>

#include "interpret/activation.h"
#include "interpret/contribution.h"
#include "interpret/domination.h"
#include "interpret/top_images.h"
#include "web_api/option_reader.h"
#include "web_api/session.h"
#include "web_api/web_result.h"

namespace nl::web {
namespace {

// Top-k samples by the cached responses, with the peak and receptive field of each.
Status add_top_images(Session& s, const NodeStatistics& stats, int node, int channel, int k, val& result) {
  const int64_t n = stats.responses.shape()[0], channels = stats.responses.shape()[1];
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  const float* r = stats.responses.data();
  k = static_cast<int>(std::min<int64_t>(k, n));
  std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int64_t a, int64_t b) {
    const float ra = r[a * channels + channel], rb = r[b * channels + channel];
    return ra != rb ? ra > rb : a < b;
  });
  order.resize(static_cast<size_t>(k));
  // Peaks: one forward pass over the k images.
  const Shape& is = s.samples.images.shape();
  const int64_t per = is[1] * is[2] * is[3];
  Tensor batch(Shape{k, is[1], is[2], is[3]});
  for (int i = 0; i < k; ++i)
    std::copy_n(s.samples.images.data() + order[static_cast<size_t>(i)] * per, per, batch.data() + i * per);
  s.executor_used();
  NL_RETURN_IF_ERROR(s.executor->forward_until(batch, node));
  const Tensor& value = s.executor->value(node);
  const ReceptiveField field = receptive_field(s.model->graph, node);
  val top = val::array();
  for (int i = 0; i < k; ++i) {
    val entry = val::object();
    const int64_t index = order[static_cast<size_t>(i)];
    entry.set("index", static_cast<double>(index));
    entry.set("label", s.samples.labels[static_cast<size_t>(index)]);
    entry.set("response", r[index * channels + channel]);
    int64_t py = 0, px = 0, y0 = 0, x0 = 0, y1 = is[1], x1 = is[2];
    if (value.shape().rank() == 4) {
      const int64_t h = value.shape()[1], w = value.shape()[2], c = value.shape()[3];
      const float* map = value.data() + i * h * w * c;
      float best = map[channel];
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x)
          if (map[(y * w + x) * c + channel] > best) {
            best = map[(y * w + x) * c + channel];
            py = y;
            px = x;
          }
      y0 = std::clamp<int64_t>(field.offset_y + py * field.stride_y, 0, is[1]);
      x0 = std::clamp<int64_t>(field.offset_x + px * field.stride_x, 0, is[2]);
      y1 = std::clamp<int64_t>(field.offset_y + py * field.stride_y + field.size_y, 0, is[1]);
      x1 = std::clamp<int64_t>(field.offset_x + px * field.stride_x + field.size_x, 0, is[2]);
    }
    entry.set("peakY", static_cast<double>(py));
    entry.set("peakX", static_cast<double>(px));
    val box = val::array();
    for (int64_t v : {y0, x0, y1, x1}) box.call<void>("push", static_cast<double>(v));
    entry.set("box", box);
    top.call<void>("push", entry);
  }
  result.set("topImages", top);
  return Status::Ok();
}

val neuron_details(int node, int channel, val options) {
  return guarded("neuron", [&] {
    Session& s = session();
    NL_RETURN_IF_ERROR_VAL(s.check_node(node));
    const Shape& shape = s.model->graph.node(node).shape;
    const int channels = static_cast<int>(shape[shape.rank() - 1]);
    if (channel < 0 || channel >= channels)
      return error_result("neuron " + std::to_string(channel) + " does not exist in layer " +
                          s.model->graph.node(node).name + " (0.." + std::to_string(channels - 1) + ")");
    OptionReader opts(options, "neuron");
    const int target = opts.integer("class", -1, -1, s.classes() - 1);
    const int top_k = opts.integer("topImages", 8, 0, 64);
    NL_RETURN_IF_ERROR_VAL(opts.status());

    NL_RETURN_IF_ERROR_VAL(s.forward_input());
    val result = ok_result();
    result.set("node", node);
    result.set("channel", channel);
    const Tensor& value = s.executor->value(node);
    if (value.shape().rank() == 4) {
      const int64_t h = value.shape()[1], w = value.shape()[2];
      std::vector<float> map(static_cast<size_t>(h * w));
      for (int64_t i = 0; i < h * w; ++i) map[static_cast<size_t>(i)] = value[i * channels + channel];
      result.set("height", static_cast<double>(h));
      result.set("width", static_cast<double>(w));
      result.set("map", float_array(map));
    } else {
      result.set("height", 1);
      result.set("width", 1);
      result.set("map", float_array(value.data() + channel, 1));
    }
    Tensor responses;
    reduce_channels(value, Reduction::kSum, &responses);
    result.set("response", responses[channel]);

    // Contribution of every neuron of the layer to the target class: share and rank of this one.
    // (Units of the class-score layer and after are the scores themselves: no contribution.)
    result.set("isScore", node >= s.logits);
    if (node < s.logits) {
      std::vector<int> used;
      auto scores = contributions(*s.executor, s.input, node, {target}, ContributionOptions{}, &used);
      s.executor_used();
      if (!scores.ok()) return error_result(scores.status().message());
      const float* row = scores.value().data();
      const std::vector<float> shares = contribution_shares(row, channels);
      int rank = 1;
      for (int k = 0; k < channels; ++k) rank += row[k] > row[channel] ? 1 : 0;
      result.set("class", used.empty() ? -1 : used[0]);
      result.set("contribution", row[channel]);
      result.set("share", shares[static_cast<size_t>(channel)]);
      result.set("contributionRank", rank);
      result.set("layerContributions", float_array(row, static_cast<size_t>(channels)));
      for (double tau : {0.5, 0.8}) {
        const std::vector<int> set = dominating_set(row, channels, tau);
        val info = val::object();
        info.set("size", static_cast<double>(set.size()));
        info.set("contains", std::find(set.begin(), set.end(), channel) != set.end());
        result.set(tau == 0.5 ? "dominatingSet50" : "dominatingSet80", info);
      }
    }

    auto found = s.statistics.find(node);
    if (found != s.statistics.end()) {
      const NodeStatistics& stats = found->second;
      const int classes = static_cast<int>(stats.categories.size());
      result.set("categories", int_array(stats.categories));
      result.set("dominantCategory", stats.domination[static_cast<size_t>(channel)].category);
      result.set("margin", stats.domination[static_cast<size_t>(channel)].margin);
      result.set("categoryActivation", float_array(stats.activation.data() + channel * classes, static_cast<size_t>(classes)));
      result.set("categoryContribution",
                 float_array(stats.contribution.data() + channel * classes, static_cast<size_t>(classes)));
      if (top_k > 0) NL_RETURN_IF_ERROR_VAL(add_top_images(s, stats, node, channel, top_k, result));
    }
    return result;
  });
}

}  // namespace

EMSCRIPTEN_BINDINGS(neuronlens_neuron) { emscripten::function("neuronDetails", &neuron_details); }

}  // namespace nl::web
