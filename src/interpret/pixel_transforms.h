// Pixel-space transforms used while visualizing, each with its adjoint so the
// gradient can be carried back through it. Images are [N, H, W, C].
//   roll:      circular shift by (dy, dx)           adjoint: roll by (-dy, -dx)
//   resample:  bilinear sampling under a rotation and scale about the centre
//              (zero outside)                        adjoint: scatter with the same weights
//   blur:      separable 3x3 Gaussian, renormalised at the borders (applied
//              to the image after each step, no adjoint needed)
//   total variation: TV(x) = sum of squared neighbour differences, and its gradient.
#pragma once
#include "tensor/tensor.h"

namespace nl {

void roll_image(const Tensor& in, int dy, int dx, Tensor* out);

struct Similarity2D {
  float scale = 1.0f;    // > 1 enlarges the content
  float angle_rad = 0.0f;
};
void resample_forward(const Tensor& in, const Similarity2D& t, Tensor* out);
// Accumulates (+=) the adjoint of resample_forward applied to out_grad into in_grad.
void resample_backward(const Tensor& out_grad, const Similarity2D& t, Tensor* in_grad);

// In place: blur every channel with a 3x3 Gaussian of the given sigma.
void gaussian_blur_3x3(Tensor* image, float sigma);

// Returns TV(x) and accumulates weight * dTV/dx into grad (when non-null).
double total_variation(const Tensor& x, float weight, Tensor* grad);

}  // namespace nl
