// neuronlens top-images: a neuron's top-k activating images over an image set
// (METHOD.md, "preference of a neuron"), each with the input region its peak
// activation sees (the receptive field of the peak, drawn as a box).
// Writes <layer>_<k>_top.png per neuron (the images tiled, best first),
// top_images.json and top_images.csv (sample_index: the position in the
// statistics sample, --per-class images of each class in file order).
#include <cstdio>

#include "cli/command.h"
#include "cli/method_command.h"
#include "cli/method_runs.h"
#include "cli/output_dir.h"
#include "cli/progress_bar.h"
#include "interpret/top_images.h"

namespace nl::cli {

namespace {

constexpr const char* kName = "top-images";

std::string usage() {
  return std::string(
             "usage: neuronlens top-images --model DIR --out DIR [options]\n"
             "  --layer NAME        the layer (default: the last conv layer)\n"
             "  --post              its values after the activation function (default: before)\n"
             "  --neurons LIST      channels: all, 3, 0,4,7 or 0-15 (default 0-7)\n"
             "  --k N               images per neuron (default 9)\n"
             "  --scale N           enlarge the images N times (default 4)\n") +
         kDataOptionsHelp + kMethodOptionsHelp;
}

// Draws a 1-pixel rectangle [y0, y1) x [x0, x1) in an RGB image.
void draw_box(Image& im, int64_t y0, int64_t x0, int64_t y1, int64_t x1) {
  const uint8_t colour[3] = {230, 30, 30};
  auto put = [&](int64_t y, int64_t x) {
    if (y < 0 || x < 0 || y >= im.height || x >= im.width) return;
    for (int k = 0; k < 3; ++k) im.pixels[static_cast<size_t>((y * im.width + x) * 3 + k)] = colour[k];
  };
  for (int64_t x = x0; x < x1; ++x) {
    put(y0, x);
    put(y1 - 1, x);
  }
  for (int64_t y = y0; y < y1; ++y) {
    put(y, x0);
    put(y, x1 - 1);
  }
}

Image to_rgb(const Image& im) {
  if (im.channels == 3) return im;
  Image out;
  out.width = im.width;
  out.height = im.height;
  out.channels = 3;
  for (int64_t i = 0; i < im.width * im.height; ++i)
    for (int k = 0; k < 3; ++k) out.pixels.push_back(im.pixels[static_cast<size_t>(i * im.channels)]);
  return out;
}

}  // namespace

int run_top_images_command(std::span<const std::string> raw) {
  MethodCommand cmd(kName, usage());
  if (auto done = cmd.parse(raw, {"layer", "neurons", "k", "scale", "data", "per-class"}, {"post"})) return *done;
  const Args& args = cmd.args();
  const bool quiet = cmd.quiet();
  auto k = args.integer("k", 9, 1, 10000);
  auto scale = args.integer("scale", 4, 1, 64);
  if (auto bad = cmd.check({k.status(), scale.status()})) return *bad;

  auto ctx = cmd.open_model();
  if (!ctx.ok()) return cmd.error(ctx.status().message());
  MethodContext& m = *ctx.value();
  Graph& g = m.model.graph;
  auto node = resolve_layer(g, args.value("layer"), args.flag("post"));
  if (!node.ok()) return cmd.error(node.status().message());
  const int64_t width = layer_width(g, node.value());
  auto neurons = parse_index_list(args.value("neurons").value_or("0-" + std::to_string(std::min<int64_t>(7, width - 1))),
                                  width, "--neurons");
  if (!neurons.ok()) return cmd.error(neurons.status().message());
  std::string data_name;
  auto set = load_statistics_set(args, m, &data_name);
  if (!set.ok()) return cmd.error(set.status().message());
  auto out = OutputDir::create(*args.value("out"));
  if (!out.ok()) return cmd.error(out.status().message());
  OutputDir& dir = out.value();

  const int s = static_cast<int>(scale.value());
  const auto& labels = m.model.labels;
  const ReceptiveField field = receptive_field(g, node.value());
  nlohmann::json j;
  j["model"] = m.model.name;
  j["layer"] = layer_json(g, node.value());
  j["data"] = data_name;
  j["images"] = set.value().size();
  j["receptive_field"] = {{"size", {field.size_y, field.size_x}}, {"stride", {field.stride_y, field.stride_x}},
                          {"offset", {field.offset_y, field.offset_x}}};
  std::vector<std::vector<std::string>> rows;
  ProgressBar bar("top images at " + g.node(node.value()).name, static_cast<int64_t>(neurons.value().size()), quiet);
  int64_t done = 0;
  for (int neuron : neurons.value()) {
    auto top = top_activating_images(*m.ex, set.value(), node.value(), neuron, static_cast<int>(k.value()));
    if (!top.ok()) return cmd.error(top.status().message());
    std::vector<Image> tiles;
    nlohmann::json list = nlohmann::json::array();
    for (size_t r = 0; r < top.value().size(); ++r) {
      const TopImage& t = top.value()[r];
      Image picture = upscale_nearest(to_rgb(picture_of(set.value().images, t.index, m.model.preprocessing)), s);
      draw_box(picture, t.box_y0 * s, t.box_x0 * s, t.box_y1 * s, t.box_x1 * s);
      tiles.push_back(std::move(picture));
      const int label = set.value().labels[static_cast<size_t>(t.index)];
      const std::string label_name = label >= 0 ? labels[static_cast<size_t>(label)] : "";
      list.push_back({{"rank", r + 1},
                      {"sample_index", t.index},
                      {"label", label_name},
                      {"response", t.response},
                      {"peak", {t.peak_y, t.peak_x}},
                      {"box", {t.box_y0, t.box_x0, t.box_y1, t.box_x1}}});
      rows.push_back({std::to_string(neuron), std::to_string(r + 1), std::to_string(t.index), label_name,
                      csv_number(t.response), std::to_string(t.peak_y), std::to_string(t.peak_x), std::to_string(t.box_y0),
                      std::to_string(t.box_x0), std::to_string(t.box_y1), std::to_string(t.box_x1)});
    }
    j["neurons"].push_back({{"neuron", neuron}, {"top", list}});
    const std::string file = g.node(node.value()).name + "_" + std::to_string(neuron) + "_top.png";
    const Status st = dir.write_png(file, tile_images(tiles, 9, s));
    if (!st.ok()) return cmd.error(st.message());
    bar.update(++done);
  }
  bar.finish();
  Status st = dir.write_json("top_images.json", j);
  if (st.ok())
    st = dir.write_csv("top_images.csv",
                       {"neuron", "rank", "sample_index", "label", "response", "peak_y", "peak_x", "box_y0", "box_x0", "box_y1", "box_x1"},
                       rows);
  if (!st.ok()) return cmd.error(st.message());
  dir.print_summary(quiet);
  return 0;
}

}  // namespace nl::cli
