// PNG encoding; see png_encode.h. Holds the one compiled copy of
// stb_image_write, memory-only (STBI_WRITE_NO_STDIO).
#include "image/png_encode.h"

#include <string>

#define STBI_WRITE_NO_STDIO
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#endif
#include <stb/stb_image_write.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace nl {
namespace {

void append_bytes(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<uint8_t>*>(context);
  const auto* bytes = static_cast<const uint8_t*>(data);
  out->insert(out->end(), bytes, bytes + size);
}

}  // namespace

Result<std::vector<uint8_t>> encode_png(const Image& image) {
  if (image.width < 1 || image.height < 1 || image.channels < 1 || image.channels > 4)
    return Status::Error("png: cannot encode an image of " + std::to_string(image.width) + " x " +
                         std::to_string(image.height) + " x " + std::to_string(image.channels));
  if (image.width > 1 << 20 || image.height > 1 << 20 ||
      static_cast<int64_t>(image.pixels.size()) != image.width * image.height * image.channels)
    return Status::Error("png: the pixels do not match the image size, or it is too large");
  std::vector<uint8_t> out;
  const int stride = static_cast<int>(image.width) * image.channels;
  if (!stbi_write_png_to_func(append_bytes, &out, static_cast<int>(image.width), static_cast<int>(image.height),
                              image.channels, image.pixels.data(), stride))
    return Status::Error("png: encoding failed");
  return out;
}

}  // namespace nl
