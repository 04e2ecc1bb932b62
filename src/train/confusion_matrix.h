// ConfusionMatrix: counts of (true class, predicted class) pairs, and the
// accuracies derived from them. Rows are true classes, columns predictions,
// as in scikit-learn's confusion_matrix.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace nl {

class ConfusionMatrix {
 public:
  ConfusionMatrix() = default;
  explicit ConfusionMatrix(int classes) : classes_(classes), counts_(static_cast<size_t>(classes) * classes, 0) {}

  int classes() const { return classes_; }
  // Ignores pairs outside [0, classes).
  void add(int truth, int predicted);
  // Adds argmax(logits[i]) against labels[i] for every row of logits [N, classes].
  void add_batch(const Tensor& logits, std::span<const int> labels);
  void merge(const ConfusionMatrix& other);

  int64_t count(int truth, int predicted) const { return counts_[static_cast<size_t>(truth) * classes_ + predicted]; }
  int64_t total() const;
  int64_t correct() const;
  // Fraction correct in [0, 1]; 0 when empty.
  double accuracy() const;
  // Per true class: correct / examples of that class (0 for a class never seen).
  std::vector<double> per_class_accuracy() const;
  std::vector<std::vector<int64_t>> rows() const;

 private:
  int classes_ = 0;
  std::vector<int64_t> counts_;
};

// Index of the largest of n values (the first, on ties).
int argmax(const float* values, int64_t n);

}  // namespace nl
