// A folder of labelled images: one subfolder per class, named as the class,
// holding image files (PNG, JPEG, BMP, GIF, ...; see image/decode.h):
//
//   FOLDER/Sandal/0001.png  FOLDER/Sandal/0002.jpg  FOLDER/Sneaker/a.png ...
//
// Every image is fitted to the model's input (image/preprocess.h: composite
// over black, centre crop, resize, grey by luma) and stored in [0, 1] like the
// other readers' output, so the same normalisation applies afterwards. Labels
// follow the order of `class_names` (the model's labels): a subfolder naming
// no class is an error, a class without a subfolder simply has no images.
// Files are read in name order, so the dataset is the same on every run.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/image_dataset.h"

namespace nl {

struct ImageFolderLimits {
  int64_t max_images = 100000;               // all classes together
  uint64_t max_file_bytes = uint64_t{64} << 20;
  int64_t max_pixels = int64_t{8192} * 8192;  // per image, checked from its header
};

// height, width, channels: the model input's (channels 1 or 3).
Result<ImageDataset> load_image_folder(const std::string& folder, const std::vector<std::string>& class_names,
                                       int64_t height, int64_t width, int channels,
                                       const ImageFolderLimits& limits = {});

}  // namespace nl
