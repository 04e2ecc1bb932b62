// Focus: where the network looks for one image (METHOD.md, "Image-side quantities").
//   Grad-CAM: alpha_k = mean_{h,w} dy_c/dA_k at a conv node, map = ReLU(sum_k alpha_k A_k),
//             bilinearly upsampled to the input size.
//   Saliency: max over input channels of |dy_c/dx|.
//   Occlusion: the drop of y_c when a square patch of the input is replaced by a
//              constant, for a patch slid with a stride; each pixel averages the
//              drops of the patches covering it.
// All maps are [H, W] of the input, row-major, raw (not normalised): the caller
// normalises for display. c is the class logit (pre-softmax).
#pragma once
#include <vector>

#include "nn/executor.h"

namespace nl {

struct FocusMap {
  int64_t height = 0, width = 0;
  std::vector<float> values;  // height * width
  int target_class = -1;
};

// `image` is [1, H, W, C]; class_index -1 means the predicted class.
Result<FocusMap> grad_cam(Executor& ex, const Tensor& image, int node, int class_index);
Result<FocusMap> saliency(Executor& ex, const Tensor& image, int class_index);

struct OcclusionOptions {
  int patch = 4;
  int stride = 2;
  float fill = 0.0f;  // in model input space
};
Result<FocusMap> occlusion(Executor& ex, const Tensor& image, int class_index, const OcclusionOptions& options);

// Bilinear resize of a [h, w] map to [H, W] (align-corners false, like PyTorch's interpolate).
std::vector<float> resize_map(const std::vector<float>& map, int64_t h, int64_t w, int64_t out_h, int64_t out_w);

}  // namespace nl
