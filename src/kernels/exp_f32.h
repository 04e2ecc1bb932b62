// exp_f32: e^x for float, written in plain arithmetic so that loops calling it
// vectorise, and so that native and WebAssembly builds give the same bits (the
// C libraries' expf differ between glibc and musl, and do not vectorise).
//   x = n ln2 + r, |r| <= ln2/2 (Cody-Waite, ln2 split in two so n*ln2_hi is exact)
//   e^r: Cephes' degree-7 polynomial (relative error about 1e-7)
//   2^n: built directly in the exponent bits
// Inputs above ~88.38 give ~2.4e38 (finite, never inf); inputs below
// ~-87.34 (where e^x would be denormal) give 0; NaN gives NaN.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>

namespace nl {

// Bit reinterpretation (Emscripten 3.1.6's libc++ has no std::bit_cast);
// compilers turn the memcpy into a register move.
inline uint32_t float_to_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
inline float bits_to_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

inline float exp_f32(float x) {
  constexpr float kMaxInput = 88.3762626647949f;   // n stays <= 127
  constexpr float kMinInput = -87.3365447505531f;  // n stays >= -126: e^x >= FLT_MIN
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693359375f;  // few mantissa bits: n * kLn2Hi is exact
  constexpr float kLn2Lo = -2.12194440e-4f;
  constexpr float kRoundMagic = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  const float xc = std::min(std::max(x, kMinInput), kMaxInput);
  // n = round(x / ln2); the integer is read back from the float's low bits,
  // which avoids a float->int conversion (undefined for NaN).
  const float shifted = xc * kLog2e + kRoundMagic;
  const float n = shifted - kRoundMagic;
  const uint32_t n_bits = float_to_bits(shifted) - float_to_bits(kRoundMagic);
  float r = xc - n * kLn2Hi;
  r = r - n * kLn2Lo;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float exp_r = p * r * r + r + 1.0f;
  const float two_to_n = bits_to_float((n_bits + 127u) << 23);
  const float y = exp_r * two_to_n;
  return x < kMinInput ? 0.0f : y;
}

}  // namespace nl
