#include "data/fashion_mnist.h"

#include "data/idx_file.h"
#include "tensor/file_bytes.h"

namespace nl {

const std::vector<std::string>& fashion_mnist_class_names() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                 "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

Result<std::string> find_fashion_mnist_file(const std::string& dir, const std::string& stem) {
  const std::string plain = dir + "/" + stem;
  if (file_state(plain) == FileState::kRegularFile) return plain;
  const std::string gzipped = plain + ".gz";
  if (file_state(gzipped) == FileState::kRegularFile) return gzipped;
  return Status::Error("Fashion-MNIST not found: neither " + gzipped + " nor " + plain +
                       " exists; install the Debian package " + kFashionMnistPackage +
                       " (tools/bootstrap installs it)");
}

Result<ImageDataset> load_fashion_mnist(FashionMnistPart part, const std::string& dir) {
  const std::string prefix = part == FashionMnistPart::kTrain ? "train" : "t10k";
  auto images = find_fashion_mnist_file(dir, prefix + "-images-idx3-ubyte");
  if (!images.ok()) return images.status();
  auto labels = find_fashion_mnist_file(dir, prefix + "-labels-idx1-ubyte");
  if (!labels.ok()) return labels.status();
  auto dataset = load_idx_dataset(images.value(), labels.value(), fashion_mnist_class_names());
  if (!dataset.ok()) return dataset;
  const Shape& shape = dataset.value().images.shape();
  if (shape.h() != 28 || shape.w() != 28)
    return Status::Error(images.value() + ": Fashion-MNIST images are 28x28, this file holds " +
                         std::to_string(shape.h()) + "x" + std::to_string(shape.w()));
  return dataset;
}

}  // namespace nl
