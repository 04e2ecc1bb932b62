#include "image/model_input.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "image/shrink.h"

namespace nl {
namespace {

// Resizes the crop [y0, y0 + ch) x [x0, x0 + cw) of `rgb` ([h, w, 3] floats,
// row length w) to out_h x out_w: an area average (box filter) when shrinking,
// bilinear when enlarging. Both keep a drawn stroke's mass, and neither rings.
void resize_area(const std::vector<float>& rgb, int64_t w, int64_t x0, int64_t y0, int64_t cw, int64_t ch,
                 int64_t out_w, int64_t out_h, std::vector<float>* out) {
  out->assign(static_cast<size_t>(out_w * out_h * 3), 0.0f);
  const double sy = static_cast<double>(ch) / static_cast<double>(out_h);
  const double sx = static_cast<double>(cw) / static_cast<double>(out_w);
  for (int64_t oy = 0; oy < out_h; ++oy) {
    for (int64_t ox = 0; ox < out_w; ++ox) {
      double acc[3] = {0, 0, 0};
      if (sy >= 1.0 && sx >= 1.0) {
        // Shrinking: average the source pixels under the output pixel, with
        // fractional coverage at the edges.
        const double fy0 = oy * sy, fy1 = (oy + 1) * sy, fx0 = ox * sx, fx1 = (ox + 1) * sx;
        double area = 0;
        for (int64_t y = static_cast<int64_t>(fy0); y < static_cast<int64_t>(std::ceil(fy1)) && y < ch; ++y) {
          const double wy = std::min<double>(y + 1, fy1) - std::max<double>(y, fy0);
          if (wy <= 0) continue;
          for (int64_t x = static_cast<int64_t>(fx0); x < static_cast<int64_t>(std::ceil(fx1)) && x < cw; ++x) {
            const double wx = std::min<double>(x + 1, fx1) - std::max<double>(x, fx0);
            if (wx <= 0) continue;
            const float* p = &rgb[static_cast<size_t>(((y0 + y) * w + (x0 + x)) * 3)];
            for (int k = 0; k < 3; ++k) acc[k] += wy * wx * p[k];
            area += wy * wx;
          }
        }
        for (int k = 0; k < 3; ++k) acc[k] = area > 0 ? acc[k] / area : 0;
      } else {
        // Enlarging (or mixed): bilinear with half-pixel centres, clamped at the border.
        const double fy = std::clamp((oy + 0.5) * sy - 0.5, 0.0, static_cast<double>(ch - 1));
        const double fx = std::clamp((ox + 0.5) * sx - 0.5, 0.0, static_cast<double>(cw - 1));
        const int64_t y_lo = static_cast<int64_t>(fy), x_lo = static_cast<int64_t>(fx);
        const int64_t y_hi = std::min(y_lo + 1, ch - 1), x_hi = std::min(x_lo + 1, cw - 1);
        const double ty = fy - y_lo, tx = fx - x_lo;
        auto at = [&](int64_t y, int64_t x, int k) { return rgb[static_cast<size_t>(((y0 + y) * w + (x0 + x)) * 3 + k)]; };
        for (int k = 0; k < 3; ++k)
          acc[k] = (1 - ty) * ((1 - tx) * at(y_lo, x_lo, k) + tx * at(y_lo, x_hi, k)) +
                   ty * ((1 - tx) * at(y_hi, x_lo, k) + tx * at(y_hi, x_hi, k));
      }
      for (int k = 0; k < 3; ++k) (*out)[static_cast<size_t>((oy * out_w + ox) * 3 + k)] = static_cast<float>(acc[k]);
    }
  }
}

uint8_t to_byte(double v) { return static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L)); }

}  // namespace

Result<std::vector<uint8_t>> rgba_to_model_pixels(std::span<const uint8_t> rgba, int64_t width, int64_t height,
                                                  const ModelPixelsOptions& o) {
  if (width < 1 || height < 1)
    return Status::Error("image: size " + std::to_string(width) + " x " + std::to_string(height) + " is empty");
  if (width > kMaxPicturePixels / height)
    return Status::Error("image: " + std::to_string(width) + " x " + std::to_string(height) +
                         " pixels is over the limit of " + std::to_string(kMaxPicturePixels) + " pixels");
  if (static_cast<int64_t>(rgba.size()) != width * height * 4)
    return Status::Error("image: " + std::to_string(rgba.size()) + " bytes given for " + std::to_string(width) + " x " +
                         std::to_string(height) + " RGBA pixels (" + std::to_string(width * height * 4) + " expected)");
  if (o.height < 1 || o.width < 1 || o.height > limits::kMaxModelInputSide || o.width > limits::kMaxModelInputSide ||
      (o.channels != 1 && o.channels != 3))
    return Status::Error("image: the model input must be H x W x 1 or 3 with sides 1.." +
                         std::to_string(limits::kMaxModelInputSide));
  // Very large pictures are shrunk first, so the float planes below stay small.
  if (width * height > limits::kMaxPreprocessPixels) {
    const Image small = shrink_picture(rgba, width, height, 4, limits::kMaxPreprocessPixels);
    return rgba_to_model_pixels(small.pixels, small.width, small.height, o);
  }

  // Composite over black: transparent parts of a drawing are background.
  std::vector<float> rgb(static_cast<size_t>(width * height * 3));
  for (int64_t i = 0; i < width * height; ++i) {
    const float a = rgba[static_cast<size_t>(i * 4 + 3)] / 255.0f;
    for (int k = 0; k < 3; ++k) rgb[static_cast<size_t>(i * 3 + k)] = rgba[static_cast<size_t>(i * 4 + k)] * a;
  }
  // Centre crop to the model's aspect ratio.
  int64_t cw = width, ch = height;
  if (width * o.height > height * o.width) cw = std::max<int64_t>(1, height * o.width / o.height);
  else ch = std::max<int64_t>(1, width * o.height / o.width);
  const int64_t x0 = (width - cw) / 2, y0 = (height - ch) / 2;
  std::vector<float> small;
  resize_area(rgb, width, x0, y0, cw, ch, o.width, o.height, &small);

  std::vector<uint8_t> out(static_cast<size_t>(o.height * o.width * o.channels));
  for (int64_t i = 0; i < o.height * o.width; ++i) {
    const float* p = &small[static_cast<size_t>(i * 3)];
    if (o.channels == 1) {
      double v = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
      if (o.invert) v = 255.0 - v;
      out[static_cast<size_t>(i)] = to_byte(v);
    } else {
      for (int k = 0; k < 3; ++k) out[static_cast<size_t>(i * 3 + k)] = to_byte(o.invert ? 255.0 - p[k] : p[k]);
    }
  }
  return out;
}

Tensor model_pixels_to_input(std::span<const uint8_t> pixels, int64_t height, int64_t width, int channels,
                             const PixelNormalization& n) {
  Tensor x(Shape{1, height, width, channels});
  for (int64_t i = 0; i < x.elements(); ++i) {
    const size_t c = static_cast<size_t>(i % channels);
    const float mean = n.mean[c % n.mean.size()], sd = n.std[c % n.std.size()];
    x[i] = (static_cast<float>(pixels[static_cast<size_t>(i)]) * n.scale - mean) / sd;
  }
  return x;
}

std::vector<uint8_t> model_pixels_to_rgba(std::span<const uint8_t> pixels, int64_t height, int64_t width, int channels) {
  std::vector<uint8_t> rgba(static_cast<size_t>(height * width * 4), 255);
  for (int64_t i = 0; i < height * width; ++i)
    for (int k = 0; k < 3; ++k)
      rgba[static_cast<size_t>(i * 4 + k)] = pixels[static_cast<size_t>(i * channels + (channels == 3 ? k : 0))];
  return rgba;
}

}  // namespace nl
