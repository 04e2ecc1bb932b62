// Session: the engine state behind the web API, one per worker: the loaded
// model and its executor, the thread pool, the current input image, the
// sample images shipped with the model, statistics computed over them, and
// the running jobs. Every API file reads and updates it through session().
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "image/model_input.h"
#include "interpret/domination.h"
#include "interpret/image_set.h"
#include "interpret/visualize.h"
#include "kernels/thread_pool.h"
#include "model/model_file.h"
#include "nn/executor.h"
#include "web_api/job.h"

namespace nl::web {

// Statistics of one node's neurons over the sample images (METHOD.md):
// responses a_k(x) per image, Act_{k,c}, gamma_{k,c} (gradient x activation
// towards the image's own class) and each neuron's dominant category.
// The categories are the model's classes that have sample images (all of them
// for a shipped model; the few of a dropped folder for an ImageNet model):
// every per-category array and index of the statistics and of the clusters
// built on them counts over `categories`, which maps it to the model's class.
struct NodeStatistics {
  int node = -1;
  std::vector<int> categories;  // [C'], model classes with images, ascending
  Tensor responses;     // [N, K], sum over the map
  Tensor activation;    // [K, C']
  Tensor contribution;  // [K, C']
  std::vector<NeuronDomination> domination;  // [K], from contribution; category in 0..C'-1
};

struct Session {
  int threads = 1;
  std::unique_ptr<ThreadPool> pool;

  std::unique_ptr<Model> model;
  std::unique_ptr<Executor> executor;
  int logits = -1;  // node of the class logits

  bool has_input = false;
  std::vector<uint8_t> input_pixels;  // [H, W, C], as the model sees it
  Tensor input;                       // [1, H, W, C], model input
  bool executor_holds_input = false;  // executor values are those of `input`

  ImageSet samples;                    // [N, H, W, C] model input, labels
  std::vector<uint8_t> sample_pixels;  // [N, H, W, C] bytes
  std::map<int, NodeStatistics> statistics;
  // Visualizations of every neuron of a node (tiles job): [K, H * W * C] in
  // model input space, the "visualization image" features of neuron clustering.
  std::map<int, Tensor> tile_features;

  std::map<std::string, std::unique_ptr<Job>> jobs;

  int64_t height() const { return model->graph.node(0).shape[1]; }
  int64_t width() const { return model->graph.node(0).shape[2]; }
  int channels() const { return static_cast<int>(model->graph.node(0).shape[3]); }
  int classes() const { return static_cast<int>(model->labels.size()); }

  Status require_model() const;
  Status require_input() const;
  Status require_samples() const;
  Status check_node(int node) const;  // a node of the graph other than the input
  // Runs the forward pass over the current input unless the executor holds it.
  Status forward_input();
  // Any use of the executor for other images calls this.
  void executor_used() { executor_holds_input = false; }

  PixelNormalization normalization() const;
  InputTransform transform() const;  // display pixels in [0, 1] <-> model input
  // Drops the model and everything computed with it.
  void reset_model();
};

Session& session();

}  // namespace nl::web
