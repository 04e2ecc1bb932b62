// PyTorch parity for the interpretation method [torch-interpret]: every
// gradient-based quantity of src/interpret (contribution, its share, CAPTOR and
// weight-gradient scores, per-category gamma, the linear decomposition,
// Grad-CAM, saliency, visualization steps with and without the blur and the
// penalties) and the forward-only ones beside them (responses, per-category
// activation, top images, occlusion) equal an independent autograd computation
// on the same model and images: relative error max|a - b| / max|b| at most 1e-4
// per tensor.
//
// The reference is written by tests/reference/make_interpret_reference.py (the
// build runs it into ${CMAKE_BINARY_DIR}/reference/interpret); each file names
// the nodes, settings and images it covers, so this test only rebuilds the two
// networks and calls the engine.
//
// Sections:
//   1. locating and reading the data
//   2. comparing and recording errors
//   3. the networks (the same node names as the script)
//   4. the checks, one function per family of quantities
//   5. the test cases: each network with no pool, a 2-thread pool and, natively, XNNPACK forwards
#include <catch2/catch.hpp>

#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "interpret/activation.h"
#include "interpret/contribution.h"
#include "interpret/focus.h"
#include "interpret/top_images.h"
#include "interpret/visualize.h"
#include "kernels/thread_pool.h"
#include "net_builder.h"
#include "nn/ops/add.h"
#include "nn/ops/flatten.h"
#include "nn/ops/global_avg_pool.h"
#include "reference_data.h"
#ifdef NL_XNNPACK
#include "backends/xnnpack_forward.h"
#endif

namespace {

using nl::test::NetBuilder;
using nl::test::ReferenceCase;

constexpr double kMaxRelativeError = 1e-4;

// ---- 1. locating and reading the data ------------------------------------------------------

std::string reference_dir() {
  std::string dir = NL_REFERENCE_DIR;
#ifndef __EMSCRIPTEN__
  // Natively an environment variable may point elsewhere (Node's environment does not reach wasm).
  if (const char* env = std::getenv("NL_REFERENCE_DIR"); env && *env) dir = env;
#endif
  return dir + "/interpret";
}

std::string how_to_generate() {
  return std::string("Generate the interpretation reference data with:\n  ") + NL_INTERPRET_REFERENCE_COMMAND +
         "\n(the build does this itself when /usr/bin/python3 can import torch: python3-torch from Debian)";
}

std::vector<std::string> load_index() {
  std::vector<std::string> names;
  nl::Status s = nl::test::read_reference_index(reference_dir(), &names);
  if (!s.ok()) FAIL(s.message() << "\n" << how_to_generate());
  return names;
}

ReferenceCase load_case(const std::string& name) {
  ReferenceCase c;
  nl::Status s = nl::test::read_reference_case(reference_dir(), name, &c);
  if (!s.ok()) FAIL(s.message() << "\n" << how_to_generate());
  return c;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> items;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, separator);)
    if (!item.empty()) items.push_back(item);
  return items;
}

std::vector<int> integers(const std::string& text) {
  std::vector<int> out;
  for (const std::string& item : split(text, ',')) out.push_back(std::stoi(item));
  return out;
}

const nl::Tensor& tensor(const ReferenceCase& c, const std::string& name) {
  const nl::Tensor* t = c.find(name);
  if (!t) FAIL(c.name << ": the reference has no tensor '" << name << "'");
  return *t;
}

// ---- 2. comparing and recording errors -----------------------------------------------------

// Worst relative error per quantity over every tensor and variant, printed as a table.
struct ErrorSummary {
  struct Row {
    double worst = 0;
    int tensors = 0;
  };
  std::map<std::string, Row> rows;

  void print(const std::string& title) const {
    std::ostringstream s;
    s << "torch parity, interpretation of the " << title << " network (limit " << std::scientific
      << std::setprecision(1) << kMaxRelativeError << "):\n";
    for (const auto& [quantity, r] : rows)
      s << "  " << std::left << std::setw(22) << quantity << std::right << std::setw(10) << std::setprecision(2)
        << r.worst << "  over " << r.tensors << " tensors\n";
    std::cout << s.str() << std::flush;
  }
};

struct Checker {
  const ReferenceCase& c;
  ErrorSummary& summary;
  std::string variant;

  // Compares an engine tensor with the reference tensor `name`, recorded under `quantity`.
  void expect(const std::string& quantity, const std::string& name, const nl::Tensor& actual) {
    const nl::Tensor* expected = c.find(name);
    if (!expected) {
      FAIL_CHECK(c.name << ": the reference has no tensor '" << name << "'");
      return;
    }
    nl::test::TensorComparison cmp = nl::test::compare_tensors(actual, *expected);
    ErrorSummary::Row& row = summary.rows[quantity];
    row.worst = std::max(row.worst, cmp.relative_error);
    ++row.tensors;
    INFO(c.name << " [" << variant << "] " << name << ": relative error " << cmp.relative_error << " (limit "
                << kMaxRelativeError << ")\n    " << cmp.detail);
    CHECK(cmp.relative_error <= kMaxRelativeError);
  }
  void expect_map(const std::string& quantity, const std::string& name, const nl::FocusMap& map) {
    nl::Tensor t(nl::Shape{map.height, map.width});
    for (int64_t i = 0; i < t.elements(); ++i) t[i] = map.values[static_cast<size_t>(i)];
    expect(quantity, name, t);
  }
};

// ---- 3. the networks -----------------------------------------------------------------------

// [N, 16, 12, 3] -> conv1 (bias), ReLU -> conv2, BN, ReLU -> max pool -> conv3, BN, ReLU
// -> max pool -> [N, 4, 3, 16] -> flatten 192 -> fc1 32, ReLU -> fc2 10
nl::Status build_vgg(nl::Graph& g) {
  NetBuilder b(g);
  int x = b.relu("relu1", b.conv("conv1", 0, 3, 8, 3, 1, 1, 1, true));
  x = b.relu("relu2", b.bn("bn2", b.conv("conv2", x, 8, 8, 3, 1, 1), 8));
  x = b.max_pool_2x2("pool1", x);
  x = b.relu("relu3", b.bn("bn3", b.conv("conv3", x, 8, 16, 3, 1, 1), 16));
  x = b.max_pool_2x2("pool2", x);
  x = b.add("flatten", nl::Flatten::create(), {x});
  x = b.relu("fc1_relu", b.dense("fc1", x, 192, 32));
  b.dense("fc2", x, 32, 10);
  return b.status();
}

// [N, 13, 10, 3] -> stem (conv, BN, ReLU) -> basic block with identity shortcut -> basic block
// with stride 2 and a 1x1 projection shortcut (8 -> 16) -> [N, 7, 5, 16] -> global average pool -> fc 10
nl::Status build_resnet(nl::Graph& g) {
  NetBuilder b(g);
  int x = b.relu("stem_relu", b.bn("stem_bn", b.conv("stem", 0, 3, 8, 3, 1, 1), 8));
  int y = b.relu("b1_relu1", b.bn("b1_bn1", b.conv("b1_conv1", x, 8, 8, 3, 1, 1), 8));
  y = b.bn("b1_bn2", b.conv("b1_conv2", y, 8, 8, 3, 1, 1), 8);
  x = b.relu("b1_relu", b.add("b1_add", nl::Add::create(), {y, x}));
  y = b.relu("b2_relu1", b.bn("b2_bn1", b.conv("b2_conv1", x, 8, 16, 3, 2, 1), 16));
  y = b.bn("b2_bn2", b.conv("b2_conv2", y, 16, 16, 3, 1, 1), 16);
  int shortcut = b.bn("b2_proj_bn", b.conv("b2_proj", x, 8, 16, 1, 2, 0), 16);
  x = b.relu("b2_relu", b.add("b2_add", nl::Add::create(), {y, shortcut}));
  x = b.add("pool", nl::GlobalAvgPool::create(), {x});
  b.dense("fc", x, 16, 10);
  return b.status();
}

// Builds the case's network and loads every parameter, checking none is left over on either side.
void build_network(const ReferenceCase& c, nl::Graph& g) {
  const std::string network = c.string("network");
  REQUIRE(g.set_input("image", tensor(c, "in0").shape()).ok());
  nl::Status s = network == "vgg" ? build_vgg(g) : network == "resnet" ? build_resnet(g)
                                                  : nl::Status::Error("no engine builder for network '" + network + "'");
  INFO(c.name << ": " << s.message());
  REQUIRE(s.ok());
  std::set<std::string> unused;
  for (const std::string& n : c.names_with_prefix("param/")) unused.insert(n);
  for (nl::Param& p : g.params()) {
    const nl::Tensor& t = tensor(c, "param/" + p.name);
    INFO(c.name << ": parameter '" << p.name << "'");
    REQUIRE(t.elements() == p.value->elements());
    for (int64_t i = 0; i < t.elements(); ++i) (*p.value)[i] = t[i];
    unused.erase(p.name);
  }
  for (const std::string& n : unused) FAIL_CHECK(c.name << ": reference parameter '" << n << "' has no engine node");
}

int node_id(const nl::Graph& g, const std::string& name) {
  const int id = g.find(name);
  INFO("node '" << name << "'");
  REQUIRE(id > 0);
  return id;
}

// ---- 4. the checks ------------------------------------------------------------------------

// What every check needs: the case, the engine, the images and the class choices.
struct Setup {
  const ReferenceCase& c;
  nl::Graph& graph;
  nl::Executor& ex;
  nl::ImageSet set;      // all images with their labels
  nl::Tensor explained;  // the first `explain` images
  int classes = 0;
  std::vector<int> predicted, given;
  // The classes per image for a class choice: empty asks the engine for the predicted class.
  std::vector<int> classes_for(const std::string& choice) const { return choice == "given" ? given : std::vector<int>{}; }
};

const char* const kChoices[] = {"predicted", "given"};

void check_logits(Setup& s, Checker& check) {
  REQUIRE(s.ex.forward(s.set.images).ok());
  check.expect("logits", "logits", s.ex.value(nl::logits_node(s.graph)));
}

nl::ContributionOptions with_score(nl::ContributionScore score) {
  nl::ContributionOptions o;
  o.score = score;
  return o;
}

// Gradient x activation, its share and the CAPTOR score at pre- and post-activation
// nodes; weight-gradient scores at Conv2D and Dense nodes; for both class choices.
void check_contributions(Setup& s, Checker& check) {
  for (const std::string& name : split(s.c.string("contribution_nodes"), ',')) {
    const int node = node_id(s.graph, name);
    for (const std::string choice : kChoices) {
      std::vector<int> used;
      auto gxa = nl::contributions(s.ex, s.explained, node, s.classes_for(choice),
                                   with_score(nl::ContributionScore::kGradientTimesActivation), &used);
      INFO(name << ": " << gxa.status().message());
      REQUIRE(gxa.ok());
      CHECK(used == (choice == std::string("given") ? s.given : s.predicted));
      check.expect("contribution", "contribution/" + name + "/" + choice, gxa.value());
      if (choice == std::string("predicted")) {
        const nl::Tensor& scores = gxa.value();
        const int64_t n = scores.shape()[0], k = scores.shape()[1];
        nl::Tensor shares(scores.shape());
        for (int64_t b = 0; b < n; ++b) {
          std::vector<float> row = nl::contribution_shares(scores.data() + b * k, k);
          for (int64_t j = 0; j < k; ++j) shares[b * k + j] = row[static_cast<size_t>(j)];
        }
        check.expect("share", "share/" + name, shares);
      }
      auto captor = nl::contributions(s.ex, s.explained, node, s.classes_for(choice),
                                      with_score(nl::ContributionScore::kFeatureMapGradient));
      REQUIRE(captor.ok());
      check.expect("captor", "captor/" + name + "/" + choice, captor.value());
    }
  }
  for (const std::string& name : split(s.c.string("weight_gradient_nodes"), ',')) {
    const int node = node_id(s.graph, name);
    for (const std::string choice : kChoices) {
      auto w = nl::contributions(s.ex, s.explained, node, s.classes_for(choice),
                                 with_score(nl::ContributionScore::kWeightGradient));
      INFO(name << ": " << w.status().message());
      REQUIRE(w.ok());
      check.expect("weight gradient", "weight_gradient/" + name + "/" + choice, w.value());
    }
  }
  for (const std::string& name : split(s.c.string("linear_nodes"), ',')) {
    REQUIRE(s.ex.forward(s.explained).ok());
    auto terms = nl::linear_decomposition(s.ex, node_id(s.graph, name), s.predicted);
    INFO(name << ": " << terms.status().message());
    REQUIRE(terms.ok());
    check.expect("linear decomposition", "linear/" + name, terms.value());
  }
}

// Per-category tables over the labelled batch (more images than one sweep batch).
void check_categories(Setup& s, Checker& check) {
  const std::map<std::string, nl::ContributionScore> scores = {{"gxa", nl::ContributionScore::kGradientTimesActivation},
                                                               {"captor", nl::ContributionScore::kFeatureMapGradient},
                                                               {"wgrad", nl::ContributionScore::kWeightGradient}};
  for (const std::string& item : split(s.c.string("gamma"), ',')) {
    const std::vector<std::string> parts = split(item, ':');
    REQUIRE(parts.size() == 2);
    REQUIRE(scores.count(parts[0]));
    auto gamma = nl::category_contributions(s.ex, s.set, node_id(s.graph, parts[1]), s.classes, with_score(scores.at(parts[0])));
    INFO(item << ": " << gamma.status().message());
    REQUIRE(gamma.ok());
    check.expect("gamma " + parts[0], "gamma/" + parts[0] + "/" + parts[1], gamma.value());
  }
  for (const std::string& name : split(s.c.string("response_nodes"), ',')) {
    const int node = node_id(s.graph, name);
    auto responses = nl::neuron_responses(s.ex, s.set, node, nl::Reduction::kSum);
    REQUIRE(responses.ok());
    check.expect("responses", "responses/" + name, responses.value());
    auto act = nl::category_activation(s.ex, s.set, node, s.classes, nl::Reduction::kSum);
    REQUIRE(act.ok());
    check.expect("category activation", "category_activation/" + name, act.value());
  }
  for (const std::string& item : split(s.c.string("top"), ',')) {
    const std::vector<std::string> parts = split(item, ':');
    REQUIRE(parts.size() == 3);
    const int channel = std::stoi(parts[1]), k = std::stoi(parts[2]);
    auto top = nl::top_activating_images(s.ex, s.set, node_id(s.graph, parts[0]), channel, k);
    REQUIRE(top.ok());
    const nl::Tensor& expected = tensor(s.c, "top/" + parts[0] + "/" + parts[1]);  // rows: index, response, peak y, peak x
    REQUIRE(static_cast<int64_t>(top.value().size()) == expected.shape()[0]);
    nl::Tensor responses(nl::Shape{static_cast<int64_t>(k)}), expected_responses(responses.shape());
    for (int i = 0; i < k; ++i) {
      const nl::TopImage& t = top.value()[static_cast<size_t>(i)];
      INFO(item << ", rank " << i);
      CHECK(t.index == static_cast<int64_t>(expected[i * 4]));
      CHECK(t.peak_y == static_cast<int64_t>(expected[i * 4 + 2]));
      CHECK(t.peak_x == static_cast<int64_t>(expected[i * 4 + 3]));
      responses[i] = t.response;
      expected_responses[i] = expected[i * 4 + 1];
    }
    nl::test::TensorComparison cmp = nl::test::compare_tensors(responses, expected_responses);
    check.summary.rows["top images"].worst = std::max(check.summary.rows["top images"].worst, cmp.relative_error);
    ++check.summary.rows["top images"].tensors;
    INFO(item << ": " << cmp.detail);
    CHECK(cmp.relative_error <= kMaxRelativeError);
  }
}

// Grad-CAM at each node, saliency and occlusion, image by image, for both class choices.
void check_focus(Setup& s, Checker& check) {
  std::vector<std::pair<std::string, nl::OcclusionOptions>> occlusions;
  for (const std::string& item : split(s.c.string("occlusion"), ',')) {
    const std::vector<std::string> parts = split(item, ':');
    REQUIRE(parts.size() == 3);
    nl::OcclusionOptions o;
    o.patch = std::stoi(parts[0]);
    o.stride = std::stoi(parts[1]);
    o.fill = std::stof(parts[2]);
    occlusions.emplace_back(item, o);
  }
  const int64_t explain = s.explained.shape()[0];
  for (const std::string choice : kChoices) {
    for (int64_t i = 0; i < explain; ++i) {
      const nl::Tensor image = s.set.batch(i, i + 1);
      const int wanted = choice == std::string("given") ? s.given[static_cast<size_t>(i)] : -1;
      const int expected_class = choice == std::string("given") ? wanted : s.predicted[static_cast<size_t>(i)];
      const std::string tail = "/" + choice + "/" + std::to_string(i);
      for (const std::string& name : split(s.c.string("gradcam_nodes"), ',')) {
        auto cam = nl::grad_cam(s.ex, image, node_id(s.graph, name), wanted);
        INFO(name << ": " << cam.status().message());
        REQUIRE(cam.ok());
        CHECK(cam.value().target_class == expected_class);
        check.expect_map("Grad-CAM", "gradcam/" + name + tail, cam.value());
      }
      auto sal = nl::saliency(s.ex, image, wanted);
      REQUIRE(sal.ok());
      CHECK(sal.value().target_class == expected_class);
      check.expect_map("saliency", "saliency" + tail, sal.value());
      for (size_t j = 0; j < occlusions.size(); ++j) {
        auto occ = nl::occlusion(s.ex, image, wanted, occlusions[j].second);
        INFO("occlusion " << occlusions[j].first << ": " << occ.status().message());
        REQUIRE(occ.ok());
        CHECK(occ.value().target_class == expected_class);
        check.expect_map("occlusion", "occlusion/" + std::to_string(j) + tail, occ.value());
      }
    }
  }
}

// Gradient ascent: one plain step, several steps with the blur, with the L2 and
// total-variation penalties, on channel means, channel sums and a logit.
void check_visualizations(Setup& s, Checker& check) {
  for (const std::string& name : split(s.c.string("visualizations"), ',')) {
    const std::string key = "vis/" + name + "/";
    const std::string kind = s.c.string(key + "kind");
    nl::ObjectiveTerm term;
    term.kind = kind == "mean" ? nl::ObjectiveTerm::Kind::kChannelMean
                : kind == "sum" ? nl::ObjectiveTerm::Kind::kChannelSum
                                : nl::ObjectiveTerm::Kind::kUnit;
    term.channel = s.c.integer(key + "channel");
    const nl::Objective objective{node_id(s.graph, s.c.string(key + "node")), {term}};

    nl::VisualizeOptions o;
    o.steps = s.c.integer(key + "steps");
    o.learning_rate = static_cast<float>(s.c.number(key + "lr"));
    o.blur_sigma = static_cast<float>(s.c.number(key + "blur"));
    o.l2_decay = static_cast<float>(s.c.number(key + "l2"));
    o.total_variation = static_cast<float>(s.c.number(key + "tv"));
    const nl::Tensor& start = tensor(s.c, key + "start");
    if (s.c.string(key + "start") == "constant") {
      o.start = nl::VisualizeOptions::Start::kConstant;
      o.start_pixel = static_cast<float>(s.c.number(key + "start_pixel"));
      const nl::Tensor& scale = tensor(s.c, key + "scale");
      const nl::Tensor& shift = tensor(s.c, key + "shift");
      o.transform.scale.assign(scale.data(), scale.data() + scale.elements());
      o.transform.shift.assign(shift.data(), shift.data() + shift.elements());
    } else {
      o.start = nl::VisualizeOptions::Start::kImage;
      o.start_image = &start;
    }
    auto result = nl::visualize(s.ex, objective, o);
    INFO("visualization " << name << ": " << result.status().message());
    REQUIRE(result.ok());
    const nl::Tensor& image = result.value().image;
    check.expect("visualization image", key + "image", image);
    nl::Tensor update(image.shape());
    for (int64_t i = 0; i < image.elements(); ++i) update[i] = image[i] - start[i];
    check.expect("visualization update", key + "update", update);
    const std::vector<double>& j = result.value().objective;
    nl::Tensor objective_values(nl::Shape{static_cast<int64_t>(j.size())});
    for (size_t i = 0; i < j.size(); ++i) objective_values[static_cast<int64_t>(i)] = static_cast<float>(j[i]);
    check.expect("visualization J", key + "objective", objective_values);
  }
}

// ---- 5. the test cases ----------------------------------------------------------------------

enum class Route { kOps, kThreads, kXnnpack };

void run_case(const std::string& case_name) {
  const ReferenceCase c = load_case(case_name);
  ErrorSummary summary;
  std::vector<std::pair<std::string, Route>> variants = {{"no pool", Route::kOps}, {"2 threads", Route::kThreads}};
#ifdef NL_XNNPACK
  variants.emplace_back("XNNPACK forwards", Route::kXnnpack);
#endif
  for (const auto& [variant, route] : variants) {
    nl::Graph graph;
    build_network(c, graph);
    std::unique_ptr<nl::ThreadPool> pool;
    if (route == Route::kThreads) pool = std::make_unique<nl::ThreadPool>(2);
    nl::Executor ex(&graph, pool.get());
#ifdef NL_XNNPACK
    std::unique_ptr<nl::XnnpackForward> xnn;
    if (route == Route::kXnnpack) {
      auto made = nl::XnnpackForward::create(graph);
      INFO(made.status().message());
      REQUIRE(made.ok());
      xnn = std::move(made.value());
      ex.set_forward_backend(xnn.get());
    }
#endif
    const nl::Tensor& images = tensor(c, "in0");
    Setup s{c, graph, ex, nl::ImageSet{images, integers(c.string("labels"))}, nl::Tensor(), c.integer("classes"), {}, {}};
    REQUIRE(static_cast<int64_t>(s.set.labels.size()) == images.shape()[0]);
    s.explained = s.set.batch(0, c.integer("explain"));
    const nl::Tensor& predicted = tensor(c, "predicted");
    for (int64_t i = 0; i < predicted.elements(); ++i) s.predicted.push_back(static_cast<int>(predicted[i]));
    s.given = integers(c.string("given_classes"));
    REQUIRE(s.given.size() == s.predicted.size());

    INFO(c.name << " [" << variant << "]");
    Checker check{c, summary, variant};
    check_logits(s, check);
    check_contributions(s, check);
    check_categories(s, check);
    check_focus(s, check);
    check_visualizations(s, check);
  }
  summary.print(c.string("network"));
}

}  // namespace

TEST_CASE("interpretation reference data is present and readable", "[torch-interpret]") {
  const std::vector<std::string> names = load_index();
  CHECK(names.size() >= 2);
  for (const std::string& name : names) {
    const ReferenceCase c = load_case(name);
    INFO(name);
    CHECK(c.find("in0"));
    CHECK(c.find("logits"));
    CHECK(!c.string("network").empty());
  }
}

TEST_CASE("interpretation of a VGG-style network matches PyTorch autograd", "[torch-interpret]") {
  run_case("interpret_vgg");
}

TEST_CASE("interpretation of a ResNet-style network matches PyTorch autograd", "[torch-interpret]") {
  run_case("interpret_resnet");
}
