// Statistics of one layer over the sample images, in batches: each batch runs
// one forward and one backward pass and gives, per image, every neuron's
// response a_k(x) (sum over its map) and its contribution towards the image's
// own class (gradient x activation). At the end: Act_{k,c} and gamma_{k,c}
// (means over each category's images), and the dominant category of each
// neuron from gamma (METHOD.md). Categories are the classes the images show
// (session.h, NodeStatistics). The result is kept in the session for the
// neuron panel, top images, clusters and analysis.
#include <emscripten/val.h>

#include <algorithm>

#include "interpret/activation.h"
#include "interpret/contribution.h"
#include "web_api/job.h"
#include "web_api/option_reader.h"
#include "web_api/session.h"
#include "web_api/web_result.h"

namespace nl::web {
namespace {

constexpr int64_t kStatisticsBatch = 16;

class StatisticsJob : public Job {
 public:
  StatisticsJob(Session& s, int node, std::vector<int64_t> images)
      : session_(s), node_(node), images_(std::move(images)) {
    const Shape& shape = s.model->graph.node(node).shape;
    channels_ = shape[shape.rank() - 1];
    // The categories: classes with at least one of the chosen images.
    column_.assign(static_cast<size_t>(s.classes()), -1);
    for (int64_t index : images_) column_[static_cast<size_t>(s.samples.labels[static_cast<size_t>(index)])] = 0;
    for (int c = 0; c < s.classes(); ++c)
      if (column_[static_cast<size_t>(c)] == 0) {
        column_[static_cast<size_t>(c)] = static_cast<int>(categories_.size());
        categories_.push_back(c);
      }
    classes_ = static_cast<int>(categories_.size());
    responses_.resize(Shape{static_cast<int64_t>(s.samples.size()), channels_});
    act_sum_.assign(static_cast<size_t>(channels_ * classes_), 0.0);
    gamma_sum_.assign(static_cast<size_t>(channels_ * classes_), 0.0);
    count_.assign(static_cast<size_t>(classes_), 0);
  }

  Status step() override {
    Session& s = session_;
    const int64_t begin = done_, end = std::min<int64_t>(done_ + kStatisticsBatch, images_.size());
    const Shape& is = s.samples.images.shape();
    const int64_t per = is[1] * is[2] * is[3];
    Tensor batch(Shape{end - begin, is[1], is[2], is[3]});
    std::vector<int> labels;
    for (int64_t i = begin; i < end; ++i) {
      const int64_t index = images_[static_cast<size_t>(i)];
      std::copy_n(s.samples.images.data() + index * per, per, batch.data() + (i - begin) * per);
      labels.push_back(s.samples.labels[static_cast<size_t>(index)]);
    }
    s.executor_used();
    auto scores = contributions(*s.executor, batch, node_, labels, ContributionOptions{});
    if (!scores.ok()) return scores.status();
    // The forward pass of contributions() left this batch's values in the executor.
    Tensor responses;
    reduce_channels(s.executor->value(node_), Reduction::kSum, &responses);
    for (int64_t i = begin; i < end; ++i) {
      const int64_t b = i - begin, index = images_[static_cast<size_t>(i)];
      const int c = column_[static_cast<size_t>(labels[static_cast<size_t>(b)])];
      ++count_[static_cast<size_t>(c)];
      for (int64_t k = 0; k < channels_; ++k) {
        const float a = responses[b * channels_ + k];
        responses_[index * channels_ + k] = a;
        act_sum_[static_cast<size_t>(k * classes_ + c)] += a;
        gamma_sum_[static_cast<size_t>(k * classes_ + c)] += scores.value()[b * channels_ + k];
      }
    }
    done_ = end;
    if (finished()) store();
    return Status::Ok();
  }

  bool finished() const override { return done_ >= static_cast<int64_t>(images_.size()); }
  double progress() const override { return images_.empty() ? 1.0 : static_cast<double>(done_) / images_.size(); }
  void describe_progress(emscripten::val& report) override {
    report.set("images", static_cast<double>(done_));
    report.set("total", static_cast<double>(images_.size()));
  }
  emscripten::val result() override {
    emscripten::val out = ok_result();
    const NodeStatistics& st = session_.statistics[node_];
    out.set("node", node_);
    out.set("channels", static_cast<double>(channels_));
    out.set("classes", classes_);
    out.set("categories", int_array(categories_));
    out.set("images", static_cast<double>(images_.size()));
    out.set("activation", float_array(st.activation.data(), static_cast<size_t>(st.activation.elements())));
    out.set("contribution", float_array(st.contribution.data(), static_cast<size_t>(st.contribution.elements())));
    std::vector<int> dominant;
    std::vector<float> margin;
    for (const NeuronDomination& d : st.domination) {
      dominant.push_back(d.category);
      margin.push_back(d.margin);
    }
    out.set("dominant", int_array(dominant));
    out.set("margin", float_array(margin));
    return out;
  }

 private:
  void store() {
    NodeStatistics st;
    st.node = node_;
    st.categories = categories_;
    st.responses = responses_;
    st.activation.resize(Shape{channels_, classes_});
    st.contribution.resize(Shape{channels_, classes_});
    for (int64_t k = 0; k < channels_; ++k)
      for (int c = 0; c < classes_; ++c) {
        const double n = std::max<int64_t>(1, count_[static_cast<size_t>(c)]);
        st.activation[k * classes_ + c] = static_cast<float>(act_sum_[static_cast<size_t>(k * classes_ + c)] / n);
        st.contribution[k * classes_ + c] = static_cast<float>(gamma_sum_[static_cast<size_t>(k * classes_ + c)] / n);
      }
    st.domination = dominant_categories(st.contribution);
    session_.statistics[node_] = std::move(st);
  }

  Session& session_;
  int node_;
  std::vector<int64_t> images_;  // sample indices used
  int64_t channels_ = 0;
  std::vector<int> categories_;  // model classes with images: the statistics' columns
  std::vector<int> column_;      // model class -> column, or -1
  int classes_ = 0;              // columns: categories_.size()
  int64_t done_ = 0;
  Tensor responses_;  // [N, K] over all samples; rows of unused samples stay 0
  std::vector<double> act_sum_, gamma_sum_;
  std::vector<int64_t> count_;
};

}  // namespace

// Options: node, perClass (at most this many images of each category; default all).
Result<std::unique_ptr<Job>> make_statistics_job(Session& s, emscripten::val options) {
  NL_RETURN_IF_ERROR(s.require_samples());
  OptionReader o(options, "statistics");
  const int node = o.integer("node", -1, 1, s.model->graph.size() - 1);
  const int per_class = o.integer("perClass", 1000000, 1, 1000000);
  NL_RETURN_IF_ERROR(o.status());
  if (node >= s.logits)
    return Status::Error("statistics: layer " + s.model->graph.node(node).name +
                         " comes after the class scores; choose an earlier layer");
  std::vector<int64_t> images;
  std::vector<int> taken(static_cast<size_t>(s.classes()), 0);
  for (int64_t i = 0; i < s.samples.size(); ++i) {
    const int c = s.samples.labels[static_cast<size_t>(i)];
    if (taken[static_cast<size_t>(c)]++ < per_class) images.push_back(i);
  }
  std::unique_ptr<Job> job = std::make_unique<StatisticsJob>(s, node, std::move(images));
  return job;
}

}  // namespace nl::web
