// Reports of a trained or evaluated model: the JSON `neuronlens eval` prints
// and the MODEL_CARD.md `neuronlens train` writes next to the model.
#pragma once
#include <string>
#include <vector>

#include "train/confusion_matrix.h"
#include "train/trainer.h"

namespace nl {

// {"model": ..., "data": ..., "images": N, "accuracy": a, "per_class_accuracy": [...],
//  "class_names": [...], "confusion": [[...], ...]} with rows = true classes,
// columns = predictions, accuracies as fractions in [0, 1]. Confusion rows are
// kept on one line each so the matrix reads as a matrix.
std::string evaluation_json(const std::string& model_name, const std::string& data_name,
                            const std::vector<std::string>& class_names, const ConfusionMatrix& matrix);

struct ModelCardFacts {
  std::string model_name, description;
  std::string command;          // the exact command that reproduced the model
  std::string recipe_path, recipe_text;
  std::string train_data, test_data;
  std::string data_description;
  int64_t train_images = 0, test_images = 0;
  uint64_t seed = 0;
  int threads = 1;
  std::string build;            // compiler, GEMM kernel
  std::vector<std::string> class_names;
  int64_t parameters = 0;
  std::vector<std::string> layers;  // "conv1: Conv2D [1, 28, 28, 32]", exported graph
};

// Markdown: data, command, recipe, seed, training time and speed, accuracy,
// per-class accuracy, the confusion matrix and the per-epoch log.
std::string model_card_markdown(const ModelCardFacts& facts, const TrainResult& result);

}  // namespace nl
