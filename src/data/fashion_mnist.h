// Fashion-MNIST: 70,000 grey 28x28 images of clothing in 10 classes, read from
// the Debian package dataset-fashion-mnist (gzip'd IDX files). The web build
// is given the same files decompressed, which are found first when present.
#pragma once
#include <string>
#include <vector>

#include "data/image_dataset.h"

namespace nl {

inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";
inline constexpr const char* kFashionMnistPackage = "dataset-fashion-mnist";

enum class FashionMnistPart { kTrain, kTest };  // 60,000 and 10,000 images

// "T-shirt/top", "Trouser", ..., "Ankle boot", in label order.
const std::vector<std::string>& fashion_mnist_class_names();

// Path of one of the four files in `dir`: the uncompressed name when it
// exists, else the .gz name, else an error naming the Debian package to install.
Result<std::string> find_fashion_mnist_file(const std::string& dir, const std::string& stem);

// Images [N, 28, 28, 1] in [0, 1] and labels 0-9.
Result<ImageDataset> load_fashion_mnist(FashionMnistPart part, const std::string& dir = kFashionMnistDir);

}  // namespace nl
