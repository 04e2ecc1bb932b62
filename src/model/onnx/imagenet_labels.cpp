// The ImageNet class names, compiled in from a file the build generates with
// tools/extract_imagenet_labels.py (torchvision's ResNet18_Weights metadata in
// Debian's python3-torchvision), so no copy of unknown origin lives in the tree.
#include "model/onnx/import_config.h"

namespace nl {

namespace {
#ifdef NL_HAVE_IMAGENET_LABELS
constexpr const char* kImageNetClassNames[] = {
#include "imagenet_labels.inc"
};
#endif
}  // namespace

std::span<const char* const> imagenet_class_names() {
#ifdef NL_HAVE_IMAGENET_LABELS
  return kImageNetClassNames;
#else
  return {};
#endif
}

}  // namespace nl
