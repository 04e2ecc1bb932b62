// neuronlens visualize: activation-maximising images by gradient ascent on
// the pixels (METHOD.md, "Visualization"), for channels of a layer, class
// logits, or one spatial neuron; paper-style by default, modern options on
// request; "dream from the image" with --image FILE --start image.
// Writes one PNG per objective (clipped to mean +- 5 std, enlarged),
// gallery.png (all of them tiled), visualize.json (settings, objectives) and
// visualize.csv (the final objective of each).
#include <cctype>
#include <cstdio>
#include <sstream>

#include "cli/command.h"
#include "cli/method_command.h"
#include "cli/method_runs.h"
#include "cli/output_dir.h"
#include "cli/progress_bar.h"

namespace nl::cli {

namespace {

constexpr const char* kName = "visualize";

std::string usage() {
  return std::string(
             "usage: neuronlens visualize --model DIR --out DIR (--layer NAME [--neurons LIST] | --class LIST) [options]\n"
             "  --layer NAME        the layer whose channels are visualized (default: the last conv layer)\n"
             "  --neurons LIST      channels: all (default), 3, 0,4,7 or 0-15\n"
             "  --class LIST        class logits instead: names or indices, comma separated, or all\n"
             "  --objective mean|sum  a channel's mean (default) or sum over its map\n"
             "  --position Y,X      one spatial neuron of each channel instead of the whole map\n"
             "  --post              the layer after its activation function (default: before)\n"
             "  --image FILE        the start image for --start image (dream from the image)\n"
             "  --scale N           enlarge the PNGs N times (default 4)\n") +
         kVisualizeOptionsHelp + kMethodOptionsHelp;
}

std::string file_safe(const std::string& name) {
  std::string out;
  for (char c : name) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
  return out;
}

}  // namespace

int run_visualize_command(std::span<const std::string> raw) {
  MethodCommand cmd(kName, usage());
  if (auto done = cmd.parse(
          raw, with_visualize_options({"layer", "neurons", "class", "objective", "position", "image", "scale"}),
          with_visualize_flags({"post"})))
    return *done;
  const Args& args = cmd.args();
  if (args.value("class") && (args.value("layer") || args.value("neurons")))
    return cmd.usage_error("give either --class or --layer/--neurons");
  const bool quiet = cmd.quiet();
  auto scale = args.integer("scale", 4, 1, 64);
  if (auto bad = cmd.check({scale.status()})) return *bad;

  auto ctx = cmd.open_model();
  if (!ctx.ok()) return cmd.error(ctx.status().message());
  MethodContext& m = *ctx.value();
  Graph& g = m.model.graph;
  auto options = visualize_options_from(args, m, 1000);
  if (!options.ok()) return cmd.usage_error(options.status().message());
  VisualizeOptions& o = options.value();
  Tensor start_image;
  if (args.value("image")) {
    auto loaded = load_input_image(args, m);
    if (!loaded.ok()) return cmd.error(loaded.status().message());
    start_image = std::move(loaded.value().input);
    if (!args.value("start")) o.start = VisualizeOptions::Start::kImage;
  }
  if (o.start == VisualizeOptions::Start::kImage) {
    if (start_image.elements() == 0) return cmd.usage_error("--start image needs --image FILE");
    o.start_image = &start_image;
  }

  // The objectives: one per channel, class or spatial neuron.
  std::vector<Objective> objectives;
  std::vector<std::string> names, files;
  int node = -1;
  if (auto classes = args.value("class")) {
    std::vector<int> list;
    if (*classes == "all") {
      for (int c = 0; c < m.classes; ++c) list.push_back(c);
    } else {
      std::stringstream items(*classes);
      for (std::string item; std::getline(items, item, ',');) {
        auto c = parse_class(item, m.model.labels);
        if (!c.ok()) return cmd.error(c.status().message());
        list.push_back(c.value());
      }
    }
    node = m.logits;
    for (int c : list) {
      objectives.push_back(unit_objective(m.logits, c));
      names.push_back("class " + m.model.labels[static_cast<size_t>(c)]);
      files.push_back("class_" + file_safe(m.model.labels[static_cast<size_t>(c)]) + ".png");
    }
  } else {
    auto layer = resolve_layer(g, args.value("layer"), args.flag("post"));
    if (!layer.ok()) return cmd.error(layer.status().message());
    node = layer.value();
    auto channels = parse_index_list(args.value("neurons").value_or("all"), layer_width(g, node), "--neurons");
    if (!channels.ok()) return cmd.error(channels.status().message());
    const Shape& shape = g.node(node).shape;
    long long py = -1, px = -1;
    if (auto p = args.value("position")) {
      char extra = 0;
      if (shape.rank() != 4 || std::sscanf(p->c_str(), "%lld,%lld%c", &py, &px, &extra) != 2 || py < 0 || px < 0 ||
          py >= shape[1] || px >= shape[2])
        return cmd.error("--position must be Y,X inside the map of a conv layer (" + shape.str() + ")");
    }
    const std::string objective = args.value("objective").value_or("mean");
    if (objective != "mean" && objective != "sum") return cmd.usage_error("--objective must be mean or sum");
    for (int c : channels.value()) {
      Objective ob;
      if (shape.rank() == 2) ob = unit_objective(node, c);
      else if (py >= 0) ob = Objective{node, {{ObjectiveTerm::Kind::kSpatial, c, static_cast<int>(py), static_cast<int>(px), 1.0f}}};
      else ob = channel_objective(node, c, objective == "mean");
      objectives.push_back(ob);
      names.push_back(g.node(node).name + " neuron " + std::to_string(c));
      files.push_back(file_safe(g.node(node).name) + "_" + std::to_string(c) + ".png");
    }
  }

  auto out = OutputDir::create(*args.value("out"));
  if (!out.ok()) return cmd.error(out.status().message());
  OutputDir& dir = out.value();
  const int s = static_cast<int>(scale.value());
  nlohmann::json j;
  j["model"] = m.model.name;
  j["layer"] = layer_json(g, node);
  j["options"] = visualize_options_json(o);
  std::vector<std::vector<std::string>> rows;
  std::vector<Image> gallery;
  ProgressBar bar("visualize " + g.node(node).name, static_cast<int64_t>(objectives.size()) * std::max(1, o.steps), quiet);
  for (size_t i = 0; i < objectives.size(); ++i) {
    const int64_t before = static_cast<int64_t>(i) * o.steps;
    auto r = visualize(*m.ex, objectives[i], o, [&](int step, double) {
      bar.update(before + step);
      return true;
    });
    if (!r.ok()) return cmd.error(r.status().message());
    const double final_j = r.value().objective.empty() ? 0.0 : r.value().objective.back();
    const double first_j = r.value().objective.empty() ? 0.0 : r.value().objective.front();
    for (int64_t img = 0; img < o.images; ++img) {
      const Image picture = upscale_nearest(visualization_picture(r.value().image, img, m.transform), s);
      std::string file = files[i];
      if (o.images > 1) file = file.substr(0, file.size() - 4) + "_" + std::to_string(img) + ".png";
      const Status st = dir.write_png(file, picture);
      if (!st.ok()) return cmd.error(st.message());
      gallery.push_back(picture);
      j["images"].push_back({{"objective", names[i]}, {"file", file}, {"first_objective", first_j}, {"final_objective", final_j}});
    }
    rows.push_back({names[i], files[i], csv_number(first_j), csv_number(final_j)});
  }
  bar.finish();
  Status st = dir.write_png("gallery.png", tile_images(gallery, 8, 2 * s));
  if (st.ok()) st = dir.write_json("visualize.json", j);
  if (st.ok()) st = dir.write_csv("visualize.csv", {"objective", "file", "first_objective", "final_objective"}, rows);
  if (!st.ok()) return cmd.error(st.message());
  dir.print_summary(quiet);
  return 0;
}

}  // namespace nl::cli
