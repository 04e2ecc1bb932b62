// Visualizations of every neuron of a layer, one after another (shorter runs
// than the live view by default), for the cluster tiles. Each finished tile is
// reported as it completes; the images (in model input space) are kept as the
// neurons' "visualization" features for neuron clustering.
#include <emscripten/val.h>

#include "web_api/job.h"
#include "web_api/session.h"
#include "web_api/visualization_settings.h"
#include "web_api/web_result.h"

namespace nl::web {
namespace {

class TilesJob : public Job {
 public:
  TilesJob(Session& s, emscripten::val options, int node, int64_t channels)
      : session_(s), options_(std::move(options)), node_(node), channels_(channels) {}

  Status start_channel() {
    options_.set("channel", static_cast<double>(current_));
    auto settings = read_visualize_settings(session_, options_, "tiles");
    if (!settings.ok()) return settings.status();
    settings_ = std::move(settings.value());
    settings_.options.images = 1;
    auto run = VisualizationRun::start(*session_.executor, settings_.objective, settings_.options);
    if (!run.ok()) return run.status();
    run_ = std::move(run.value());
    return Status::Ok();
  }

  Status step() override {
    session_.executor_used();
    if (!started_) {
      NL_RETURN_IF_ERROR(start_channel());
      started_ = true;
    }
    NL_RETURN_IF_ERROR(run_.step());
    if (run_.finished()) {
      const Tensor& image = run_.image();
      if (features_.elements() == 0) features_.resize(Shape{channels_, image.elements()});
      std::copy_n(image.data(), image.elements(), features_.data() + current_ * image.elements());
      std::vector<uint8_t> rgba = visualization_to_rgba(image, 0, settings_.options.transform);
      tiles_.insert(tiles_.end(), rgba.begin(), rgba.end());
      pending_.push_back(static_cast<int>(current_));
      tile_bytes_ = rgba.size();
      ++current_;
      if (current_ < channels_) NL_RETURN_IF_ERROR(start_channel());
      else session_.tile_features[node_] = features_;
    }
    return Status::Ok();
  }

  bool finished() const override { return current_ >= channels_; }
  double progress() const override {
    const double within = run_.steps_total() ? static_cast<double>(run_.steps_done()) / run_.steps_total() : 0.0;
    return std::min(1.0, (static_cast<double>(current_) + (finished() ? 0.0 : within)) / channels_);
  }
  void describe_progress(emscripten::val& report) override {
    // Newly finished tiles: their channels and RGBA, one after another.
    report.set("tileChannels", int_array(pending_));
    std::vector<uint8_t> rgba;
    if (!pending_.empty())
      rgba.assign(tiles_.end() - static_cast<std::ptrdiff_t>(pending_.size() * tile_bytes_), tiles_.end());
    report.set("tiles", byte_array(rgba));
    report.set("height", static_cast<double>(session_.height()));
    report.set("width", static_cast<double>(session_.width()));
    pending_.clear();
  }
  emscripten::val result() override {
    emscripten::val out = ok_result();
    out.set("node", node_);
    out.set("channels", static_cast<double>(channels_));
    out.set("height", static_cast<double>(session_.height()));
    out.set("width", static_cast<double>(session_.width()));
    out.set("tiles", byte_array(tiles_));
    return out;
  }

 private:
  Session& session_;
  emscripten::val options_;
  int node_;
  int64_t channels_;
  int64_t current_ = 0;
  bool started_ = false;
  VisualizeSettings settings_;
  VisualizationRun run_;
  Tensor features_;
  std::vector<uint8_t> tiles_;
  std::vector<int> pending_;
  size_t tile_bytes_ = 0;
};

}  // namespace

// Options: as the visualization's (node, steps default 64, ...), without channel.
Result<std::unique_ptr<Job>> make_tiles_job(Session& s, emscripten::val options) {
  if (options.isUndefined() || options.isNull()) options = emscripten::val::object();
  emscripten::val copy = emscripten::val::global("Object").call<emscripten::val>("assign", emscripten::val::object(), options);
  if (copy["steps"].isUndefined()) copy.set("steps", 64);
  auto probe = read_visualize_settings(s, copy, "tiles");  // checks every option once, up front
  if (!probe.ok()) return probe.status();
  const int node = probe.value().objective.node;
  const Shape& shape = s.model->graph.node(node).shape;
  std::unique_ptr<Job> job = std::make_unique<TilesJob>(s, copy, node, shape[shape.rank() - 1]);
  return job;
}

}  // namespace nl::web
