// What every method subcommand (focus, neurons, visualize, top-images,
// cluster-neurons, cluster-categories, ablate, report) sets up the same way:
// the model with an executor and thread pool, the layer to study, the image
// set (a named test set or a folder, sampled per class), a single input
// image, and the parsing of class names and neuron lists.
#pragma once
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cli/args.h"
#include "data/image_dataset.h"
#include "image/image.h"
#include "interpret/image_set.h"
#include "interpret/visualize.h"
#include "kernels/thread_pool.h"
#include "model/model_file.h"
#include "nn/executor.h"
#include "train/datasets.h"

namespace nl::cli {

// Options every method subcommand accepts.
extern const std::set<std::string> kMethodValuedOptions;  // model, out, threads, seed, fashion-dir, digits-dir
extern const std::set<std::string> kMethodFlags;          // help, quiet
// Help text lines for them.
extern const char* kMethodOptionsHelp;
extern const char* kDataOptionsHelp;  // --data, --per-class

struct MethodContext {
  std::string model_dir;
  Model model;
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<Executor> ex;
  int logits = -1;     // node of the class logits
  int classes = 0;
  InputTransform transform;  // display pixels in [0, 1] <-> model input
  const Shape& input_shape() const { return model.graph.node(0).shape; }
};

// Loads the model; threads: the pool size (the calling thread included).
Result<std::unique_ptr<MethodContext>> open_model(const std::string& dir, int threads);

// Nodes computed by a Conv2D ([N,H,W,K]) or Dense ([N,K]), the logits excluded: the layers of neurons.
std::vector<int> neuron_layers(const Graph& graph);
std::vector<int> conv_layers(const Graph& graph);
// The node named `name`, or by default the last conv layer (else the last
// neuron layer); with post_activation, the node after its activation function.
Result<int> resolve_layer(const Graph& graph, const std::optional<std::string>& name, bool post_activation);
// Up to three conv layers spread over the depth: first, middle, last.
std::vector<int> three_depths(const Graph& graph);
int64_t layer_width(const Graph& graph, int node);

// --data: fashion-test, digits-test (or -train), or a folder of labelled images
// (data/image_folder.h). Without --data, the test set matching the model's
// labels (Fashion-MNIST's names -> fashion-test, "0".."9" -> digits-test).
Result<ImageDataset> load_method_data(const Args& args, const MethodContext& ctx, std::string* name_used);
// The first `per_class` images of each class, in dataset order (all when <= 0).
ImageDataset sample_per_class(const ImageDataset& data, int64_t per_class);
// Normalised for the model.
Result<ImageSet> image_set_of(const ImageDataset& data, const Preprocessing& preprocessing);
// --data and --per-class (default 100) together: the statistics set D.
Result<ImageSet> load_statistics_set(const Args& args, const MethodContext& ctx, std::string* name_used);

// One input image: --image FILE (decoded and fitted to the model), or
// --data NAME --index I (an image of the set, before sampling).
struct InputImage {
  Tensor input;        // [1, H, W, C], model input
  Image picture;       // the model pixels, for display
  int label = -1;      // known for dataset images
  std::string source;  // "shoe.png", "fashion-test #17"
};
Result<InputImage> load_input_image(const Args& args, const MethodContext& ctx);

// A class by name (as in the model's labels) or index.
Result<int> parse_class(const std::string& text, const std::vector<std::string>& labels);
// "all", "3", "0,4,7", "0-15" (ranges inclusive), each in [0, count).
Result<std::vector<int>> parse_index_list(const std::string& text, int64_t count, const std::string& what);
// Floats "0.5" (finite), for options.
Result<double> parse_number(const Args& args, const std::string& name, double fallback, double lo, double hi);

// The model pixels of image `index` of a batch of inputs, for display.
Image picture_of(const Tensor& inputs, int64_t index, const Preprocessing& preprocessing);
// A visualization [images, H, W, C] (model input) as an RGB image (clipped to mean +- 5 std).
Image visualization_picture(const Tensor& image, int64_t index, const InputTransform& transform);
// Up to `columns` images per row, with a `gap` of background between them; all the same size.
Image tile_images(const std::vector<Image>& images, int columns, int gap = 2, uint8_t background = 255);

// Prints "neuronlens CMD: MESSAGE" on stderr and returns 1 (2 for usage errors when usage is given).
int command_failure(const char* command, const std::string& message);
int usage_failure(const char* command, const std::string& message, const char* usage);

}  // namespace nl::cli
