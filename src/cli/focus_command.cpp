// neuronlens focus: where the network looks for one image (METHOD.md,
// "Image-side quantities"): Grad-CAM at a conv layer (default the last),
// vanilla gradient saliency and occlusion sensitivity, for the predicted class
// or a chosen one. Writes input.png, <method>.png (the map over the image),
// <method>_map.png (the map alone), focus.json (prediction, maps) and
// focus.csv (one row per pixel).
#include <cstdio>
#include <sstream>

#include "cli/command.h"
#include "cli/method_command.h"
#include "cli/method_runs.h"
#include "cli/output_dir.h"

namespace nl::cli {

namespace {

constexpr const char* kName = "focus";

std::string usage() {
  return std::string(
             "usage: neuronlens focus --model DIR (--image FILE | --data NAME --index I) --out DIR [options]\n"
             "  --image FILE        a picture (PNG, JPEG, ...), fitted to the model's input\n"
             "  --data NAME --index I   an image of a test set or folder instead\n"
             "  --class C           the class to explain, by name or index (default: the predicted class)\n"
             "  --layer NAME        Grad-CAM's conv layer (default: the last conv layer)\n"
             "  --methods LIST      any of gradcam,saliency,occlusion (default: all three)\n"
             "  --patch N --stride N   occlusion patch and stride (default 4, 2), fill 0 in input space\n"
             "  --scale N           enlarge the PNGs N times (default 8)\n") +
         kMethodOptionsHelp;
}

}  // namespace

int run_focus_command(std::span<const std::string> raw) {
  MethodCommand cmd(kName, usage());
  if (auto done = cmd.parse(raw, {"image", "data", "index", "class", "layer", "methods", "patch", "stride", "scale"}))
    return *done;
  const Args& args = cmd.args();
  const bool quiet = cmd.quiet();
  auto patch = args.integer("patch", 4, 1, 1024);
  auto stride = args.integer("stride", 2, 1, 1024);
  auto scale = args.integer("scale", 8, 1, 64);
  if (auto bad = cmd.check({patch.status(), stride.status(), scale.status()})) return *bad;
  std::vector<std::string> methods;
  std::stringstream list(args.value("methods").value_or("gradcam,saliency,occlusion"));
  for (std::string m; std::getline(list, m, ',');) methods.push_back(m);

  auto ctx = cmd.open_model();
  if (!ctx.ok()) return cmd.error(ctx.status().message());
  MethodContext& m = *ctx.value();
  auto input = load_input_image(args, m);
  if (!input.ok()) return cmd.error(input.status().message());
  auto layer = resolve_layer(m.model.graph, args.value("layer"), false);
  if (!layer.ok()) return cmd.error(layer.status().message());
  int target = -1;
  if (auto c = args.value("class")) {
    auto parsed_class = parse_class(*c, m.model.labels);
    if (!parsed_class.ok()) return cmd.error(parsed_class.status().message());
    target = parsed_class.value();
  }
  auto prediction = predict(m, input.value().input);
  if (!prediction.ok()) return cmd.error(prediction.status().message());
  if (target < 0) target = prediction.value().predicted;
  OcclusionOptions occ;
  occ.patch = static_cast<int>(patch.value());
  occ.stride = static_cast<int>(stride.value());
  auto maps = compute_focus(m, input.value().input, layer.value(), target, methods, occ);
  if (!maps.ok()) return cmd.error(maps.status().message());
  auto out = OutputDir::create(*args.value("out"));
  if (!out.ok()) return cmd.error(out.status().message());
  OutputDir& dir = out.value();

  const int s = static_cast<int>(scale.value());
  const auto& labels = m.model.labels;
  Status st = dir.write_png("input.png", upscale_nearest(input.value().picture, s));
  nlohmann::json j;
  j["model"] = m.model.name;
  j["image"] = input.value().source;
  if (input.value().label >= 0) j["label"] = labels[static_cast<size_t>(input.value().label)];
  j["predicted"] = labels[static_cast<size_t>(prediction.value().predicted)];
  j["target_class"] = labels[static_cast<size_t>(target)];
  j["logits"] = prediction.value().logits;
  j["probabilities"] = prediction.value().probabilities;
  j["gradcam_layer"] = m.model.graph.node(layer.value()).name;
  j["occlusion"] = {{"patch", occ.patch}, {"stride", occ.stride}, {"fill", occ.fill}};
  const FocusMap& first = maps.value().front().map;
  std::vector<std::string> header{"y", "x"};
  for (const auto& fm : maps.value()) {
    const bool signed_values = fm.method == "occlusion";
    if (st.ok()) st = dir.write_png(fm.method + ".png", focus_overlay(input.value().picture, fm.map, s));
    if (st.ok()) st = dir.write_png(fm.method + "_map.png", focus_map_image(fm.map, signed_values, s));
    j["maps"][fm.method] = {{"height", fm.map.height}, {"width", fm.map.width}, {"values", fm.map.values}};
    header.push_back(fm.method);
  }
  std::vector<std::vector<std::string>> rows;
  for (int64_t y = 0; y < first.height; ++y)
    for (int64_t x = 0; x < first.width; ++x) {
      std::vector<std::string> row{std::to_string(y), std::to_string(x)};
      for (const auto& fm : maps.value()) row.push_back(csv_number(fm.map.values[static_cast<size_t>(y * first.width + x)]));
      rows.push_back(row);
    }
  if (st.ok()) st = dir.write_json("focus.json", j);
  if (st.ok()) st = dir.write_csv("focus.csv", header, rows);
  if (!st.ok()) return cmd.error(st.message());
  if (!quiet)
    std::fprintf(stderr, "%s: predicted %s (%.1f%%), maps for %s\n", input.value().source.c_str(),
                 labels[static_cast<size_t>(prediction.value().predicted)].c_str(),
                 100.0 * prediction.value().probabilities[static_cast<size_t>(prediction.value().predicted)],
                 labels[static_cast<size_t>(target)].c_str());
  dir.print_summary(quiet);
  return 0;
}

}  // namespace nl::cli
