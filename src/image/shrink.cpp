// Shrinking large pictures; see shrink.h.
#include "image/shrink.h"

#include <algorithm>
#include <vector>

namespace nl {

int64_t shrink_factor(int64_t width, int64_t height, int64_t max_pixels) {
  int64_t f = 1;
  while (((width + f - 1) / f) * ((height + f - 1) / f) > max_pixels) ++f;
  return f;
}

Image shrink_picture(std::span<const uint8_t> pixels, int64_t width, int64_t height, int channels, int64_t max_pixels) {
  const int64_t f = shrink_factor(width, height, max_pixels);
  Image out;
  out.width = (width + f - 1) / f;
  out.height = (height + f - 1) / f;
  out.channels = 4;
  out.pixels.assign(static_cast<size_t>(out.width * out.height * 4), 255);
  // Per output column: sums of premultiplied R, G, B (value * alpha, alpha in 0..255).
  std::vector<uint64_t> sums(static_cast<size_t>(out.width * 3));
  for (int64_t oy = 0; oy < out.height; ++oy) {
    std::fill(sums.begin(), sums.end(), 0);
    const int64_t y_end = std::min(height, (oy + 1) * f);
    for (int64_t y = oy * f; y < y_end; ++y) {
      const uint8_t* row = pixels.data() + y * width * channels;
      for (int64_t x = 0; x < width; ++x) {
        const uint8_t* p = row + x * channels;
        const uint32_t alpha = channels == 2 ? p[1] : channels == 4 ? p[3] : 255;
        uint64_t* s = &sums[static_cast<size_t>((x / f) * 3)];
        for (int k = 0; k < 3; ++k) s[k] += static_cast<uint64_t>(p[channels >= 3 ? k : 0]) * alpha;
      }
    }
    for (int64_t ox = 0; ox < out.width; ++ox) {
      const uint64_t count = static_cast<uint64_t>((std::min(width, (ox + 1) * f) - ox * f) * (y_end - oy * f)) * 255;
      for (int k = 0; k < 3; ++k)
        out.pixels[static_cast<size_t>((oy * out.width + ox) * 4 + k)] =
            static_cast<uint8_t>((sums[static_cast<size_t>(ox * 3 + k)] + count / 2) / count);
    }
  }
  return out;
}

}  // namespace nl
