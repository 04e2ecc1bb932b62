#include "data/stratified_split.h"

#include <algorithm>
#include <string>

namespace nl {

namespace {

// splitmix64 (Steele, Lea, Flood 2014): tiny, and defined bit for bit.
uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace

Result<SplitIndices> split_stratified(std::span<const int> labels, int num_classes, int held_out_percent,
                                      uint64_t seed) {
  if (num_classes < 1) return Status::Error("split_stratified: num_classes must be positive");
  if (held_out_percent < 1 || held_out_percent > 99)
    return Status::Error("split_stratified: held_out_percent " + std::to_string(held_out_percent) +
                         " is outside [1, 99]");
  std::vector<std::vector<int64_t>> by_class(static_cast<size_t>(num_classes));
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || labels[i] >= num_classes)
      return Status::Error("split_stratified: label " + std::to_string(i) + " is " + std::to_string(labels[i]) +
                           ", outside [0, " + std::to_string(num_classes) + ")");
    by_class[static_cast<size_t>(labels[i])].push_back(static_cast<int64_t>(i));
  }
  SplitIndices split;
  for (int c = 0; c < num_classes; ++c) {
    std::vector<int64_t>& members = by_class[static_cast<size_t>(c)];
    const int64_t count = static_cast<int64_t>(members.size());
    const int64_t held = (count * held_out_percent + 99) / 100;
    // Each class has its own stream, so adding a class never reshuffles another.
    uint64_t state = seed ^ (0x5851f42d4c957f2dull * static_cast<uint64_t>(c + 1));
    // Partial Fisher-Yates: the first `held` slots become a uniform random sample.
    for (int64_t i = 0; i < held; ++i) {
      const int64_t j = i + static_cast<int64_t>(splitmix64(state) % static_cast<uint64_t>(count - i));
      std::swap(members[static_cast<size_t>(i)], members[static_cast<size_t>(j)]);
    }
    split.held_out.insert(split.held_out.end(), members.begin(), members.begin() + held);
    split.train.insert(split.train.end(), members.begin() + held, members.end());
  }
  std::sort(split.train.begin(), split.train.end());
  std::sort(split.held_out.begin(), split.held_out.end());
  return split;
}

Result<TrainHeldOut> split_dataset(const ImageDataset& dataset, int held_out_percent, uint64_t seed) {
  auto split = split_stratified(dataset.labels, static_cast<int>(dataset.class_names.size()), held_out_percent, seed);
  if (!split.ok()) return split.status();
  auto train = select_examples(dataset, split.value().train);
  if (!train.ok()) return train.status();
  auto held_out = select_examples(dataset, split.value().held_out);
  if (!held_out.ok()) return held_out.status();
  return TrainHeldOut{std::move(train.value()), std::move(held_out.value())};
}

}  // namespace nl
