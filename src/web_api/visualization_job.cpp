// The live feature visualization: one VisualizationRun stepped by the
// worker. Every step's image (RGBA, display pixels clipped to mean +- 5 std)
// is kept and handed to the UI with the next progress report, so the UI can
// show the optimisation as it happens and scrub back through the steps.
#include <emscripten/val.h>

#include "web_api/job.h"
#include "web_api/session.h"
#include "web_api/visualization_settings.h"
#include "web_api/web_result.h"

namespace nl::web {
namespace {

class VisualizationJob : public Job {
 public:
  VisualizationJob(Session& s, VisualizeSettings settings, VisualizationRun run)
      : session_(s), settings_(std::move(settings)), run_(std::move(run)) {}

  Status step() override {
    session_.executor_used();
    NL_RETURN_IF_ERROR(run_.step());
    append_frame();
    return Status::Ok();
  }
  bool finished() const override { return run_.finished(); }
  double progress() const override {
    return run_.steps_total() ? static_cast<double>(run_.steps_done()) / run_.steps_total() : 1.0;
  }

  void describe_progress(emscripten::val& report) override {
    report.set("step", run_.steps_done());
    report.set("steps", run_.steps_total());
    describe_image(report);
    // Frames and objective values of the steps since the last report.
    report.set("firstStep", reported_steps_ + 1);
    report.set("frames", byte_array(pending_frames_));
    std::vector<double> objective(run_.objective_trace().begin() + reported_steps_, run_.objective_trace().end());
    report.set("objective", double_array(objective));
    reported_steps_ = run_.steps_done();
    pending_frames_.clear();
  }

  emscripten::val result() override {
    emscripten::val out = ok_result();
    describe_image(out);
    out.set("steps", run_.steps_done());
    out.set("objective", double_array(run_.objective_trace()));
    out.set("rgba", byte_array(frame()));
    return out;
  }

 private:
  void describe_image(emscripten::val& out) const {
    const Shape& shape = run_.image().shape();
    out.set("images", static_cast<double>(shape[0]));
    out.set("height", static_cast<double>(shape[1]));
    out.set("width", static_cast<double>(shape[2]));
  }
  // RGBA of every image of the run, one after another.
  std::vector<uint8_t> frame() const {
    std::vector<uint8_t> all;
    const InputTransform& t = settings_.options.transform;
    for (int64_t i = 0; i < run_.image().shape()[0]; ++i) {
      std::vector<uint8_t> rgba = visualization_to_rgba(run_.image(), i, t);
      all.insert(all.end(), rgba.begin(), rgba.end());
    }
    return all;
  }
  void append_frame() {
    std::vector<uint8_t> f = frame();
    // Bounded: past 64 MB of unreported frames only the latest is kept.
    if (pending_frames_.size() + f.size() > (size_t{64} << 20)) pending_frames_.clear();
    pending_frames_.insert(pending_frames_.end(), f.begin(), f.end());
  }

  Session& session_;
  VisualizeSettings settings_;
  VisualizationRun run_;
  int reported_steps_ = 0;
  std::vector<uint8_t> pending_frames_;
};

}  // namespace

Result<std::unique_ptr<Job>> make_visualization_job(Session& s, emscripten::val options) {
  auto settings = read_visualize_settings(s, options, "visualize");
  if (!settings.ok()) return settings.status();
  VisualizeSettings& v = settings.value();
  // start() copies the start image, so pointing at the local copy is enough.
  if (v.options.start == VisualizeOptions::Start::kImage) v.options.start_image = &v.start_image;
  auto run = VisualizationRun::start(*s.executor, v.objective, v.options);
  if (!run.ok()) return run.status();
  v.options.start_image = nullptr;
  std::unique_ptr<Job> job = std::make_unique<VisualizationJob>(s, std::move(v), std::move(run.value()));
  return job;
}

}  // namespace nl::web
