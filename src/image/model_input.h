// From a decoded picture to what a model sees (docs/MODEL_FORMAT.md,
// "preprocessing"): RGBA bytes of any size are composited over black,
// centre-cropped to the model's aspect ratio, area-averaged down (or
// bilinearly up) to its H x W, turned grey by luma when the model is grey,
// inverted when asked, and finally normalised into the input tensor.
// The intermediate "model pixels" ([H, W, C] bytes, after inversion) are what
// the app shows as "the image as the model sees it" and what a share link
// stores, so a link rebuilds the exact input tensor.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "tensor/status.h"
#include "tensor/limits.h"
#include "tensor/tensor.h"

namespace nl {

// Largest picture accepted, in pixels (tensor/limits.h); larger ones are
// refused before anything is allocated (the page downscales bigger ones first).
inline constexpr int64_t kMaxPicturePixels = limits::kMaxImagePixels;

struct ModelPixelsOptions {
  int64_t height = 28, width = 28;  // the model's input size
  int channels = 1;                 // 1: grey (luma 0.299 R + 0.587 G + 0.114 B), 3: RGB
  bool invert = false;              // p = 255 - p
};

// rgba: [height, width, 4] bytes, row-major. Returns [H, W, C] bytes.
Result<std::vector<uint8_t>> rgba_to_model_pixels(std::span<const uint8_t> rgba, int64_t width, int64_t height,
                                                  const ModelPixelsOptions& options);

// x = (p * scale - mean[c]) / std[c] per pixel and channel; mean and std hold
// one value or one per channel.
struct PixelNormalization {
  float scale = 1.0f / 255.0f;
  std::vector<float> mean{0.0f};
  std::vector<float> std{1.0f};
};

// pixels: [H, W, C] bytes  ->  [1, H, W, C] model input.
Tensor model_pixels_to_input(std::span<const uint8_t> pixels, int64_t height, int64_t width, int channels,
                             const PixelNormalization& normalization);

// Model pixels as RGBA bytes for display ([H, W, 4], grey repeated).
std::vector<uint8_t> model_pixels_to_rgba(std::span<const uint8_t> pixels, int64_t height, int64_t width, int channels);

}  // namespace nl
