// Pooling settings shared by MaxPool2D and AvgPool2D (NHWC, per channel).
//   OH = (H + pad_top + pad_bottom - kernel_h) / stride_h + 1   (floor; ceil when ceil_mode)
// Max pooling treats padding as -infinity; average pooling divides by the
// whole window when count_include_pad, else by the in-bounds part.
#pragma once

namespace nl {

struct Pool2DParams {
  int kernel_h = 2, kernel_w = 2;
  int stride_h = 2, stride_w = 2;
  int pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  bool ceil_mode = false;
  bool count_include_pad = true;  // AvgPool2D only
};

}  // namespace nl
