// From a decoded picture to the model's input tensor, following the model's
// preprocessing settings (docs/MODEL_FORMAT.md, "preprocessing"), and back
// for display. The steps are the web app's (src/image/model_input.h; a test
// checks that both give the same pixels), so the CLI and the page feed a
// model the same tensor:
//   1. composite over black (transparent parts are background);
//   2. centre-crop to the model's aspect ratio, resize to its H x W
//      (area average when shrinking, bilinear when enlarging; resize.h);
//   3. grey by luma 0.299 R + 0.587 G + 0.114 B when the model is grey;
//   4. round to bytes: the "model pixels" (fit_image_to_model stops here);
//   5. p = 255 - p when inverting, x = (p * scale - mean[c]) / std[c].
#pragma once
#include <cstdint>

#include "image/image.h"
#include "model/model_file.h"
#include "tensor/tensor.h"

namespace nl {

// Steps 1-4: an image of any size and 1-4 channels -> [height, width, channels] bytes,
// channels 1 (grey) or 3 (RGB).
Result<Image> fit_image_to_model(const Image& image, int64_t height, int64_t width, int channels);

// Step 5 on fitted pixels: returns [1, H, W, C]. The channel count must match
// the preprocessing's colour (grey 1, rgb 3).
Result<Tensor> normalize_model_pixels(const Image& pixels, const Preprocessing& preprocessing);

// Steps 1-5 for a model whose input is [1, H, W, C].
Result<Tensor> image_to_model_input(const Image& image, const Preprocessing& preprocessing, const Shape& input_shape);

// Inverse of step 5 for image `index` of a batch [N, H, W, C]: the model
// pixels (before inversion, as the picture looked), rounded and clamped.
Image model_input_to_image(const Tensor& input, int64_t index, const Preprocessing& preprocessing);

}  // namespace nl
