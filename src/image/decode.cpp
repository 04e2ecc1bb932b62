// Image decoding through stb_image; see decode.h. This file holds the one
// compiled copy of stb_image: memory-only (STBI_NO_STDIO), 8-bit formats only
// (no HDR or linear-light float paths), failure reasons kept (stbi's reason
// strings are thread-local in this version, so concurrent decodes are safe).
#include "image/decode.h"

#include <cstdlib>
#include <limits>

#define STBI_NO_STDIO
#define STBI_NO_HDR
#define STBI_NO_LINEAR
#define STBI_ASSERT(x) ((void)0)  // malformed input must give an error, never abort
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#endif
#include <stb/stb_image.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace nl {
namespace {

std::string reason() {
  const char* r = stbi_failure_reason();
  return r ? r : "unknown reason";
}

Status check_size(std::span<const uint8_t> bytes, const std::string& source) {
  if (bytes.empty()) return Status::Error(source + ": empty file, not an image");
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()))
    return Status::Error(source + ": " + std::to_string(bytes.size()) + " bytes is too large to decode");
  return Status::Ok();
}

}  // namespace

Result<ImageInfo> read_image_info(std::span<const uint8_t> bytes, const std::string& source) {
  NL_RETURN_IF_ERROR(check_size(bytes, source));
  int w = 0, h = 0, c = 0;
  if (!stbi_info_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &c))
    return Status::Error(source + ": not a readable image (" + reason() + ")");
  if (w <= 0 || h <= 0 || c < 1 || c > 4)
    return Status::Error(source + ": the header gives an invalid size " + std::to_string(w) + " x " + std::to_string(h));
  return ImageInfo{w, h, c};
}

Result<Image> decode_image(std::span<const uint8_t> bytes, const std::string& source, int channels, int64_t max_pixels) {
  if (channels != 0 && channels != 1 && channels != 3 && channels != 4)
    return Status::Error(source + ": can decode to 1, 3 or 4 channels, not " + std::to_string(channels));
  auto info = read_image_info(bytes, source);
  if (!info.ok()) return info.status();
  const ImageInfo& i = info.value();
  if (i.width > max_pixels / i.height)
    return Status::Error(source + ": " + std::to_string(i.width) + " x " + std::to_string(i.height) +
                         " pixels is over the limit of " + std::to_string(max_pixels) + " pixels");
  int w = 0, h = 0, file_channels = 0;
  uint8_t* data = stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &file_channels, channels);
  if (!data) return Status::Error(source + ": cannot decode the image (" + reason() + ")");
  // The decoder must agree with the header it was checked against.
  if (w != i.width || h != i.height) {
    stbi_image_free(data);
    return Status::Error(source + ": the image data does not match its header's size");
  }
  Image out;
  out.width = w;
  out.height = h;
  out.channels = channels ? channels : file_channels;
  out.pixels.assign(data, data + static_cast<size_t>(w) * static_cast<size_t>(h) * static_cast<size_t>(out.channels));
  stbi_image_free(data);
  return out;
}

}  // namespace nl
