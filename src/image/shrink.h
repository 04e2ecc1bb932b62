// Shrinking very large pictures before preprocessing. Preprocessing works on
// float planes of the whole picture (12 bytes a pixel), so a 64 MP photo would
// need 800 MB; a model sees at most a few hundred pixels a side. A picture of
// more than limits::kMaxPreprocessPixels is therefore first reduced by an
// integer factor f (the smallest that brings it under the limit), each output
// pixel the average of an f x f block (smaller at the right and bottom edges),
// composited over black as preprocessing would do, working row by row in
// bytes so nothing the size of the picture is allocated.
#pragma once
#include <cstdint>
#include <span>

#include "image/image.h"

namespace nl {

// The factor f for a width x height picture: 1 when it is within max_pixels.
int64_t shrink_factor(int64_t width, int64_t height, int64_t max_pixels);

// pixels: [height, width, channels] bytes, channels 1-4 (2 and 4 carry alpha).
// Returns an opaque RGBA image of ceil(width / f) x ceil(height / f) pixels.
Image shrink_picture(std::span<const uint8_t> pixels, int64_t width, int64_t height, int channels, int64_t max_pixels);

}  // namespace nl
