// Colour maps; see colormap.h. Viridis is approximated by linear
// interpolation between nine of its published sample points (0, 1/8, ... 1),
// close enough for figures and monotone in lightness.
#include "image/colormap.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace nl {
namespace {

constexpr uint8_t kViridis[9][3] = {{68, 1, 84},    {71, 44, 122},  {59, 81, 139},   {44, 113, 142}, {33, 144, 141},
                                    {39, 173, 129}, {92, 200, 99},  {170, 220, 50},  {253, 231, 37}};
// Blue (negative) - white - red (positive), as ColorBrewer's RdBu reversed.
constexpr uint8_t kDiverging[5][3] = {{33, 102, 172}, {146, 197, 222}, {247, 247, 247}, {244, 165, 130}, {178, 24, 43}};

template <size_t N>
std::array<uint8_t, 3> interpolate(const uint8_t (&table)[N][3], double t) {
  const double f = std::clamp(t, 0.0, 1.0) * static_cast<double>(N - 1);
  const size_t i = std::min(static_cast<size_t>(f), N - 2);
  const double u = f - static_cast<double>(i);
  std::array<uint8_t, 3> rgb{};
  for (int k = 0; k < 3; ++k)
    rgb[static_cast<size_t>(k)] = static_cast<uint8_t>(std::lround((1 - u) * table[i][k] + u * table[i + 1][k]));
  return rgb;
}

}  // namespace

std::array<uint8_t, 3> colormap_rgb(ColorMap map, double t) {
  if (!std::isfinite(t)) t = 0.5;
  switch (map) {
    case ColorMap::kViridis: return interpolate(kViridis, t);
    case ColorMap::kDiverging: return interpolate(kDiverging, t);
    case ColorMap::kGrey: break;
  }
  const auto g = static_cast<uint8_t>(std::lround(std::clamp(t, 0.0, 1.0) * 255));
  return {g, g, g};
}

Image colorize(std::span<const float> values, int64_t width, int64_t height, ColorMap map, double lo, double hi) {
  if (lo == hi) {
    double mn = 0, mx = 0;
    bool first = true;
    for (float v : values)
      if (std::isfinite(v)) {
        mn = first ? v : std::min<double>(mn, v);
        mx = first ? v : std::max<double>(mx, v);
        first = false;
      }
    if (map == ColorMap::kDiverging) {
      const double m = std::max(std::fabs(mn), std::fabs(mx));
      lo = -m;
      hi = m;
    } else {
      lo = mn;
      hi = mx;
    }
  }
  const double range = hi - lo > 0 ? hi - lo : 1.0;
  Image out;
  out.width = width;
  out.height = height;
  out.channels = 3;
  out.pixels.resize(static_cast<size_t>(width * height * 3));
  for (int64_t i = 0; i < width * height; ++i) {
    const double t = hi - lo > 0 ? (values[static_cast<size_t>(i)] - lo) / range : 0.5;
    const auto rgb = colormap_rgb(map, t);
    std::copy(rgb.begin(), rgb.end(), out.pixels.begin() + i * 3);
  }
  return out;
}

Image overlay_heatmap(const Image& picture, std::span<const float> heat, double alpha) {
  double mx = 0;
  for (float v : heat)
    if (std::isfinite(v)) mx = std::max<double>(mx, v);
  Image out;
  out.width = picture.width;
  out.height = picture.height;
  out.channels = 3;
  out.pixels.resize(static_cast<size_t>(picture.width * picture.height * 3));
  for (int64_t i = 0; i < picture.width * picture.height; ++i) {
    double grey = 0;
    if (picture.channels >= 3)
      grey = 0.299 * picture.pixels[static_cast<size_t>(i * picture.channels)] +
             0.587 * picture.pixels[static_cast<size_t>(i * picture.channels + 1)] +
             0.114 * picture.pixels[static_cast<size_t>(i * picture.channels + 2)];
    else
      grey = picture.pixels[static_cast<size_t>(i * picture.channels)];
    const double t = mx > 0 && std::isfinite(heat[static_cast<size_t>(i)]) ? std::max(0.0, heat[static_cast<size_t>(i)] / mx) : 0.0;
    const auto rgb = colormap_rgb(ColorMap::kViridis, t);
    const double w = alpha * t;
    for (int k = 0; k < 3; ++k)
      out.pixels[static_cast<size_t>(i * 3 + k)] =
          static_cast<uint8_t>(std::lround((1 - w) * grey + w * rgb[static_cast<size_t>(k)]));
  }
  return out;
}

Image upscale_nearest(const Image& image, int factor) {
  if (factor <= 1) return image;
  Image out;
  out.width = image.width * factor;
  out.height = image.height * factor;
  out.channels = image.channels;
  out.pixels.resize(static_cast<size_t>(out.width * out.height * out.channels));
  for (int64_t y = 0; y < out.height; ++y)
    for (int64_t x = 0; x < out.width; ++x)
      for (int c = 0; c < image.channels; ++c)
        out.pixels[static_cast<size_t>((y * out.width + x) * out.channels + c)] = image.at(y / factor, x / factor, c);
  return out;
}

}  // namespace nl
