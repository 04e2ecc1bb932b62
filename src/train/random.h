// Seeds for training's random decisions. Every decision (initialisation,
// shuffle, augmentation, dropout) draws from its own nl::Rng (splitmix64,
// tensor/rng.h), seeded by hashing (recipe seed, purpose, epoch, index), so
// results depend neither on which thread draws first nor on the standard library.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <span>

#include "tensor/rng.h"

namespace nl {

// splitmix64's finaliser: a good 64-bit mix of one word.
inline uint64_t mix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// A seed derived from several words, e.g. stream_seed({seed, kAugmentStream, epoch, index}).
inline uint64_t stream_seed(std::initializer_list<uint64_t> words) {
  uint64_t h = 0x6A09E667F3BCC909ull;
  for (uint64_t w : words) h = mix64(h ^ w);
  return h;
}

// Uniform integer in [lo, hi].
inline int uniform_int(Rng& rng, int lo, int hi) {
  return lo + static_cast<int>(rng.below(static_cast<uint64_t>(hi - lo + 1)));
}

// Fisher-Yates shuffle of `items`.
template <typename T>
void shuffle_in_place(std::span<T> items, Rng& rng) {
  for (size_t i = items.size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(rng.below(i));
    T tmp = items[i - 1];
    items[i - 1] = items[j];
    items[j] = tmp;
  }
}

}  // namespace nl
