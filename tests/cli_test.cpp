// The method subcommands of the native CLI, run as a user runs them, on a
// tiny model built here and a folder of PNGs written here (so the folder
// reader and the image codecs are exercised too): the fixed forms of
// categories.json (labels, similarity, order, merges in SciPy's convention)
// and ablation.json (keep-all reproduces the accuracy computed in-process),
// every subcommand's outputs, and clear errors for a missing model, a
// missing dataset and a bad option. Native only: wasm has no CLI.
#include <cmath>
#include <catch2/catch.hpp>

#ifdef NL_CLI_PATH
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "data/image_folder.h"
#include "image/png_encode.h"
#include "model/model_file.h"
#include "nn/executor.h"
#include "nn/ops/conv2d.h"
#include "nn/ops/dense.h"
#include "nn/ops/flatten.h"
#include "nn/ops/max_pool2d.h"
#include "nn/ops/relu.h"
#include "temp_dir.h"
#include "tensor/rng.h"
#include "train/trainer.h"

namespace {

struct RunResult {
  int exit_code = -1;
  std::string err;
};

// Runs `neuronlens ARGS` with stdout and stderr captured to files in `dir`.
RunResult run_cli(const nl::test::TempDir& dir, const std::string& args) {
  const std::string err_file = dir.file("stderr.txt");
  const std::string command = std::string("'") + NL_CLI_PATH + "' " + args + " > '" + dir.file("stdout.txt") + "' 2> '" + err_file + "'";
  const int status = std::system(command.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(err_file);
  std::stringstream text;
  text << in.rdbuf();
  r.err = text.str();
  return r;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

// input [1,8,8,1] -> conv 3x3 (6, same) -> relu -> maxpool 2 -> conv 3x3 (4, same) -> relu -> flatten -> dense 64->3
nl::Model tiny_model() {
  nl::Model m;
  m.name = "cli-test";
  m.labels = {"top", "left", "corner"};
  m.preprocessing.mean = {0.5f};
  m.preprocessing.std = {0.5f};
  nl::Graph& g = m.graph;
  REQUIRE(g.set_input("image", nl::Shape{1, 8, 8, 1}).ok());
  auto conv = [](int64_t in, int64_t out) {
    nl::Conv2DParams p;
    p.in_channels = in;
    p.out_channels = out;
    p.kernel_h = p.kernel_w = 3;
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
    return std::move(nl::Conv2D::create(p).value());
  };
  const int c1 = g.add("conv1", conv(1, 6), {0}).value();
  const int r1 = g.add("conv1_relu", std::move(nl::ReLU::create().value()), {c1}).value();
  const int p1 = g.add("pool1", std::move(nl::MaxPool2D::create(nl::Pool2DParams{}).value()), {r1}).value();
  const int c2 = g.add("conv2", conv(6, 4), {p1}).value();
  const int r2 = g.add("conv2_relu", std::move(nl::ReLU::create().value()), {c2}).value();
  const int f = g.add("flatten", std::move(nl::Flatten::create().value()), {r2}).value();
  REQUIRE(g.add("logits", std::move(nl::Dense::create(64, 3).value()), {f}).ok());
  nl::Rng rng(11);
  for (nl::Param& p : g.params())
    for (int64_t i = 0; i < p.value->elements(); ++i) (*p.value)[i] = static_cast<float>(rng.uniform(-0.5, 0.5));
  return m;
}

// 6 images per class, 8x8 grey: a bright top half, left half or corner, plus noise.
void write_image_folder(const std::string& root) {
  nl::Rng rng(5);
  const char* classes[3] = {"top", "left", "corner"};
  for (int c = 0; c < 3; ++c) {
    std::filesystem::create_directories(root + "/" + classes[c]);
    for (int i = 0; i < 6; ++i) {
      nl::Image im;
      im.width = im.height = 8;
      im.channels = 1;
      for (int y = 0; y < 8; ++y)
        for (int x = 0; x < 8; ++x) {
          const bool on = c == 0 ? y < 4 : c == 1 ? x < 4 : (x >= 4 && y >= 4);
          im.pixels.push_back(static_cast<uint8_t>((on ? 200 : 20) + rng.below(40)));
        }
      auto png = nl::encode_png(im);
      REQUIRE(png.ok());
      std::ofstream out(root + "/" + classes[c] + "/" + std::to_string(i) + ".png", std::ios::binary);
      out.write(reinterpret_cast<const char*>(png.value().data()), static_cast<std::streamsize>(png.value().size()));
    }
  }
}

struct Fixture {
  nl::test::TempDir dir;
  std::string model, data;
  Fixture() {
    model = dir.file("model");
    data = dir.file("data");
    nl::Model m = tiny_model();
    REQUIRE(nl::save_model(m, model).ok());
    write_image_folder(data);
  }
};

}  // namespace

TEST_CASE("cluster-categories: (B) uses activation by default, or the score it is given", "[cli]") {
  Fixture f;
  auto similarity_of = [&](const std::string& extra, const std::string& out) {
    const RunResult r = run_cli(f.dir, "cluster-categories --model '" + f.model + "' --data '" + f.data + "' --out '" +
                                           f.dir.file(out) + "' --quiet" + extra);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return read_json(f.dir.file(out + "/categories.json"));
  };
  const nlohmann::json by_default = similarity_of("", "default");
  CHECK(by_default["score"] == "contribution");
  CHECK(by_default["similarity_score"] == "activation");
  // Asked for the same score as (A), (B) is the cosine of the columns of "scores" (K x C).
  const nlohmann::json same = similarity_of(" --similarity-score contribution", "same");
  CHECK(same["similarity_score"] == "contribution");
  const auto scores = same["scores"].get<std::vector<std::vector<double>>>();
  const auto sim = same["similarity"].get<std::vector<std::vector<double>>>();
  for (size_t a = 0; a < 3; ++a)
    for (size_t b = 0; b < 3; ++b) {
      double dot = 0, na = 0, nb = 0;
      for (const auto& row : scores) {
        dot += row[a] * row[b];
        na += row[a] * row[a];
        nb += row[b] * row[b];
      }
      CHECK(sim[a][b] == Approx(dot / std::sqrt(na * nb)).margin(1e-6));
    }
  // The groups (A) do not depend on the score of (B).
  CHECK(same["groups"] == by_default["groups"]);
}

TEST_CASE("cluster-categories writes categories.json in its fixed form", "[cli]") {
  Fixture f;
  const RunResult r = run_cli(f.dir, "cluster-categories --model '" + f.model + "' --data '" + f.data + "' --out '" +
                                         f.dir.file("cc") + "' --quiet");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const nlohmann::json j = read_json(f.dir.file("cc/categories.json"));
  const std::vector<std::string> labels = {"top", "left", "corner"};
  CHECK(j["labels"].get<std::vector<std::string>>() == labels);
  const auto sim = j["similarity"].get<std::vector<std::vector<double>>>();
  REQUIRE(sim.size() == 3);
  for (size_t a = 0; a < 3; ++a) {
    REQUIRE(sim[a].size() == 3);
    CHECK(sim[a][a] == Approx(1.0));
    for (size_t b = 0; b < 3; ++b) {
      CHECK(sim[a][b] == sim[b][a]);
      CHECK(sim[a][b] >= -1.0);
      CHECK(sim[a][b] <= 1.0);
    }
  }
  // order: a permutation of the labels.
  auto order = j["order"].get<std::vector<std::string>>();
  CHECK(std::set<std::string>(order.begin(), order.end()) == std::set<std::string>(labels.begin(), labels.end()));
  // merges: SciPy's linkage: n - 1 rows [a, b, distance, size]; row r makes id n + r;
  // each id used once, children created before, heights non-decreasing, sizes add up.
  const auto merges = j["merges"];
  REQUIRE(merges.size() == 2);
  std::vector<int64_t> size_of = {1, 1, 1};
  std::set<int64_t> used;
  double last = -1;
  for (size_t r = 0; r < merges.size(); ++r) {
    REQUIRE(merges[r].size() == 4);
    const int64_t a = merges[r][0].get<int64_t>(), b = merges[r][1].get<int64_t>(), size = merges[r][3].get<int64_t>();
    const double distance = merges[r][2].get<double>();
    CHECK(a < b);
    CHECK(b < 3 + static_cast<int64_t>(r));
    CHECK(used.insert(a).second);
    CHECK(used.insert(b).second);
    CHECK(distance >= last);
    last = distance;
    CHECK(size == size_of[static_cast<size_t>(a)] + size_of[static_cast<size_t>(b)]);
    size_of.push_back(size);
    // The distance of two leaves is 1 - their similarity (average linkage).
    if (a < 3 && b < 3) CHECK(distance == Approx(1.0 - sim[static_cast<size_t>(a)][static_cast<size_t>(b)]));
  }
  CHECK(size_of.back() == 3);
  // The order is the dendrogram's leaves, first child first (scipy leaves_list).
  std::vector<std::string> leaves;
  std::function<void(int64_t)> walk = [&](int64_t id) {
    if (id < 3) {
      leaves.push_back(labels[static_cast<size_t>(id)]);
      return;
    }
    walk(merges[static_cast<size_t>(id - 3)][0].get<int64_t>());
    walk(merges[static_cast<size_t>(id - 3)][1].get<int64_t>());
  };
  walk(4);
  CHECK(leaves == order);
  // Groups cover every neuron of the layer (conv2, the last conv: 4 neurons) once.
  int64_t members = 0;
  for (const auto& g : j["groups"]) members += static_cast<int64_t>(g["neurons"].size());
  CHECK(members == 4);
  for (const char* file : {"similarity.csv", "neurons.csv", "similarity.png", "neuron_category.png", "dendrogram.svg"})
    CHECK(std::filesystem::exists(f.dir.file(std::string("cc/") + file)));
}

TEST_CASE("ablate writes ablation.json; keeping every neuron reproduces the accuracy", "[cli]") {
  Fixture f;
  const RunResult r = run_cli(f.dir, "ablate --model '" + f.model + "' --data '" + f.data + "' --out '" + f.dir.file("ab") +
                                         "' --clusters 2 --sizes 1,2 --quiet");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const nlohmann::json j = read_json(f.dir.file("ab/ablation.json"));
  // The accuracy of the unmodified model on the same images, computed here.
  auto model = nl::load_model(f.model);
  REQUIRE(model.ok());
  auto data = nl::load_image_folder(f.data, model.value().labels, 8, 8, 1);
  REQUIRE(data.ok());
  auto matrix = nl::evaluate_classifier(model.value().graph, model.value().preprocessing, data.value(), nullptr);
  REQUIRE(matrix.ok());
  bool saw_all = false, saw_random = false;
  for (const auto& s : j["schemes"]) {
    REQUIRE(s["per_class"].size() == 3);
    CHECK(s["overall"].get<double>() >= 0.0);
    CHECK(s["overall"].get<double>() <= 1.0);
    for (int n : s["kept"].get<std::vector<int>>()) {
      CHECK(n >= 0);
      CHECK(n < 4);
    }
    if (s["name"] == "keep all") {
      saw_all = true;
      CHECK(s["kept"].size() == 4);
      CHECK(s["overall"].get<double>() == Approx(matrix.value().accuracy()));
      CHECK(s["parameters_kept"] == s["parameters_total"]);
    }
    if (s["kind"] == "random") {
      saw_random = true;
      CHECK(s["seeds"].size() >= 5);
      double mean = 0;
      for (const auto& run : s["per_seed"]) mean += run["overall"].get<double>() / static_cast<double>(s["per_seed"].size());
      CHECK(s["overall"].get<double>() == Approx(mean));
    }
  }
  CHECK(saw_all);
  CHECK(saw_random);
  REQUIRE(j.contains("domination_test"));
  CHECK(j["domination_test"]["summary"].size() == 2);
  CHECK(std::filesystem::exists(f.dir.file("ab/ablation.csv")));
  CHECK(std::filesystem::exists(f.dir.file("ab/domination.csv")));
}

TEST_CASE("every method subcommand writes its files", "[cli]") {
  Fixture f;
  const std::string common = " --model '" + f.model + "' --quiet --out '";
  const std::string image = f.data + "/left/0.png";
  struct Case {
    std::string args;
    std::vector<std::string> files;
  };
  const std::vector<Case> cases = {
      {"focus" + common + f.dir.file("fo") + "' --image '" + image + "'",
       {"fo/input.png", "fo/gradcam.png", "fo/saliency_map.png", "fo/occlusion.png", "fo/focus.json", "fo/focus.csv"}},
      {"neurons" + common + f.dir.file("ne") + "' --image '" + image + "' --stats '" + f.data + "' --visualize-top --steps 5",
       {"ne/neurons.json", "ne/neurons.csv", "ne/preference.csv", "ne/top_neurons.png"}},
      {"visualize" + common + f.dir.file("vi") + "' --layer conv1 --neurons 0-2 --steps 5",
       {"vi/conv1_0.png", "vi/conv1_2.png", "vi/gallery.png", "vi/visualize.json", "vi/visualize.csv"}},
      {"visualize" + common + f.dir.file("vc") + "' --class all --preset modern --steps 5",
       {"vc/class_top.png", "vc/class_corner.png"}},
      {"visualize" + common + f.dir.file("vd") + "' --image '" + image + "' --steps 3 --neurons 1",
       {"vd/conv2_1.png"}},
      {"top-images" + common + f.dir.file("ti") + "' --data '" + f.data + "' --neurons 0,3 --k 4",
       {"ti/conv2_0_top.png", "ti/conv2_3_top.png", "ti/top_images.json", "ti/top_images.csv"}},
      {"cluster-neurons" + common + f.dir.file("cn") + "' --data '" + f.data + "' --k 2 --steps 5",
       {"cn/clusters.json", "cn/clusters.csv", "cn/silhouette.csv", "cn/cluster_0.png", "cn/cluster_category.png"}},
      {"cluster-neurons" + common + f.dir.file("ca") + "' --data '" + f.data + "' --k 2 --method agglomerative --features contribution",
       {"ca/clusters.json", "ca/dendrogram.svg"}},
      {"report" + common + f.dir.file("re") + "' --data '" + f.data + "' --steps 5 --clusters 2 --sizes 1",
       {"re/report.html", "re/report.json", "re/categories.json", "re/ablation.json"}},
  };
  for (const Case& c : cases) {
    const RunResult r = run_cli(f.dir, c.args);
    INFO(c.args << "\n" << r.err);
    CHECK(r.exit_code == 0);
    for (const auto& file : c.files) {
      INFO(file);
      CHECK(std::filesystem::exists(f.dir.file(file)));
    }
  }
  // The report is one self-contained file: inlined PNGs and SVG, no external references.
  std::ifstream in(f.dir.file("re/report.html"));
  std::stringstream text;
  text << in.rdbuf();
  const std::string html = text.str();
  CHECK(html.find("data:image/png;base64,") != std::string::npos);
  CHECK(html.find("<svg") != std::string::npos);
  CHECK(html.find("src=\"http") == std::string::npos);
  CHECK(html.find("href=\"http") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  const nlohmann::json focus = read_json(f.dir.file("fo/focus.json"));
  CHECK(focus["maps"]["gradcam"]["values"].size() == 64);
}

TEST_CASE("the CLI gives clear errors for a missing model or dataset and bad options", "[cli]") {
  Fixture f;
  RunResult r = run_cli(f.dir, "cluster-categories --model '" + f.dir.file("nowhere") + "' --data '" + f.data + "' --out '" +
                                   f.dir.file("x") + "'");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("nowhere") != std::string::npos);
  r = run_cli(f.dir, "ablate --model '" + f.model + "' --data '" + f.dir.file("no-such-data") + "' --out '" + f.dir.file("x") + "'");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("no-such-data") != std::string::npos);
  r = run_cli(f.dir, "ablate --model '" + f.model + "' --out '" + f.dir.file("x") + "'");  // labels match no known set
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("--data") != std::string::npos);
  r = run_cli(f.dir, "focus --model '" + f.model + "' --out '" + f.dir.file("x") + "' --image '" + f.dir.file("missing.png") + "'");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("missing.png") != std::string::npos);
  r = run_cli(f.dir, "visualize --model '" + f.model + "' --out '" + f.dir.file("x") + "' --layer nope");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("nope") != std::string::npos);
  r = run_cli(f.dir, "visualize --model '" + f.model + "' --out '" + f.dir.file("x") + "' --stepz 3");
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--stepz") != std::string::npos);
  r = run_cli(f.dir, "report --out '" + f.dir.file("x") + "'");
  CHECK(r.exit_code == 2);
  // A folder with a subfolder that names no class.
  std::filesystem::create_directories(f.data + "/shoe");
  r = run_cli(f.dir, "cluster-categories --model '" + f.model + "' --data '" + f.data + "' --out '" + f.dir.file("x") + "'");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("shoe") != std::string::npos);
}

#endif  // NL_CLI_PATH
