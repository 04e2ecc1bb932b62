#include "interpret/domination.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace nl {

std::vector<NeuronDomination> dominant_categories(const Tensor& scores) {
  const int64_t k = scores.shape()[0], classes = scores.shape()[1];
  std::vector<NeuronDomination> out(static_cast<size_t>(k));
  for (int64_t j = 0; j < k; ++j) {
    const float* row = scores.data() + j * classes;
    int best = 0;
    double total = 0;
    for (int64_t c = 0; c < classes; ++c) {
      total += std::fabs(row[c]);
      if (row[c] > row[best]) best = static_cast<int>(c);
    }
    float second = -INFINITY;
    for (int64_t c = 0; c < classes; ++c)
      if (c != best) second = std::max(second, row[c]);
    NeuronDomination& d = out[static_cast<size_t>(j)];
    d.category = best;
    d.margin = classes < 2 || total <= 0 ? 0.0f : static_cast<float>((row[best] - second) / total);
  }
  return out;
}

std::vector<int> dominating_set(const float* contributions, int64_t k, double tau) {
  std::vector<int> order;
  double positive = 0;
  for (int64_t j = 0; j < k; ++j)
    if (contributions[j] > 0) {
      order.push_back(static_cast<int>(j));
      positive += contributions[j];
    }
  // Largest first; ties by index so the set is deterministic.
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    return contributions[a] != contributions[b] ? contributions[a] > contributions[b] : a < b;
  });
  std::vector<int> set;
  double reached = 0;
  for (int j : order) {
    if (reached >= tau * positive) break;
    set.push_back(j);
    reached += contributions[j];
  }
  return set;
}

}  // namespace nl
