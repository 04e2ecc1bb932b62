// Deterministic random numbers for training: splitmix64, integer arithmetic
// only, so native and WebAssembly builds draw the same numbers from the same
// seed. Independent streams come from hashing (seed, purpose, epoch, index)
// rather than from one shared generator, so results do not depend on which
// thread draws first.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <span>

namespace nl {

// splitmix64's finaliser: a good 64-bit mix of one word.
inline uint64_t mix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// A seed derived from several words, e.g. stream_seed({seed, kAugment, epoch, index}).
inline uint64_t stream_seed(std::initializer_list<uint64_t> words) {
  uint64_t h = 0x6A09E667F3BCC909ull;
  for (uint64_t w : words) h = mix64(h ^ w);
  return h;
}

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t next() {
    state_ += 0x9E3779B97F4A7C15ull;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n) for 0 < n < 2^32 (multiply-shift on the top 32 bits).
  uint32_t below(uint32_t n) { return static_cast<uint32_t>(((next() >> 32) * static_cast<uint64_t>(n)) >> 32); }
  // Uniform integer in [lo, hi].
  int range(int lo, int hi) { return lo + static_cast<int>(below(static_cast<uint32_t>(hi - lo + 1))); }
  // Uniform in [0, 1), 24 bits.
  float uniform() { return static_cast<float>(next() >> 40) * (1.0f / 16777216.0f); }

 private:
  uint64_t state_;
};

// Fisher-Yates shuffle of `items` driven by `rng`.
template <typename T>
void shuffle_in_place(std::span<T> items, SplitMix64& rng) {
  for (size_t i = items.size(); i > 1; --i) {
    const size_t j = rng.below(static_cast<uint32_t>(i));
    T tmp = items[i - 1];
    items[i - 1] = items[j];
    items[j] = tmp;
  }
}

}  // namespace nl
