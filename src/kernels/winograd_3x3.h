// A 3x3, stride-1 convolution by Winograd's minimal filtering F(2x2, 3x3)
// (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2015):
// each 2x2 block of outputs comes from a 4x4 block of input through
//   Y = A^T [ (G g G^T) .* (B^T d B) ] A
// summed over input channels, so the products are 16 GEMMs of
// [tiles x Cin] x [Cin x Cout], one per position of the 4x4 transformed
// tile: 16 multiplies per 2x2 outputs and channel pair instead of 36.
//
// The transforms only add, subtract and halve, so the result stays within a
// few float roundings of the direct sum (tests/conv2d_test.cpp measures it).
// Tiles are independent, so the result does not depend on the thread count.
#pragma once
#include <cstdint>

namespace nl {

class ThreadPool;

struct Winograd3x3Args {
  int64_t batch = 0, in_h = 0, in_w = 0, in_c = 0;
  int64_t out_h = 0, out_w = 0, out_c = 0;
  int pad_top = 0, pad_left = 0;  // bottom/right padding only shows in out_h/out_w
  const float* x = nullptr;       // [batch, in_h, in_w, in_c]
  const float* weight = nullptr;  // [out_c, 3, 3, in_c]; flipped: [in_c, 3, 3, out_c]
  const float* bias = nullptr;    // [out_c], or null
  float* y = nullptr;             // [batch, out_h, out_w, out_c], every element written
  bool accumulate = false;        // y += the convolution instead of y = it
  // The weight rotated by 180 degrees, its channel roles swapped: the
  // convolution W'[c][kh][kw][k] = W[k][2 - kh][2 - kw][c] that gives a stride-1
  // convolution's input gradient (dx = conv(dy, W'), padding 2 - pad), without
  // rearranging W.
  bool flipped = false;
};

// y (+)= conv3x3(x, weight) + bias, split over the pool's threads (pool may be null).
void conv3x3_winograd(const Winograd3x3Args& args, ThreadPool* pool);

}  // namespace nl
