// Class-conditional ablation (METHOD.md, "Quantitative analyses"): the
// accuracy, overall and per class, of the network on the sample images with
// only some neurons of one layer kept, for a list of keep-sets the UI builds
// (by cluster, category group, priority round robin, weight norm, random, or
// the complement of a category's top neurons for the domination test). The
// unmodified network comes first as the baseline. One set per step.
#include <emscripten/val.h>

#include <algorithm>

#include "interpret/ablation.h"
#include "web_api/job.h"
#include "web_api/option_reader.h"
#include "web_api/session.h"
#include "web_api/web_result.h"

namespace nl::web {
namespace {

struct KeepSet {
  std::string name;
  std::vector<int> keep;
  bool keep_all = false;
};

class AblationJob : public Job {
 public:
  AblationJob(Session& s, int node, ImageSet images, std::vector<KeepSet> sets)
      : session_(s), node_(node), images_(std::move(images)), sets_(std::move(sets)) {}

  Status step() override {
    Session& s = session_;
    const KeepSet& set = sets_[done_];
    s.executor_used();
    auto report = evaluate_with_kept_channels(*s.executor, images_, s.classes(), node_, set.keep, set.keep_all);
    if (!report.ok()) return report.status();
    auto params = set.keep_all ? Result<int64_t>(int64_t{-1}) : kept_parameters(s.model->graph, node_, set.keep);
    if (!params.ok()) return params.status();
    reports_.push_back(report.value());
    kept_params_.push_back(params.value());
    ++done_;
    return Status::Ok();
  }
  bool finished() const override { return done_ >= sets_.size(); }
  double progress() const override { return static_cast<double>(done_) / sets_.size(); }
  void describe_progress(emscripten::val& report) override {
    report.set("sets", static_cast<double>(done_));
    report.set("total", static_cast<double>(sets_.size()));
  }
  emscripten::val result() override {
    emscripten::val out = ok_result();
    out.set("node", node_);
    out.set("images", static_cast<double>(images_.size()));
    emscripten::val rows = emscripten::val::array();
    for (size_t i = 0; i < reports_.size(); ++i) {
      emscripten::val row = emscripten::val::object();
      row.set("name", sets_[i].name);
      row.set("kept", static_cast<double>(sets_[i].keep_all ? -1 : static_cast<int64_t>(sets_[i].keep.size())));
      row.set("keptParameters", static_cast<double>(kept_params_[i]));
      row.set("overall", reports_[i].overall);
      row.set("perClass", double_array(reports_[i].per_class));
      rows.call<void>("push", row);
    }
    out.set("rows", rows);
    return out;
  }

 private:
  Session& session_;
  int node_;
  ImageSet images_;
  std::vector<KeepSet> sets_;
  size_t done_ = 0;
  std::vector<AccuracyReport> reports_;
  std::vector<int64_t> kept_params_;
};

}  // namespace

// Options: node, perClass (images of each category, default 50), sets: [{name, keep: [channels]}].
Result<std::unique_ptr<Job>> make_ablation_job(Session& s, emscripten::val options) {
  NL_RETURN_IF_ERROR(s.require_samples());
  OptionReader o(options, "ablation");
  const int node = o.integer("node", -1, 1, s.model->graph.size() - 1);
  const int per_class = o.integer("perClass", 50, 1, 1000000);
  NL_RETURN_IF_ERROR(o.status());
  auto producer = channel_producer(s.model->graph, node);
  if (!producer.ok()) return producer.status();
  const Shape& shape = s.model->graph.node(node).shape;
  const int channels = static_cast<int>(shape[shape.rank() - 1]);

  std::vector<KeepSet> sets{{"all neurons (baseline)", {}, true}};
  emscripten::val list = options["sets"];
  if (!list.isArray()) return Status::Error("ablation: option 'sets' must be an array of {name, keep}");
  const size_t count = list["length"].as<size_t>();
  if (count > 256) return Status::Error("ablation: at most 256 sets, " + std::to_string(count) + " given");
  for (size_t i = 0; i < count; ++i) {
    emscripten::val entry = list[i];
    OptionReader e(entry, "ablation set " + std::to_string(i));
    KeepSet set;
    set.name = entry["name"].isString() ? entry["name"].as<std::string>() : "set " + std::to_string(i);
    set.keep = e.integers("keep", 0, channels - 1, static_cast<size_t>(channels));
    NL_RETURN_IF_ERROR(e.status());
    std::sort(set.keep.begin(), set.keep.end());
    set.keep.erase(std::unique(set.keep.begin(), set.keep.end()), set.keep.end());
    sets.push_back(std::move(set));
  }

  std::vector<int64_t> chosen;
  std::vector<int> taken(static_cast<size_t>(s.classes()), 0);
  for (int64_t i = 0; i < s.samples.size(); ++i)
    if (taken[static_cast<size_t>(s.samples.labels[static_cast<size_t>(i)])]++ < per_class) chosen.push_back(i);
  ImageSet images;
  const Shape& is = s.samples.images.shape();
  const int64_t per = is[1] * is[2] * is[3];
  images.images.resize(Shape{static_cast<int64_t>(chosen.size()), is[1], is[2], is[3]});
  for (size_t i = 0; i < chosen.size(); ++i) {
    std::copy_n(s.samples.images.data() + chosen[i] * per, per, images.images.data() + static_cast<int64_t>(i) * per);
    images.labels.push_back(s.samples.labels[static_cast<size_t>(chosen[i])]);
  }
  std::unique_ptr<Job> job = std::make_unique<AblationJob>(s, node, std::move(images), std::move(sets));
  return job;
}

}  // namespace nl::web
