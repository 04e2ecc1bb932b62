// Helpers of the [cluster] tests: synthetic blobs with known groups and
// partition comparisons (adjusted Rand index, equality up to renaming).
#pragma once
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "interpret/feature_rows.h"
#include "interpret/seeded_random.h"

namespace nl::test {

// Points around `groups` centres in `dims` dimensions, with near-Gaussian
// noise: the sum of four uniforms (Irwin-Hall, standard deviation
// spread), built from + and * only so every platform draws the same points.
struct Blobs {
  std::vector<float> values;        // [n x dims]
  std::vector<int32_t> truth;       // [n], the group of each point
  std::vector<double> centres;      // [groups x dims]
  int64_t n = 0, dims = 0;
  FeatureRows rows() const { return {values, n, dims}; }
};

inline Blobs make_blobs(int groups, int64_t per_group, int64_t dims, double separation, double spread,
                        uint64_t seed) {
  SeededRandom random(seed);
  Blobs blobs;
  blobs.dims = dims;
  blobs.n = groups * per_group;
  for (int g = 0; g < groups; ++g)
    for (int64_t j = 0; j < dims; ++j) blobs.centres.push_back(separation * (random.uniform01() * 2 - 1));
  // The point order is shuffled so groups are not contiguous.
  std::vector<int32_t> order;
  for (int g = 0; g < groups; ++g)
    for (int64_t i = 0; i < per_group; ++i) order.push_back(g);
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[random.below(i)]);
  const double noise_scale = spread * 1.7320508075688772;  // sum of 4 U(-.5,.5) has variance 1/3
  for (int32_t g : order) {
    blobs.truth.push_back(g);
    for (int64_t j = 0; j < dims; ++j) {
      double noise = 0;
      for (int t = 0; t < 4; ++t) noise += random.uniform01() - 0.5;
      blobs.values.push_back(static_cast<float>(blobs.centres[g * dims + j] + noise_scale * noise));
    }
  }
  return blobs;
}

// Adjusted Rand index (Hubert & Arabie): 1 for identical partitions, about 0
// for independent ones.
inline double adjusted_rand_index(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  std::map<std::pair<int32_t, int32_t>, double> joint;
  std::map<int32_t, double> count_a, count_b;
  for (size_t i = 0; i < a.size(); ++i) {
    joint[{a[i], b[i]}] += 1;
    count_a[a[i]] += 1;
    count_b[b[i]] += 1;
  }
  auto pairs = [](double m) { return m * (m - 1) / 2; };
  double sum_joint = 0, sum_a = 0, sum_b = 0;
  for (auto& [key, m] : joint) sum_joint += pairs(m);
  for (auto& [key, m] : count_a) sum_a += pairs(m);
  for (auto& [key, m] : count_b) sum_b += pairs(m);
  const double expected = sum_a * sum_b / pairs(static_cast<double>(a.size()));
  const double maximum = (sum_a + sum_b) / 2;
  if (maximum == expected) return 1.0;  // both partitions trivial
  return (sum_joint - expected) / (maximum - expected);
}

// True when the partitions are equal up to renaming the clusters.
inline bool same_partition(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  if (a.size() != b.size()) return false;
  std::map<int32_t, int32_t> a_to_b, b_to_a;
  for (size_t i = 0; i < a.size(); ++i) {
    auto [ab, new_ab] = a_to_b.emplace(a[i], b[i]);
    auto [ba, new_ba] = b_to_a.emplace(b[i], a[i]);
    if (ab->second != b[i] || ba->second != a[i]) return false;
  }
  return true;
}

}  // namespace nl::test
