#include "interpret/pixel_transforms.h"

#include <cmath>

namespace nl {

void roll_image(const Tensor& in, int dy, int dx, Tensor* out) {
  const Shape& s = in.shape();
  const int64_t n = s[0], h = s[1], w = s[2], c = s[3];
  out->resize(s);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t y = 0; y < h; ++y) {
      const int64_t sy = ((y - dy) % h + h) % h;
      for (int64_t x = 0; x < w; ++x) {
        const int64_t sx = ((x - dx) % w + w) % w;
        const float* src = in.data() + ((b * h + sy) * w + sx) * c;
        float* dst = out->data() + ((b * h + y) * w + x) * c;
        for (int64_t k = 0; k < c; ++k) dst[k] = src[k];
      }
    }
}

namespace {

// The four source pixels and weights that output pixel (y, x) samples.
struct Tap {
  int64_t y0, x0;
  float wy, wx;  // weight of the (y0+1, x0+1) side
};

Tap source_tap(int64_t y, int64_t x, int64_t h, int64_t w, const Similarity2D& t) {
  // Output coordinates about the centre, mapped back through the inverse similarity.
  const float cy = 0.5f * static_cast<float>(h - 1), cx = 0.5f * static_cast<float>(w - 1);
  const float oy = static_cast<float>(y) - cy, ox = static_cast<float>(x) - cx;
  const float cs = std::cos(t.angle_rad) / t.scale, sn = std::sin(t.angle_rad) / t.scale;
  const float sy = cs * oy - sn * ox + cy;
  const float sx = sn * oy + cs * ox + cx;
  const float fy = std::floor(sy), fx = std::floor(sx);
  return Tap{static_cast<int64_t>(fy), static_cast<int64_t>(fx), sy - fy, sx - fx};
}

}  // namespace

void resample_forward(const Tensor& in, const Similarity2D& t, Tensor* out) {
  const Shape& s = in.shape();
  const int64_t n = s[0], h = s[1], w = s[2], c = s[3];
  out->resize(s);
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      const Tap tap = source_tap(y, x, h, w, t);
      for (int dy = 0; dy < 2; ++dy)
        for (int dx = 0; dx < 2; ++dx) {
          const int64_t sy = tap.y0 + dy, sx = tap.x0 + dx;
          if (sy < 0 || sy >= h || sx < 0 || sx >= w) continue;
          const float wgt = (dy ? tap.wy : 1 - tap.wy) * (dx ? tap.wx : 1 - tap.wx);
          for (int64_t b = 0; b < n; ++b) {
            const float* src = in.data() + ((b * h + sy) * w + sx) * c;
            float* dst = out->data() + ((b * h + y) * w + x) * c;
            for (int64_t k = 0; k < c; ++k) dst[k] += wgt * src[k];
          }
        }
    }
}

void resample_backward(const Tensor& out_grad, const Similarity2D& t, Tensor* in_grad) {
  const Shape& s = out_grad.shape();
  const int64_t n = s[0], h = s[1], w = s[2], c = s[3];
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      const Tap tap = source_tap(y, x, h, w, t);
      for (int dy = 0; dy < 2; ++dy)
        for (int dx = 0; dx < 2; ++dx) {
          const int64_t sy = tap.y0 + dy, sx = tap.x0 + dx;
          if (sy < 0 || sy >= h || sx < 0 || sx >= w) continue;
          const float wgt = (dy ? tap.wy : 1 - tap.wy) * (dx ? tap.wx : 1 - tap.wx);
          for (int64_t b = 0; b < n; ++b) {
            const float* src = out_grad.data() + ((b * h + y) * w + x) * c;
            float* dst = in_grad->data() + ((b * h + sy) * w + sx) * c;
            for (int64_t k = 0; k < c; ++k) dst[k] += wgt * src[k];
          }
        }
    }
}

void gaussian_blur_3x3(Tensor* image, float sigma) {
  const Shape& s = image->shape();
  const int64_t n = s[0], h = s[1], w = s[2], c = s[3];
  const float side = std::exp(-1.0f / (2.0f * sigma * sigma));  // relative weight of a neighbour
  Tensor tmp(s);
  // Horizontal pass then vertical pass; at a border the missing tap's weight
  // is dropped and the rest renormalised, so a constant image stays constant.
  for (int pass = 0; pass < 2; ++pass) {
    const Tensor& src = pass == 0 ? *image : tmp;
    Tensor& dst = pass == 0 ? tmp : *image;
    for (int64_t b = 0; b < n; ++b)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) {
          float total = 1.0f;
          float* out = dst.data() + ((b * h + y) * w + x) * c;
          const float* centre = src.data() + ((b * h + y) * w + x) * c;
          for (int64_t k = 0; k < c; ++k) out[k] = centre[k];
          for (int side_sign = -1; side_sign <= 1; side_sign += 2) {
            const int64_t yy = pass == 1 ? y + side_sign : y, xx = pass == 0 ? x + side_sign : x;
            if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
            const float* nb = src.data() + ((b * h + yy) * w + xx) * c;
            for (int64_t k = 0; k < c; ++k) out[k] += side * nb[k];
            total += side;
          }
          for (int64_t k = 0; k < c; ++k) out[k] /= total;
        }
  }
}

double total_variation(const Tensor& x, float weight, Tensor* grad) {
  const Shape& s = x.shape();
  const int64_t n = s[0], h = s[1], w = s[2], c = s[3];
  double tv = 0.0;
  auto at = [&](int64_t b, int64_t y, int64_t xx, int64_t k) { return ((b * h + y) * w + xx) * c + k; };
  for (int64_t b = 0; b < n; ++b)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t xx = 0; xx < w; ++xx)
        for (int64_t k = 0; k < c; ++k) {
          const float v = x[at(b, y, xx, k)];
          if (y + 1 < h) {
            const float d = x[at(b, y + 1, xx, k)] - v;
            tv += static_cast<double>(d) * d;
            if (grad) {
              (*grad)[at(b, y + 1, xx, k)] += 2 * weight * d;
              (*grad)[at(b, y, xx, k)] -= 2 * weight * d;
            }
          }
          if (xx + 1 < w) {
            const float d = x[at(b, y, xx + 1, k)] - v;
            tv += static_cast<double>(d) * d;
            if (grad) {
              (*grad)[at(b, y, xx + 1, k)] += 2 * weight * d;
              (*grad)[at(b, y, xx, k)] -= 2 * weight * d;
            }
          }
        }
  return tv;
}

}  // namespace nl
