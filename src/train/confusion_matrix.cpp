// Confusion matrix counting; see confusion_matrix.h.
#include "train/confusion_matrix.h"

namespace nl {

int argmax(const float* values, int64_t n) {
  int64_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (values[i] > values[best]) best = i;
  return static_cast<int>(best);
}

void ConfusionMatrix::add(int truth, int predicted) {
  if (truth < 0 || truth >= classes_ || predicted < 0 || predicted >= classes_) return;
  ++counts_[static_cast<size_t>(truth) * classes_ + predicted];
}

void ConfusionMatrix::add_batch(const Tensor& logits, std::span<const int> labels) {
  const int64_t n = logits.shape()[0], width = logits.elements() / (n > 0 ? n : 1);
  for (int64_t i = 0; i < n && i < static_cast<int64_t>(labels.size()); ++i)
    add(labels[static_cast<size_t>(i)], argmax(logits.data() + i * width, width));
}

void ConfusionMatrix::merge(const ConfusionMatrix& other) {
  if (other.classes_ != classes_) return;
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
}

int64_t ConfusionMatrix::total() const {
  int64_t sum = 0;
  for (int64_t c : counts_) sum += c;
  return sum;
}

int64_t ConfusionMatrix::correct() const {
  int64_t sum = 0;
  for (int k = 0; k < classes_; ++k) sum += count(k, k);
  return sum;
}

double ConfusionMatrix::accuracy() const {
  const int64_t n = total();
  return n > 0 ? static_cast<double>(correct()) / static_cast<double>(n) : 0.0;
}

std::vector<double> ConfusionMatrix::per_class_accuracy() const {
  std::vector<double> acc(static_cast<size_t>(classes_), 0.0);
  for (int t = 0; t < classes_; ++t) {
    int64_t row = 0;
    for (int p = 0; p < classes_; ++p) row += count(t, p);
    if (row > 0) acc[static_cast<size_t>(t)] = static_cast<double>(count(t, t)) / static_cast<double>(row);
  }
  return acc;
}

std::vector<std::vector<int64_t>> ConfusionMatrix::rows() const {
  std::vector<std::vector<int64_t>> out(static_cast<size_t>(classes_));
  for (int t = 0; t < classes_; ++t)
    for (int p = 0; p < classes_; ++p) out[static_cast<size_t>(t)].push_back(count(t, p));
  return out;
}

}  // namespace nl
