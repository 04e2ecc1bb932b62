// Method benchmarks on a network shaped like the default clothing model
// (assets/recipes/fashion_vgg.json: conv 32, 32, pool, conv 64, 64, pool,
// conv 128, pool, dense 256, dense 10, BatchNorm folded as exported), with
// seeded random weights: speed does not depend on what the weights learnt.
//   method/visualize_256_steps   256 steps of the paper-style visualization of one
//                                channel of the last conv layer (the deepest, so
//                                the most work), one image
//   method/category_clustering   the category clustering (B) over 1,000 labelled
//                                images: gamma (gradient x activation) at the last
//                                conv layer, cosine similarity, average linkage
// The figure the issue asks for is the 1-thread one. Natively the visualization
// also runs with its forward passes through XNNPACK (backward through the ops).
#include <cstdio>
#include <memory>

#include "bench.h"
#include "interpret/category_clustering.h"
#include "interpret/contribution.h"
#include "interpret/visualize.h"
#include "kernels/thread_pool.h"
#include "nn/fold_batchnorm.h"
#include "tensor/rng.h"
#include "train/architecture.h"
#include "train/recipe.h"
#if NL_XNNPACK
#include "backends/xnnpack_forward.h"
#endif

namespace nl::bench {
namespace {

constexpr const char* kFashionShape = R"({
  "name": "fashion-vgg-shape", "epochs": 1, "batch_size": 1,
  "data": {"train": "fashion-train", "test": "fashion-test"},
  "architecture": [
    {"type": "conv", "channels": 32, "batchnorm": true, "activation": "relu"},
    {"type": "conv", "channels": 32, "batchnorm": true, "activation": "relu"},
    {"type": "maxpool"},
    {"type": "conv", "channels": 64, "batchnorm": true, "activation": "relu"},
    {"type": "conv", "channels": 64, "batchnorm": true, "activation": "relu"},
    {"type": "maxpool"},
    {"type": "conv", "channels": 128, "batchnorm": true, "activation": "relu"},
    {"type": "maxpool"},
    {"type": "flatten"},
    {"type": "dropout", "rate": 0.3},
    {"type": "dense", "units": 256, "batchnorm": true, "activation": "relu"},
    {"type": "dropout", "rate": 0.3},
    {"type": "dense", "units": 10}
  ],
  "optimizer": {"type": "sgd", "learning_rate": 0.1}
})";

Result<Graph> fashion_shaped_graph() {
  auto recipe = parse_recipe(kFashionShape, "bench");
  if (!recipe.ok()) return recipe.status();
  Graph g;
  NL_RETURN_IF_ERROR(build_architecture(recipe.value(), Shape{1, 28, 28, 1}, 10, 1, &g));
  return fold_batchnorms(std::move(g));
}

void run_visualize(const Options& options) {
  auto graph = fashion_shaped_graph();
  if (!graph.ok()) {
    std::fprintf(stderr, "method: %s\n", graph.status().message().c_str());
    return;
  }
  Graph& g = graph.value();
  const int node = g.find("conv5");
  if (node < 0) return;
  for (int threads : options.threads) {
    ThreadPool pool(threads);
    Executor ex(&g, &pool);
    VisualizeOptions o;
    o.steps = 256;
    const double ms = time_ms([&] { (void)visualize(ex, channel_objective(node, 7), o); }, 2000.0);
    print_result("method/visualize_256_steps/conv5", threads, 0.0, ms);
#if NL_XNNPACK
    // Forward passes through XNNPACK (its pthreadpool sized like the pool), backward through the ops.
    auto xnn = XnnpackForward::create(g, {.threads = threads});
    if (xnn.ok()) {
      ex.set_forward_backend(xnn.value().get());
      const double xms = time_ms([&] { (void)visualize(ex, channel_objective(node, 7), o); }, 2000.0);
      print_result("method/visualize_256_steps/conv5/xnnpack_forward", threads, 0.0, xms);
      ex.set_forward_backend(nullptr);
    }
#endif
  }
}

void run_category_clustering(const Options& options) {
  auto graph = fashion_shaped_graph();
  if (!graph.ok()) return;
  Graph& g = graph.value();
  const int node = g.find("conv5");
  ImageSet set;
  set.images.resize(Shape{1000, 28, 28, 1});
  Rng rng(3);
  for (int64_t i = 0; i < set.images.elements(); ++i) set.images[i] = static_cast<float>(rng.normal());
  for (int i = 0; i < 1000; ++i) set.labels.push_back(i % 10);
  for (int threads : options.threads) {
    ThreadPool pool(threads);
    Executor ex(&g, &pool);
    const double ms = time_ms(
        [&] {
          auto gamma = category_contributions(ex, set, node, 10, {});
          if (gamma.ok()) (void)cluster_categories(gamma.value(), SimilarityKind::kCosine);
        },
        3000.0);
    print_result("method/category_clustering/1000_images", threads, 0.0, ms);
  }
}

Registrar visualize_registrar("method_visualize", run_visualize);
Registrar clustering_registrar("method_categories", run_category_clustering);

}  // namespace
}  // namespace nl::bench
