// Shift, flip and erase for single images; see augment.h.
#include "train/augment.h"

#include <algorithm>

namespace nl {

Status AugmentOptions::validate(int64_t height, int64_t width) const {
  if (max_shift < 0 || max_shift >= std::min(height, width))
    return Status::Error("augmentation: max_shift must be in [0, " + std::to_string(std::min(height, width)) +
                         ") for " + std::to_string(height) + "x" + std::to_string(width) + " images, got " +
                         std::to_string(max_shift));
  if (!(erase_probability >= 0.0f && erase_probability <= 1.0f))
    return Status::Error("augmentation: erase_probability must be in [0, 1], got " + std::to_string(erase_probability));
  if (erase_size < 0 || erase_size > std::min(height, width))
    return Status::Error("augmentation: erase_size must be in [0, " + std::to_string(std::min(height, width)) +
                         "], got " + std::to_string(erase_size));
  return Status::Ok();
}

AugmentDraw draw_augmentation(const AugmentOptions& o, int64_t height, int64_t width, Rng& rng) {
  // Always draw every value, used or not, so that turning one option on does not
  // change the random numbers another option sees.
  AugmentDraw d;
  d.shift_y = uniform_int(rng, -o.max_shift, o.max_shift);
  d.shift_x = uniform_int(rng, -o.max_shift, o.max_shift);
  const bool flip_roll = (rng.next() >> 63) != 0;
  d.flip = o.horizontal_flip && flip_roll;
  const bool erase_roll = rng.uniform() < static_cast<double>(o.erase_probability);
  d.erase = erase_roll && o.erase_size > 0;
  d.erase_y = static_cast<int>(rng.below(static_cast<uint64_t>(height)));
  d.erase_x = static_cast<int>(rng.below(static_cast<uint64_t>(width)));
  return d;
}

void apply_augmentation(const AugmentDraw& d, const AugmentOptions& o, const float* src, float* dst, int64_t height,
                        int64_t width, int64_t channels) {
  for (int64_t y = 0; y < height; ++y) {
    const int64_t sy = y + d.shift_y;
    float* out_row = dst + y * width * channels;
    if (sy < 0 || sy >= height) {
      std::fill(out_row, out_row + width * channels, 0.0f);
      continue;
    }
    for (int64_t x = 0; x < width; ++x) {
      // Flip first, then shift: both are uniform, so the order only relabels draws.
      const int64_t fx = d.flip ? width - 1 - x : x;
      const int64_t sx = fx + d.shift_x;
      float* out = out_row + x * channels;
      if (sx < 0 || sx >= width) {
        std::fill(out, out + channels, 0.0f);
        continue;
      }
      const float* in = src + (sy * width + sx) * channels;
      std::copy(in, in + channels, out);
    }
  }
  if (d.erase) {
    const int64_t half = o.erase_size / 2;
    const int64_t y0 = std::max<int64_t>(0, d.erase_y - half), y1 = std::min<int64_t>(height, d.erase_y - half + o.erase_size);
    const int64_t x0 = std::max<int64_t>(0, d.erase_x - half), x1 = std::min<int64_t>(width, d.erase_x - half + o.erase_size);
    for (int64_t y = y0; y < y1; ++y) std::fill(dst + (y * width + x0) * channels, dst + (y * width + x1) * channels, 0.0f);
  }
}

}  // namespace nl
