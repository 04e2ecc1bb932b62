// Resizing images to a model's input size. Area averaging (a box filter
// with fractional coverage at the edges) when shrinking: every source pixel
// counts, so thin strokes survive and nothing aliases. Bilinear (half-pixel
// centres, edges clamped, as PyTorch's interpolate with align_corners=False)
// when enlarging. kAuto picks per axis: area where that axis shrinks,
// bilinear where it grows. Works on float planes so the caller chooses the
// value range; channels are resized independently.
#pragma once
#include <cstdint>
#include <vector>

#include "image/image.h"
#include "tensor/status.h"

namespace nl {

enum class ResizeFilter { kAuto, kArea, kBilinear };

// in: [height, width, channels] floats -> returns [out_height, out_width, channels].
std::vector<float> resize_plane(const std::vector<float>& in, int64_t width, int64_t height, int channels,
                                int64_t out_width, int64_t out_height, ResizeFilter filter = ResizeFilter::kAuto);

// The same on bytes (rounded to nearest). Fails on an empty image or output size.
Result<Image> resize_image(const Image& image, int64_t out_width, int64_t out_height,
                           ResizeFilter filter = ResizeFilter::kAuto);

}  // namespace nl
