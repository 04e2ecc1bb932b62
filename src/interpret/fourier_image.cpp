// The Fourier parameterisation; see fourier_image.h.
//
// The 2-D transform runs as two passes of small matrix products over
// precomputed cos/sin tables (rows: ky, then columns: kx), in double, in a
// fixed order, so results are deterministic across builds up to libm's cos/sin.
#include "interpret/fourier_image.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace nl {
namespace {

constexpr double kTwoPi = 6.283185307179586;

// sqrt of ImageNet's RGB colour covariance (from its SVD), as published with
// the lucid library; columns scaled below so the largest has unit length.
constexpr double kColourSqrt[9] = {0.26, 0.09, 0.02, 0.27, 0.00, -0.05, 0.27, -0.09, 0.03};

bool invert3(const double* m, double* inv) {
  const double det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) +
                     m[2] * (m[3] * m[7] - m[4] * m[6]);
  if (std::fabs(det) < 1e-12) return false;
  inv[0] = (m[4] * m[8] - m[5] * m[7]) / det;
  inv[1] = (m[2] * m[7] - m[1] * m[8]) / det;
  inv[2] = (m[1] * m[5] - m[2] * m[4]) / det;
  inv[3] = (m[5] * m[6] - m[3] * m[8]) / det;
  inv[4] = (m[0] * m[8] - m[2] * m[6]) / det;
  inv[5] = (m[2] * m[3] - m[0] * m[5]) / det;
  inv[6] = (m[3] * m[7] - m[4] * m[6]) / det;
  inv[7] = (m[1] * m[6] - m[0] * m[7]) / det;
  inv[8] = (m[0] * m[4] - m[1] * m[3]) / det;
  return true;
}

}  // namespace

Result<FourierImage> FourierImage::create(const Shape& s, const FourierSettings& settings, std::vector<float> scale,
                                          std::vector<float> shift) {
  if (s.rank() != 4 || s[0] < 1 || s[1] < 1 || s[2] < 1 || s[3] < 1)
    return Status::Error("fourier: the image shape must be [N, H, W, C], got " + s.str());
  if (s[1] > 1024 || s[2] > 1024)
    return Status::Error("fourier: images up to 1024 x 1024 (the DFT runs by matrices), got " + s.str());
  if (!(settings.decay >= 0) || settings.decay > 4) return Status::Error("fourier: decay must be in [0, 4]");
  if (scale.empty() || shift.empty()) return Status::Error("fourier: the input transform needs a scale and a shift");
  for (float v : scale)
    if (v == 0 || !std::isfinite(v)) return Status::Error("fourier: the input transform's scale must be finite and non-zero");
  FourierImage f;
  f.n_ = s[0];
  f.h_ = s[1];
  f.w_ = s[2];
  f.c_ = s[3];
  f.half_w_ = f.w_ / 2 + 1;
  f.scale_ = std::move(scale);
  f.shift_ = std::move(shift);
  f.decorrelate_ = settings.decorrelate_colour && f.c_ == 3;
  if (f.decorrelate_) {
    double max_norm = 0;
    for (int col = 0; col < 3; ++col) {
      double sq = 0;
      for (int row = 0; row < 3; ++row) sq += kColourSqrt[row * 3 + col] * kColourSqrt[row * 3 + col];
      max_norm = std::max(max_norm, std::sqrt(sq));
    }
    for (int i = 0; i < 9; ++i) f.colour_[i] = kColourSqrt[i] / max_norm;
  }
  const double norm = 1.0 / std::sqrt(static_cast<double>(f.h_ * f.w_));
  const double floor_freq = 1.0 / static_cast<double>(std::max(f.h_, f.w_));
  f.freq_scale_.resize(static_cast<size_t>(f.h_ * f.half_w_));
  for (int64_t ky = 0; ky < f.h_; ++ky)
    for (int64_t kx = 0; kx < f.half_w_; ++kx) {
      const double fy = static_cast<double>(std::min(ky, f.h_ - ky)) / static_cast<double>(f.h_);
      const double fx = static_cast<double>(kx) / static_cast<double>(f.w_);
      const double freq = std::max(std::sqrt(fy * fy + fx * fx), floor_freq);
      f.freq_scale_[static_cast<size_t>(ky * f.half_w_ + kx)] =
          static_cast<float>(norm / std::pow(freq, static_cast<double>(settings.decay)));
    }
  // Angles reduced modulo the period before cos/sin, so tables are exact-ish for large k*n.
  f.cos_y_.resize(static_cast<size_t>(f.h_ * f.h_));
  f.sin_y_.resize(f.cos_y_.size());
  for (int64_t ky = 0; ky < f.h_; ++ky)
    for (int64_t y = 0; y < f.h_; ++y) {
      const double a = kTwoPi * static_cast<double>((ky * y) % f.h_) / static_cast<double>(f.h_);
      f.cos_y_[static_cast<size_t>(ky * f.h_ + y)] = std::cos(a);
      f.sin_y_[static_cast<size_t>(ky * f.h_ + y)] = std::sin(a);
    }
  f.cos_x_.resize(static_cast<size_t>(f.half_w_ * f.w_));
  f.sin_x_.resize(f.cos_x_.size());
  for (int64_t kx = 0; kx < f.half_w_; ++kx)
    for (int64_t x = 0; x < f.w_; ++x) {
      const double a = kTwoPi * static_cast<double>((kx * x) % f.w_) / static_cast<double>(f.w_);
      f.cos_x_[static_cast<size_t>(kx * f.w_ + x)] = std::cos(a);
      f.sin_x_[static_cast<size_t>(kx * f.w_ + x)] = std::sin(a);
    }
  f.spectrum_.assign(static_cast<size_t>(f.n_ * f.c_ * f.h_ * f.half_w_ * 2), 0.0f);
  f.pixels_.assign(static_cast<size_t>(s.elements()), 0.5f);
  return f;
}

void FourierImage::spectrum_to_plane(const float* spec, double* plane) const {
  // Columns first: R[ky][x] = sum_kx s Z[ky][kx] e^{i 2 pi kx x / W}   (complex)
  std::vector<double> re(static_cast<size_t>(h_ * w_), 0.0), im(re.size(), 0.0);
  for (int64_t ky = 0; ky < h_; ++ky)
    for (int64_t kx = 0; kx < half_w_; ++kx) {
      const size_t k = static_cast<size_t>(ky * half_w_ + kx);
      const double a = static_cast<double>(freq_scale_[k]) * spec[2 * k];
      const double b = static_cast<double>(freq_scale_[k]) * spec[2 * k + 1];
      if (a == 0 && b == 0) continue;
      const double* cx = &cos_x_[static_cast<size_t>(kx * w_)];
      const double* sx = &sin_x_[static_cast<size_t>(kx * w_)];
      double* rr = &re[static_cast<size_t>(ky * w_)];
      double* ri = &im[static_cast<size_t>(ky * w_)];
      for (int64_t x = 0; x < w_; ++x) {
        rr[x] += a * cx[x] - b * sx[x];
        ri[x] += a * sx[x] + b * cx[x];
      }
    }
  // Rows: t[y][x] = Re sum_ky R[ky][x] e^{i 2 pi ky y / H}
  std::fill(plane, plane + h_ * w_, 0.0);
  for (int64_t y = 0; y < h_; ++y)
    for (int64_t ky = 0; ky < h_; ++ky) {
      const double c = cos_y_[static_cast<size_t>(ky * h_ + y)], s = sin_y_[static_cast<size_t>(ky * h_ + y)];
      const double* rr = &re[static_cast<size_t>(ky * w_)];
      const double* ri = &im[static_cast<size_t>(ky * w_)];
      double* out = plane + y * w_;
      for (int64_t x = 0; x < w_; ++x) out[x] += rr[x] * c - ri[x] * s;
    }
}

void FourierImage::plane_to_spectrum_adjoint(const double* plane, float* spec) const {
  // d t / d a_k = s_k cos(theta), d t / d b_k = -s_k sin(theta): so
  // (g_a + i g_b) = s_k sum_n g_n e^{-i theta}, a forward DFT of g.
  // Rows: P[ky][x] = sum_y g[y][x] e^{-i 2 pi ky y / H}
  std::vector<double> re(static_cast<size_t>(h_ * w_), 0.0), im(re.size(), 0.0);
  for (int64_t ky = 0; ky < h_; ++ky)
    for (int64_t y = 0; y < h_; ++y) {
      const double c = cos_y_[static_cast<size_t>(ky * h_ + y)], s = sin_y_[static_cast<size_t>(ky * h_ + y)];
      const double* g = plane + y * w_;
      double* pr = &re[static_cast<size_t>(ky * w_)];
      double* pi = &im[static_cast<size_t>(ky * w_)];
      for (int64_t x = 0; x < w_; ++x) {
        pr[x] += g[x] * c;
        pi[x] -= g[x] * s;
      }
    }
  // Columns: G[ky][kx] = sum_x P[ky][x] e^{-i 2 pi kx x / W}
  for (int64_t ky = 0; ky < h_; ++ky)
    for (int64_t kx = 0; kx < half_w_; ++kx) {
      const double* cx = &cos_x_[static_cast<size_t>(kx * w_)];
      const double* sx = &sin_x_[static_cast<size_t>(kx * w_)];
      const double* pr = &re[static_cast<size_t>(ky * w_)];
      const double* pi = &im[static_cast<size_t>(ky * w_)];
      double gr = 0, gi = 0;
      for (int64_t x = 0; x < w_; ++x) {
        gr += pr[x] * cx[x] + pi[x] * sx[x];
        gi += pi[x] * cx[x] - pr[x] * sx[x];
      }
      const size_t k = static_cast<size_t>(ky * half_w_ + kx);
      spec[2 * k] = static_cast<float>(freq_scale_[k] * gr);
      spec[2 * k + 1] = static_cast<float>(freq_scale_[k] * gi);
    }
}

void FourierImage::render(Tensor* x) {
  const int64_t hw = h_ * w_, per_channel = h_ * half_w_ * 2;
  x->resize(Shape{n_, h_, w_, c_});
  std::vector<double> t(static_cast<size_t>(c_ * hw));
  for (int64_t b = 0; b < n_; ++b) {
    for (int64_t c = 0; c < c_; ++c)
      spectrum_to_plane(&spectrum_[static_cast<size_t>((b * c_ + c) * per_channel)], &t[static_cast<size_t>(c * hw)]);
    for (int64_t p = 0; p < hw; ++p)
      for (int64_t c = 0; c < c_; ++c) {
        double q = t[static_cast<size_t>(c * hw + p)];
        if (decorrelate_)
          q = colour_[c * 3] * t[static_cast<size_t>(p)] + colour_[c * 3 + 1] * t[static_cast<size_t>(hw + p)] +
              colour_[c * 3 + 2] * t[static_cast<size_t>(2 * hw + p)];
        const float pixel = static_cast<float>(1.0 / (1.0 + std::exp(-q)));
        const size_t i = static_cast<size_t>((b * hw + p) * c_ + c);
        pixels_[i] = pixel;
        (*x)[static_cast<int64_t>(i)] = pixel * scale_[static_cast<size_t>(c) % scale_.size()] + shift_[static_cast<size_t>(c) % shift_.size()];
      }
  }
}

void FourierImage::backward(const Tensor& x_grad, std::vector<float>* spectrum_grad) const {
  const int64_t hw = h_ * w_, per_channel = h_ * half_w_ * 2;
  spectrum_grad->assign(spectrum_.size(), 0.0f);
  std::vector<double> gq(static_cast<size_t>(c_ * hw)), gt(gq.size());
  for (int64_t b = 0; b < n_; ++b) {
    // Through the input transform and the sigmoid: channel planes of dJ/dq.
    for (int64_t p = 0; p < hw; ++p)
      for (int64_t c = 0; c < c_; ++c) {
        const size_t i = static_cast<size_t>((b * hw + p) * c_ + c);
        const double s = pixels_[i];
        gq[static_cast<size_t>(c * hw + p)] =
            static_cast<double>(x_grad[static_cast<int64_t>(i)]) * scale_[static_cast<size_t>(c) % scale_.size()] * s * (1 - s);
      }
    // Through the colour matrix: dJ/dt = M^T dJ/dq.
    if (decorrelate_) {
      for (int64_t p = 0; p < hw; ++p)
        for (int64_t c = 0; c < 3; ++c)
          gt[static_cast<size_t>(c * hw + p)] = colour_[c] * gq[static_cast<size_t>(p)] +
                                                colour_[3 + c] * gq[static_cast<size_t>(hw + p)] +
                                                colour_[6 + c] * gq[static_cast<size_t>(2 * hw + p)];
    } else {
      gt = gq;
    }
    for (int64_t c = 0; c < c_; ++c)
      plane_to_spectrum_adjoint(&gt[static_cast<size_t>(c * hw)],
                                &(*spectrum_grad)[static_cast<size_t>((b * c_ + c) * per_channel)]);
  }
}

Status FourierImage::set_from_input(const Tensor& x) {
  if (x.shape() != Shape{n_, h_, w_, c_})
    return Status::Error("fourier: the start image has shape " + x.shape().str() + ", expected " + Shape{n_, h_, w_, c_}.str());
  const int64_t hw = h_ * w_, per_channel = h_ * half_w_ * 2;
  double inverse[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  if (decorrelate_ && !invert3(colour_, inverse)) return Status::Error("fourier: the colour matrix is singular");
  std::vector<double> q(static_cast<size_t>(c_ * hw)), t(q.size());
  std::vector<float> full(static_cast<size_t>(per_channel));
  for (int64_t b = 0; b < n_; ++b) {
    for (int64_t p = 0; p < hw; ++p)
      for (int64_t c = 0; c < c_; ++c) {
        const size_t ci = static_cast<size_t>(c);
        const double pixel = (x[(b * hw + p) * c_ + c] - shift_[ci % shift_.size()]) / scale_[ci % scale_.size()];
        const double clamped = std::clamp(pixel, 0.001, 0.999);
        q[static_cast<size_t>(c * hw + p)] = std::log(clamped / (1 - clamped));
      }
    if (decorrelate_) {
      for (int64_t p = 0; p < hw; ++p)
        for (int64_t c = 0; c < 3; ++c)
          t[static_cast<size_t>(c * hw + p)] = inverse[c * 3] * q[static_cast<size_t>(p)] +
                                               inverse[c * 3 + 1] * q[static_cast<size_t>(hw + p)] +
                                               inverse[c * 3 + 2] * q[static_cast<size_t>(2 * hw + p)];
    } else {
      t = q;
    }
    // Want s_k Z_k = c_k F_k, with F the DFT normalised so that
    // t = sum over all k of F_k e^{i theta}. A real plane's spectrum is
    // conjugate-symmetric, so the half spectrum reproduces it when the columns
    // whose mirror lies outside the half (0 < kx < W - kx) count twice (c_k = 2,
    // else 1). The adjoint gives s_k * sum_n t_n e^{-i theta} = s_k H W F_k, so
    // Z_k = c_k * adjoint_k / (s_k^2 H W).
    for (int64_t c = 0; c < c_; ++c) {
      plane_to_spectrum_adjoint(&t[static_cast<size_t>(c * hw)], full.data());
      float* z = &spectrum_[static_cast<size_t>((b * c_ + c) * per_channel)];
      for (int64_t ky = 0; ky < h_; ++ky)
        for (int64_t kx = 0; kx < half_w_; ++kx) {
          const size_t k = static_cast<size_t>(ky * half_w_ + kx);
          const double twice = (kx > 0 && kx < w_ - kx) ? 2.0 : 1.0;
          const double s = freq_scale_[k];
          const double factor = twice / (s * s * static_cast<double>(hw));
          z[2 * k] = static_cast<float>(full[2 * k] * factor);
          z[2 * k + 1] = static_cast<float>(full[2 * k + 1] * factor);
        }
    }
  }
  return Status::Ok();
}

void FourierImage::set_noise(Rng& rng, float std) {
  for (float& v : spectrum_) v = static_cast<float>(std * rng.normal());
}

}  // namespace nl
