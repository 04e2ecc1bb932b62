// Colour maps for heatmaps and overlays: a perceptually ordered sequential
// map (viridis-like, for activations, saliency and similarity) and a diverging
// blue-white-red map (for signed quantities such as contributions), plus
// helpers that turn a float map into an image and lay a heatmap over a picture.
#pragma once
#include <array>
#include <cstdint>
#include <span>

#include "image/image.h"

namespace nl {

enum class ColorMap { kViridis, kDiverging, kGrey };

// t in [0, 1] (clamped) -> RGB bytes. For kDiverging 0.5 is white.
std::array<uint8_t, 3> colormap_rgb(ColorMap map, double t);

// A [height, width] float map as an RGB image. Values are scaled linearly
// from [lo, hi] to [0, 1]; with lo == hi the map's own min and max are used
// (for kDiverging: -m..m with m = max |value|, so zero stays white).
Image colorize(std::span<const float> values, int64_t width, int64_t height, ColorMap map, double lo = 0, double hi = 0);

// The heatmap (values in [0, 1] after normalising to their max, [h, w] of the
// picture's size) over the picture shown grey: out = (1 - alpha t) grey + alpha t colour.
Image overlay_heatmap(const Image& picture, std::span<const float> heat, double alpha = 0.6);

// Enlarges an image by an integer factor, nearest neighbour (for tiny 28x28 maps in figures).
Image upscale_nearest(const Image& image, int factor);

}  // namespace nl
