// Preprocessing; see preprocess.h.
#include "image/preprocess.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "image/resize.h"
#include "image/shrink.h"
#include "tensor/limits.h"

namespace nl {
namespace {

uint8_t to_byte(double v) { return static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L)); }

int preprocessing_channels(const Preprocessing& p) { return p.colour == Preprocessing::Colour::kRgb ? 3 : 1; }

float per_channel(const std::vector<float>& v, int64_t c) { return v.empty() ? 0.0f : v[static_cast<size_t>(c) % v.size()]; }

}  // namespace

Result<Image> fit_image_to_model(const Image& image, int64_t height, int64_t width, int channels) {
  if (image.width < 1 || image.height < 1 || image.channels < 1 || image.channels > 4 ||
      static_cast<int64_t>(image.pixels.size()) != image.width * image.height * image.channels)
    return Status::Error("preprocess: the image is empty or its pixels do not match its size");
  if (height < 1 || width < 1 || height > kModelMaxInputSide || width > kModelMaxInputSide || (channels != 1 && channels != 3))
    return Status::Error("preprocess: the model input must be H x W x 1 or 3 with sides 1.." +
                         std::to_string(kModelMaxInputSide));
  if (image.width > limits::kMaxImagePixels / image.height)
    return Status::Error("preprocess: " + std::to_string(image.width) + " x " + std::to_string(image.height) +
                         " pixels is over the limit (kMaxImagePixels) of " + std::to_string(limits::kMaxImagePixels));
  // Very large pictures are shrunk first, so the float planes below stay small.
  if (image.width * image.height > limits::kMaxPreprocessPixels)
    return fit_image_to_model(shrink_picture(image.pixels, image.width, image.height, image.channels,
                                             limits::kMaxPreprocessPixels),
                              height, width, channels);
  // 1. RGB floats composited over black.
  const int64_t n = image.width * image.height;
  std::vector<float> rgb(static_cast<size_t>(n * 3));
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* p = &image.pixels[static_cast<size_t>(i * image.channels)];
    float r, g, b, a = 1.0f;
    if (image.channels <= 2) r = g = b = p[0];
    else r = p[0], g = p[1], b = p[2];
    if (image.channels == 2) a = p[1] / 255.0f;
    if (image.channels == 4) a = p[3] / 255.0f;
    rgb[static_cast<size_t>(i * 3)] = r * a;
    rgb[static_cast<size_t>(i * 3 + 1)] = g * a;
    rgb[static_cast<size_t>(i * 3 + 2)] = b * a;
  }
  // 2. Centre crop to the model's aspect ratio, then resize.
  int64_t cw = image.width, ch = image.height;
  if (image.width * height > image.height * width) cw = std::max<int64_t>(1, image.height * width / height);
  else ch = std::max<int64_t>(1, image.width * height / width);
  const int64_t x0 = (image.width - cw) / 2, y0 = (image.height - ch) / 2;
  std::vector<float> crop(static_cast<size_t>(cw * ch * 3));
  for (int64_t y = 0; y < ch; ++y)
    std::copy_n(&rgb[static_cast<size_t>(((y0 + y) * image.width + x0) * 3)], cw * 3, &crop[static_cast<size_t>(y * cw * 3)]);
  const std::vector<float> small = resize_plane(crop, cw, ch, 3, width, height);
  // 3-4. Grey by luma, bytes.
  Image out;
  out.width = width;
  out.height = height;
  out.channels = channels;
  out.pixels.resize(static_cast<size_t>(width * height * channels));
  for (int64_t i = 0; i < width * height; ++i) {
    const float* p = &small[static_cast<size_t>(i * 3)];
    if (channels == 1) out.pixels[static_cast<size_t>(i)] = to_byte(0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]);
    else
      for (int k = 0; k < 3; ++k) out.pixels[static_cast<size_t>(i * 3 + k)] = to_byte(p[k]);
  }
  return out;
}

Result<Tensor> normalize_model_pixels(const Image& pixels, const Preprocessing& pre) {
  const int channels = preprocessing_channels(pre);
  if (pixels.channels != channels)
    return Status::Error("preprocess: the model takes " + std::to_string(channels) + " channel(s), the pixels have " +
                         std::to_string(pixels.channels));
  if (static_cast<int64_t>(pixels.pixels.size()) != pixels.width * pixels.height * channels || pixels.pixels.empty())
    return Status::Error("preprocess: the pixels do not match their size");
  Tensor x(Shape{1, pixels.height, pixels.width, channels});
  for (int64_t i = 0; i < x.elements(); ++i) {
    const int64_t c = i % channels;
    float p = pixels.pixels[static_cast<size_t>(i)];
    if (pre.invert) p = 255.0f - p;
    x[i] = (p * pre.scale - per_channel(pre.mean, c)) / per_channel(pre.std, c);
  }
  return x;
}

Result<Tensor> image_to_model_input(const Image& image, const Preprocessing& pre, const Shape& input_shape) {
  if (input_shape.rank() != 4) return Status::Error("preprocess: the model input must be [1, H, W, C], got " + input_shape.str());
  auto fitted = fit_image_to_model(image, input_shape[1], input_shape[2], static_cast<int>(input_shape[3]));
  if (!fitted.ok()) return fitted.status();
  return normalize_model_pixels(fitted.value(), pre);
}

Image model_input_to_image(const Tensor& input, int64_t index, const Preprocessing& pre) {
  const Shape& s = input.shape();
  Image out;
  out.height = s[1];
  out.width = s[2];
  out.channels = static_cast<int>(s[3]);
  const int64_t per = s[1] * s[2] * s[3];
  out.pixels.resize(static_cast<size_t>(per));
  for (int64_t i = 0; i < per; ++i) {
    const int64_t c = i % out.channels;
    double p = (input[index * per + i] * per_channel(pre.std, c) + per_channel(pre.mean, c)) / pre.scale;
    if (pre.invert) p = 255.0 - p;
    out.pixels[static_cast<size_t>(i)] = to_byte(p);
  }
  return out;
}

}  // namespace nl
