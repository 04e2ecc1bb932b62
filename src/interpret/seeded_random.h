// SeededRandom: the random numbers of the clustering code (k-means++ seeding,
// NMF initialisation). xoshiro256** seeded through splitmix64, with the
// uniform draws written out here rather than taken from <random>: the standard
// distributions are implemented differently by libstdc++ (native) and libc++
// (Emscripten), and clustering results must be bit-identical on both.
#pragma once
#include <cstdint>

namespace nl {

// One step of splitmix64: a good 64-bit mix, used for seeding and for deriving
// independent streams (one per k-means restart) from one user seed.
inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

class SeededRandom {
 public:
  // `stream` selects an independent sequence for the same seed.
  explicit SeededRandom(uint64_t seed, uint64_t stream = 0) {
    uint64_t s = seed ^ (0xD1B54A32D192ED03ull * (stream + 1));
    for (uint64_t& word : state_) word = splitmix64(s);
  }

  uint64_t next_u64() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1): the top 53 bits, exact in a double.
  double uniform01() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

  // Uniform integer in [0, bound), bound >= 1, without modulo bias (rejection).
  uint64_t below(uint64_t bound) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;  // multiple of bound
    uint64_t x;
    do x = next_u64();
    while (x >= limit);
    return x % bound;
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t state_[4];
};

}  // namespace nl
