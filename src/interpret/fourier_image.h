// The decorrelated Fourier parameterisation of an image for feature
// visualization (Olah et al., "Feature Visualization", 2017): instead of the
// pixels, optimise a spectrum whose coefficients are scaled by 1 / f^decay,
// so every frequency moves at a similar rate and the image is not dominated
// by high-frequency noise; with colour, optimise in a decorrelated colour
// space; squash into valid pixels with a sigmoid. Per image and channel c:
//
//   t_c[y][x] = Re( sum_{ky < H, kx <= W/2} s(ky,kx) Z_c(ky,kx) e^{2 pi i (ky y / H + kx x / W)} ) / sqrt(H W)
//   s(ky,kx)  = 1 / max(f, 1 / max(H, W))^decay,  f = sqrt(min(ky, H - ky)^2 / H^2 + kx^2 / W^2)
//   q         = M t        (3 channels with colour decorrelation; else q = t)
//   pixel     = sigmoid(q) in (0, 1)            (display space)
//   x         = pixel * scale[c] + shift[c]     (the model's input transform)
//
// Z = a + i b holds 2 * H * (W/2 + 1) real parameters per channel (the half
// spectrum of a real image). The transform is a plain separable DFT by
// matrices, so any image size works. M is the square root of ImageNet's RGB
// colour covariance, as published with lucid, scaled so its largest column has unit length.
// backward() is the exact adjoint chain, checked against finite differences.
#pragma once
#include <cstdint>
#include <vector>

#include "tensor/rng.h"
#include "tensor/status.h"
#include "tensor/tensor.h"

namespace nl {

struct FourierSettings {
  float decay = 1.0f;               // spectrum scale 1 / f^decay (0: white)
  bool decorrelate_colour = true;   // only for 3-channel images
};

class FourierImage {
 public:
  // image_shape: [N, H, W, C]; scale, shift: the model's input transform per channel.
  static Result<FourierImage> create(const Shape& image_shape, const FourierSettings& settings, std::vector<float> scale,
                                     std::vector<float> shift);
  FourierImage() = default;

  // Parameters: [N][C][H][W/2 + 1][re, im].
  std::vector<float>& spectrum() { return spectrum_; }
  const std::vector<float>& spectrum() const { return spectrum_; }
  int64_t parameter_count() const { return static_cast<int64_t>(spectrum_.size()); }

  // Spectrum -> model input [N, H, W, C]. Keeps the pixels for backward().
  void render(Tensor* x);
  // dJ/dx [N, H, W, C] (at the last render) -> dJ/dspectrum (overwritten).
  void backward(const Tensor& x_grad, std::vector<float>* spectrum_grad) const;

  // Sets the spectrum so that render() gives x (pixels clamped into
  // [0.001, 0.999], the sigmoid's range): exact up to that clamp and rounding.
  Status set_from_input(const Tensor& x);
  // Random spectrum, every parameter normal with this standard deviation.
  void set_noise(Rng& rng, float std);

  // The linear part alone, for one channel: half spectrum [H][W/2 + 1][2] -> plane [H][W]
  // (t above), and its adjoint plane -> half spectrum.
  void spectrum_to_plane(const float* spectrum, double* plane) const;
  void plane_to_spectrum_adjoint(const double* plane, float* spectrum) const;
  float frequency_scale(int64_t ky, int64_t kx) const { return freq_scale_[static_cast<size_t>(ky * half_w_ + kx)]; }

 private:
  int64_t n_ = 0, h_ = 0, w_ = 0, c_ = 0, half_w_ = 0;
  bool decorrelate_ = false;
  double colour_[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};  // M, row-major: q = M t
  std::vector<float> scale_, shift_;
  std::vector<float> freq_scale_;             // [H][W/2 + 1], includes 1 / sqrt(H W)
  std::vector<double> cos_y_, sin_y_;         // [H][H]: angle 2 pi ky y / H
  std::vector<double> cos_x_, sin_x_;         // [W/2 + 1][W]
  std::vector<float> spectrum_;
  std::vector<float> pixels_;                 // [N, H, W, C] sigmoid outputs of the last render
};

}  // namespace nl
