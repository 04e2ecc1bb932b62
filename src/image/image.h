// Image: decoded pixels as bytes, [height, width, channels] row-major, the
// form every file in src/image takes and gives (1 = grey, 3 = RGB, 4 = RGBA).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace nl {

struct Image {
  int64_t width = 0, height = 0;
  int channels = 0;             // 1, 2 (grey + alpha), 3 or 4
  std::vector<uint8_t> pixels;  // height * width * channels

  uint8_t at(int64_t y, int64_t x, int c) const { return pixels[static_cast<size_t>((y * width + x) * channels + c)]; }
  bool empty() const { return pixels.empty(); }
};

}  // namespace nl
