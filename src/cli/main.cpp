// neuronlens: the native command line. Dispatches to one subcommand per file;
// adding a subcommand is one line in kCommands (and its declaration in command.h).
#include <cstdio>
#include <string>
#include <vector>

#include "cli/command.h"

namespace {

const nl::cli::Command kCommands[] = {
    {"train", "train a model from a recipe:  train --recipe R.json --out DIR", nl::cli::run_train_command},
    {"eval", "evaluate a model on a test set:  eval --model DIR --data fashion-test|digits-test",
     nl::cli::run_eval_command},
    {"focus", "where the network looks: Grad-CAM, saliency, occlusion for one image", nl::cli::run_focus_command},
    {"neurons", "activation, contribution, share, domination and preference for one image",
     nl::cli::run_neurons_command},
    {"visualize", "activation-maximising images of neurons or class logits", nl::cli::run_visualize_command},
    {"top-images", "a neuron's top activating images with their peak regions", nl::cli::run_top_images_command},
    {"cluster-neurons", "cluster a layer's neurons (visualizations or profiles), label the clusters",
     nl::cli::run_cluster_neurons_command},
    {"cluster-categories", "cluster image categories (groups of neurons; similarity + dendrogram)",
     nl::cli::run_cluster_categories_command},
    {"ablate", "class-conditional ablation schemes and the domination test", nl::cli::run_ablate_command},
    {"report", "run the whole method and write a self-contained HTML report", nl::cli::run_report_command},
    {"import", "convert an ONNX model:  import MODEL.onnx [--config CONF.json] --out DIR", nl::cli::run_import_command},
    {"forward", "run a model on an .npy batch:  forward --model PATH --input IN.npy --output OUT.npy",
     nl::cli::run_forward_command},
    {"grad", "input gradient of a channel's mean:  grad --model PATH --input IN.npy --layer NAME --channel K --output G.npy",
     nl::cli::run_grad_command},
};

void print_usage(FILE* to) {
  std::fprintf(to, "usage: neuronlens <command> [options]   (neuronlens <command> --help for its options)\n\ncommands:\n");
  for (const auto& c : kCommands) std::fprintf(to, "  %-18s %s\n", c.name, c.summary);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    print_usage(stderr);
    return 2;
  }
  const std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    print_usage(stdout);
    return 0;
  }
  const std::vector<std::string> args(argv + 2, argv + argc);
  for (const auto& c : kCommands)
    if (name == c.name) return c.run(args);
  std::fprintf(stderr, "neuronlens: unknown command '%s'\n\n", name.c_str());
  print_usage(stderr);
  return 2;
}
