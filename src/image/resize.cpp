// Resizing; see resize.h. Separable: the rows are resampled first, then the
// columns, each axis by a sparse weight table built once.
#include "image/resize.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace nl {
namespace {

// For each output index: the source indices and weights (summing to 1) along one axis.
struct AxisWeights {
  std::vector<int64_t> first;          // [out]: offset into taps
  std::vector<int64_t> count;          // [out]
  std::vector<int64_t> index;          // source indices
  std::vector<double> weight;
};

AxisWeights axis_weights(int64_t in, int64_t out, ResizeFilter filter) {
  AxisWeights a;
  const double scale = static_cast<double>(in) / static_cast<double>(out);
  const bool area = filter == ResizeFilter::kArea || (filter == ResizeFilter::kAuto && scale > 1.0);
  for (int64_t o = 0; o < out; ++o) {
    a.first.push_back(static_cast<int64_t>(a.index.size()));
    if (area) {
      // Output pixel o covers source interval [o * scale, (o + 1) * scale).
      const double lo = o * scale, hi = (o + 1) * scale;
      double total = 0;
      const int64_t start = static_cast<int64_t>(std::floor(lo));
      const int64_t stop = std::min<int64_t>(in, static_cast<int64_t>(std::ceil(hi)));
      for (int64_t i = start; i < stop; ++i) {
        const double w = std::min<double>(static_cast<double>(i + 1), hi) - std::max<double>(static_cast<double>(i), lo);
        if (w <= 0) continue;
        a.index.push_back(i);
        a.weight.push_back(w);
        total += w;
      }
      for (size_t t = static_cast<size_t>(a.first.back()); t < a.weight.size(); ++t) a.weight[t] /= total;
    } else {
      const double f = std::clamp((o + 0.5) * scale - 0.5, 0.0, static_cast<double>(in - 1));
      const int64_t lo = static_cast<int64_t>(f), hi = std::min(lo + 1, in - 1);
      const double t = f - static_cast<double>(lo);
      a.index.push_back(lo);
      a.weight.push_back(1.0 - t);
      if (hi != lo) {
        a.index.push_back(hi);
        a.weight.push_back(t);
      }
    }
    a.count.push_back(static_cast<int64_t>(a.index.size()) - a.first.back());
  }
  return a;
}

}  // namespace

std::vector<float> resize_plane(const std::vector<float>& in, int64_t width, int64_t height, int channels,
                                int64_t out_width, int64_t out_height, ResizeFilter filter) {
  const AxisWeights ax = axis_weights(width, out_width, filter);
  const AxisWeights ay = axis_weights(height, out_height, filter);
  // Rows: [height, out_width, channels]
  std::vector<double> rows(static_cast<size_t>(height * out_width * channels), 0.0);
  for (int64_t y = 0; y < height; ++y)
    for (int64_t ox = 0; ox < out_width; ++ox)
      for (int64_t t = ax.first[ox]; t < ax.first[ox] + ax.count[ox]; ++t) {
        const float* src = &in[static_cast<size_t>((y * width + ax.index[t]) * channels)];
        double* dst = &rows[static_cast<size_t>((y * out_width + ox) * channels)];
        for (int c = 0; c < channels; ++c) dst[c] += ax.weight[t] * src[c];
      }
  std::vector<float> out(static_cast<size_t>(out_height * out_width * channels));
  for (int64_t oy = 0; oy < out_height; ++oy)
    for (int64_t ox = 0; ox < out_width; ++ox)
      for (int c = 0; c < channels; ++c) {
        double s = 0;
        for (int64_t t = ay.first[oy]; t < ay.first[oy] + ay.count[oy]; ++t)
          s += ay.weight[t] * rows[static_cast<size_t>((ay.index[t] * out_width + ox) * channels + c)];
        out[static_cast<size_t>((oy * out_width + ox) * channels + c)] = static_cast<float>(s);
      }
  return out;
}

Result<Image> resize_image(const Image& image, int64_t out_width, int64_t out_height, ResizeFilter filter) {
  if (image.width < 1 || image.height < 1 || image.channels < 1 ||
      static_cast<int64_t>(image.pixels.size()) != image.width * image.height * image.channels)
    return Status::Error("resize: the image is empty or its pixels do not match its size");
  if (out_width < 1 || out_height < 1 || out_width > 65536 || out_height > 65536)
    return Status::Error("resize: output size " + std::to_string(out_width) + " x " + std::to_string(out_height) +
                         " is outside 1..65536");
  std::vector<float> plane(image.pixels.begin(), image.pixels.end());
  const std::vector<float> resized =
      resize_plane(plane, image.width, image.height, image.channels, out_width, out_height, filter);
  Image out;
  out.width = out_width;
  out.height = out_height;
  out.channels = image.channels;
  out.pixels.resize(resized.size());
  for (size_t i = 0; i < resized.size(); ++i)
    out.pixels[i] = static_cast<uint8_t>(std::clamp(std::lround(resized[i]), 0L, 255L));
  return out;
}

}  // namespace nl
