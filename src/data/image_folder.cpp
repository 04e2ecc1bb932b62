// Folders of labelled images; see image_folder.h.
#include "data/image_folder.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "image/decode.h"
#include "image/preprocess.h"
#include "tensor/file_bytes.h"

namespace nl {

Result<ImageDataset> load_image_folder(const std::string& folder, const std::vector<std::string>& class_names,
                                       int64_t height, int64_t width, int channels, const ImageFolderLimits& limits) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(folder, ec))
    return Status::Error(folder + ": not a folder (expected one subfolder of images per class)");
  // (class index, file path), in class then name order.
  std::vector<std::pair<int, std::string>> files;
  std::vector<fs::path> subfolders;
  for (const auto& entry : fs::directory_iterator(folder, ec))
    if (entry.is_directory(ec)) subfolders.push_back(entry.path());
  if (ec) return Status::Error(folder + ": cannot list the folder (" + ec.message() + ")");
  std::sort(subfolders.begin(), subfolders.end());
  for (const fs::path& sub : subfolders) {
    const std::string name = sub.filename().string();
    const auto it = std::find(class_names.begin(), class_names.end(), name);
    if (it == class_names.end()) {
      std::string known;
      for (const auto& c : class_names) known += (known.empty() ? "" : ", ") + c;
      return Status::Error(sub.string() + ": '" + name + "' is not one of the model's classes (" + known + ")");
    }
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(sub, ec))
      if (entry.is_regular_file(ec) && entry.path().filename().string()[0] != '.') names.push_back(entry.path().string());
    if (ec) return Status::Error(sub.string() + ": cannot list the folder (" + ec.message() + ")");
    std::sort(names.begin(), names.end());
    for (auto& n : names) files.emplace_back(static_cast<int>(it - class_names.begin()), std::move(n));
    if (static_cast<int64_t>(files.size()) > limits.max_images)
      return Status::Error(folder + ": more than " + std::to_string(limits.max_images) + " images");
  }
  if (files.empty()) return Status::Error(folder + ": no images found in class subfolders");

  ImageDataset data;
  data.class_names = class_names;
  data.images = Tensor(Shape{static_cast<int64_t>(files.size()), height, width, channels});
  const int64_t per = height * width * channels;
  for (size_t i = 0; i < files.size(); ++i) {
    auto bytes = read_file_bytes(files[i].second, limits.max_file_bytes);
    if (!bytes.ok()) return bytes.status();
    auto image = decode_image(bytes.value(), files[i].second, 0, limits.max_pixels);
    if (!image.ok()) return image.status();
    auto fitted = fit_image_to_model(image.value(), height, width, channels);
    if (!fitted.ok()) return Status::Error(files[i].second + ": " + fitted.status().message());
    for (int64_t k = 0; k < per; ++k)
      data.images[static_cast<int64_t>(i) * per + k] = fitted.value().pixels[static_cast<size_t>(k)] / 255.0f;
    data.labels.push_back(files[i].first);
  }
  return data;
}

}  // namespace nl
