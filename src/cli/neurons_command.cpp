// neuronlens neurons: the neuron side of one prediction (METHOD.md):
//   at one layer (default the last conv), for every neuron k: its response
//   a_k(x) (sum and mean of its map, before and after the activation
//   function, or at one position), its contribution C_k(x) (gradient x
//   activation of the class logit) and share, the exact linear decomposition
//   term where the path to the logits is linear, its dominant category and
//   margin (over a statistics set), and the dominating sets for tau = 0.5, 0.8;
//   at every layer of neurons, the image's preference: the top-k neurons by
//   activation and by contribution (optionally with their visualizations).
// Writes neurons.json, neurons.csv, preference.csv, and with --visualize-top
// top_neurons.png (the layer's top-k neurons by contribution).
#include <algorithm>
#include <cstdio>
#include <numeric>

#include "cli/command.h"
#include "cli/method_command.h"
#include "cli/method_runs.h"
#include "cli/output_dir.h"
#include "interpret/activation.h"
#include "interpret/contribution.h"
#include "interpret/domination.h"

namespace nl::cli {

namespace {

constexpr const char* kName = "neurons";

std::string usage() {
  return std::string(
             "usage: neuronlens neurons --model DIR (--image FILE | --data NAME --index I) --out DIR [options]\n"
             "  --layer NAME        the layer studied in full (default: the last conv layer)\n"
             "  --class C           the class whose logit the contributions explain (default: predicted)\n"
             "  --position Y,X      also report each neuron's value at this position of its map\n"
             "  --top K             preference: top-K neurons per layer (default 5)\n"
             "  --no-domination     skip the dominant categories (which need a statistics set)\n"
             "  --per-class N       statistics images per class for domination (default 100)\n"
             "  --stats NAME|FOLDER the statistics set (default: the test set matching the model)\n"
             "  --visualize-top     visualize the layer's top-K neurons by contribution (paper preset)\n"
             "  --steps N           steps of those visualizations (default 256)\n") +
         kMethodOptionsHelp;
}

std::vector<int> top_k(const float* values, int64_t k, int64_t count) {
  std::vector<int> order(static_cast<size_t>(k));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return values[a] > values[b]; });
  order.resize(static_cast<size_t>(std::min(count, k)));
  return order;
}

}  // namespace

int run_neurons_command(std::span<const std::string> raw) {
  MethodCommand cmd(kName, usage());
  if (auto done =
          cmd.parse(raw, {"image", "data", "index", "class", "layer", "position", "top", "per-class", "stats", "steps"},
                    {"no-domination", "visualize-top"}))
    return *done;
  const Args& args = cmd.args();
  const bool quiet = cmd.quiet();
  auto top = args.integer("top", 5, 1, 100000);
  auto steps = args.integer("steps", 256, 0, 100000);
  if (auto bad = cmd.check({top.status(), steps.status()})) return *bad;

  auto ctx = cmd.open_model();
  if (!ctx.ok()) return cmd.error(ctx.status().message());
  MethodContext& m = *ctx.value();
  Graph& g = m.model.graph;
  auto input = load_input_image(args, m);
  if (!input.ok()) return cmd.error(input.status().message());
  auto node_result = resolve_layer(g, args.value("layer"), false);
  if (!node_result.ok()) return cmd.error(node_result.status().message());
  const int node = node_result.value();
  const int post = post_activation_node(g, node);
  const int64_t k = layer_width(g, node);
  const Shape& shape = g.node(node).shape;
  int64_t pos_y = -1, pos_x = -1;
  if (auto p = args.value("position")) {
    if (shape.rank() != 4) return cmd.error("--position needs a conv layer, [N, H, W, C]");
    long long y = -1, x = -1;
    char extra = 0;
    if (std::sscanf(p->c_str(), "%lld,%lld%c", &y, &x, &extra) == 2) {
      pos_y = y;
      pos_x = x;
    }
    if (pos_y < 0 || pos_x < 0 || pos_y >= shape[1] || pos_x >= shape[2])
      return cmd.error("--position must be Y,X inside the layer's " + std::to_string(shape[1]) + " x " +
                                        std::to_string(shape[2]) + " map");
  }
  auto prediction = predict(m, input.value().input);
  if (!prediction.ok()) return cmd.error(prediction.status().message());
  int target = prediction.value().predicted;
  if (auto c = args.value("class")) {
    auto parsed_class = parse_class(*c, m.model.labels);
    if (!parsed_class.ok()) return cmd.error(parsed_class.status().message());
    target = parsed_class.value();
  }

  // Responses at the layer (pre and post activation) from one forward pass.
  Tensor sums, means, post_sums;
  reduce_channels(m.ex->value(node), Reduction::kSum, &sums);
  reduce_channels(m.ex->value(node), Reduction::kMean, &means);
  reduce_channels(m.ex->value(post), Reduction::kSum, &post_sums);
  std::vector<float> at_position;
  if (pos_y >= 0)
    for (int64_t j = 0; j < k; ++j) at_position.push_back(m.ex->value(node)[((pos_y * shape[2]) + pos_x) * k + j]);
  ContributionOptions co;
  co.logits = m.logits;
  auto contrib = contributions(*m.ex, input.value().input, node, {target}, co);
  if (!contrib.ok()) return cmd.error(contrib.status().message());
  const float* c = contrib.value().data();
  const std::vector<float> shares = contribution_shares(c, k);
  auto linear = linear_decomposition(*m.ex, node, {target});

  std::vector<NeuronDomination> domination;
  std::string stats_name;
  if (!args.flag("no-domination")) {
    // The statistics set: --stats, else the default test set.
    std::vector<std::string> stats_args{"--model", *args.value("model")};
    if (auto s = args.value("stats")) stats_args.insert(stats_args.end(), {"--data", *s});
    if (auto p = args.value("per-class")) stats_args.insert(stats_args.end(), {"--per-class", *p});
    for (const char* opt : {"fashion-dir", "digits-dir"})
      if (auto v = args.value(opt)) stats_args.insert(stats_args.end(), {std::string("--") + opt, *v});
    auto stats_parsed = Args::parse(stats_args, {"model", "data", "per-class", "fashion-dir", "digits-dir"}, {});
    auto set = load_statistics_set(stats_parsed.value(), m, &stats_name);
    if (!set.ok()) return cmd.error(set.status().message() + " (or pass --no-domination)");
    auto gamma = category_scores(m, set.value(), node, ScoreKind::kContribution, quiet);
    if (!gamma.ok()) return cmd.error(gamma.status().message());
    domination = dominant_categories(gamma.value());
  }

  const auto& labels = m.model.labels;
  nlohmann::json j;
  j["model"] = m.model.name;
  j["image"] = input.value().source;
  if (input.value().label >= 0) j["label"] = labels[static_cast<size_t>(input.value().label)];
  j["predicted"] = labels[static_cast<size_t>(prediction.value().predicted)];
  j["target_class"] = labels[static_cast<size_t>(target)];
  j["probabilities"] = prediction.value().probabilities;
  j["layer"] = layer_json(g, node);
  j["post_activation_layer"] = g.node(post).name;
  j["linear_decomposition"] = linear.ok() ? "exact (global pooling then dense)" : linear.status().message();
  nlohmann::json rows_json = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  for (int64_t n = 0; n < k; ++n) {
    nlohmann::json r{{"neuron", n},
                     {"activation_sum", sums[n]},
                     {"activation_mean", means[n]},
                     {"post_activation_sum", post_sums[n]},
                     {"contribution", c[n]},
                     {"share", shares[static_cast<size_t>(n)]}};
    std::vector<std::string> row{std::to_string(n), csv_number(sums[n]), csv_number(means[n]), csv_number(post_sums[n]),
                                 csv_number(c[n]), csv_number(shares[static_cast<size_t>(n)])};
    row.push_back(linear.ok() ? csv_number(linear.value()[n]) : "");
    if (linear.ok()) r["linear_term"] = linear.value()[n];
    row.push_back(pos_y >= 0 ? csv_number(at_position[static_cast<size_t>(n)]) : "");
    if (pos_y >= 0) r["at_position"] = at_position[static_cast<size_t>(n)];
    if (!domination.empty()) {
      r["dominant"] = labels[static_cast<size_t>(domination[static_cast<size_t>(n)].category)];
      r["margin"] = domination[static_cast<size_t>(n)].margin;
      row.push_back(labels[static_cast<size_t>(domination[static_cast<size_t>(n)].category)]);
      row.push_back(csv_number(domination[static_cast<size_t>(n)].margin));
    } else {
      row.insert(row.end(), {"", ""});
    }
    rows_json.push_back(r);
    rows.push_back(row);
  }
  j["neurons"] = rows_json;
  if (pos_y >= 0) j["position"] = {pos_y, pos_x};
  if (!stats_name.empty()) j["domination_statistics"] = stats_name;
  for (double tau : {0.5, 0.8}) {
    const std::vector<int> set = dominating_set(c, k, tau);
    j["dominating_sets"].push_back({{"tau", tau}, {"neurons", set}, {"size", set.size()}});
  }

  // Preference: top-k neurons of every layer by activation and by contribution.
  std::vector<std::vector<std::string>> pref_rows;
  nlohmann::json preference = nlohmann::json::array();
  for (int layer : neuron_layers(g)) {
    auto lc = contributions(*m.ex, input.value().input, layer, {target}, co);
    if (!lc.ok()) return cmd.error(lc.status().message());
    Tensor act;
    reduce_channels(m.ex->value(layer), Reduction::kSum, &act);
    const int64_t lk = layer_width(g, layer);
    const auto by_act = top_k(act.data(), lk, top.value());
    const auto by_contrib = top_k(lc.value().data(), lk, top.value());
    nlohmann::json entry{{"layer", g.node(layer).name}, {"by_activation", nlohmann::json::array()}, {"by_contribution", nlohmann::json::array()}};
    for (size_t r = 0; r < by_act.size(); ++r) {
      entry["by_activation"].push_back({{"neuron", by_act[r]}, {"activation", act[by_act[r]]}});
      pref_rows.push_back({g.node(layer).name, "activation", std::to_string(r + 1), std::to_string(by_act[r]), csv_number(act[by_act[r]])});
    }
    for (size_t r = 0; r < by_contrib.size(); ++r) {
      entry["by_contribution"].push_back({{"neuron", by_contrib[r]}, {"contribution", lc.value()[by_contrib[r]]}});
      pref_rows.push_back({g.node(layer).name, "contribution", std::to_string(r + 1), std::to_string(by_contrib[r]),
                           csv_number(lc.value()[by_contrib[r]])});
    }
    preference.push_back(entry);
  }
  j["preference"] = preference;

  auto out = OutputDir::create(*args.value("out"));
  if (!out.ok()) return cmd.error(out.status().message());
  OutputDir& dir = out.value();
  Status st = dir.write_json("neurons.json", j);
  if (st.ok())
    st = dir.write_csv("neurons.csv",
                       {"neuron", "activation_sum", "activation_mean", "post_activation_sum", "contribution", "share",
                        "linear_term", "at_position", "dominant", "margin"},
                       rows);
  if (st.ok()) st = dir.write_csv("preference.csv", {"layer", "by", "rank", "neuron", "value"}, pref_rows);
  if (st.ok()) st = dir.write_png("input.png", upscale_nearest(input.value().picture, 8));
  if (st.ok() && args.flag("visualize-top")) {
    auto options = visualize_options_from(Args::parse(std::vector<std::string>{}, {}, {}).value(), m, static_cast<int>(steps.value()));
    if (!options.ok()) return cmd.error(options.status().message());
    const auto best = top_k(c, k, top.value());
    auto images = visualize_channels(m, node, best, options.value(), quiet, "visualize top neurons");
    if (!images.ok()) return cmd.error(images.status().message());
    std::vector<Image> tiles;
    for (size_t i = 0; i < best.size(); ++i)
      tiles.push_back(upscale_nearest(visualization_picture(images.value(), static_cast<int64_t>(i), m.transform), 4));
    st = dir.write_png("top_neurons.png", tile_images(tiles, static_cast<int>(best.size())));
  }
  if (!st.ok()) return cmd.error(st.message());
  if (!quiet) {
    const auto& d = j["dominating_sets"];
    std::fprintf(stderr, "%s: predicted %s; at %s the dominating set has %d neurons for tau 0.5, %d for 0.8\n",
                 input.value().source.c_str(), labels[static_cast<size_t>(prediction.value().predicted)].c_str(),
                 g.node(node).name.c_str(), d[0]["size"].get<int>(), d[1]["size"].get<int>());
  }
  dir.print_summary(quiet);
  return 0;
}

}  // namespace nl::cli
