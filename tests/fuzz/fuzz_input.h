// Helpers shared by the libFuzzer targets (tests/fuzz/*_fuzz.cpp, built with
// the `fuzz` preset, run by tools/fuzz). Some targets read two files at once
// (model.json + weights, IDX images + labels): their fuzz input is
//   u32 little-endian n, then n bytes of the first file, then the second file,
// with n clamped to what is there, so every input splits somehow and the
// mutator can move bytes between the two. tools/make_fuzz_corpus.py writes
// seeds in this form.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

namespace nl::fuzz {

struct TwoFiles {
  std::span<const uint8_t> first, second;
};

inline TwoFiles split_two_files(const uint8_t* data, size_t size) {
  if (size < 4) return {{}, std::span<const uint8_t>(data, size)};
  uint32_t n = static_cast<uint32_t>(data[0]) | static_cast<uint32_t>(data[1]) << 8 |
               static_cast<uint32_t>(data[2]) << 16 | static_cast<uint32_t>(data[3]) << 24;
  const size_t rest = size - 4;
  if (n > rest) n = static_cast<uint32_t>(rest);
  return {std::span<const uint8_t>(data + 4, n), std::span<const uint8_t>(data + 4 + n, rest - n)};
}

// A broken invariant (not a refused input): stop so libFuzzer keeps the input.
#define NL_FUZZ_CHECK(condition) \
  do {                           \
    if (!(condition)) std::abort(); \
  } while (0)

}  // namespace nl::fuzz
