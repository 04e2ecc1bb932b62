// Image decoding from bytes in memory (PNG, JPEG, BMP, GIF's first frame, TGA,
// PSD, PNM) through stb_image (Debian's libstb-dev). The header's dimensions
// are read first and checked against a pixel limit, so a small hostile file
// cannot make the decoder allocate gigabytes; errors name the source and
// stb_image's reason. Memory only: no file access, so the same code serves
// the CLI (which reads the file) and the web page (which passes bytes).
#pragma once
#include <cstdint>
#include <span>
#include <string>

#include "image/image.h"
#include "tensor/status.h"
#include "tensor/limits.h"

namespace nl {

// Largest image decoded, in pixels (tensor/limits.h).
inline constexpr int64_t kMaxDecodedPixels = limits::kMaxImagePixels;

struct ImageInfo {
  int64_t width = 0, height = 0;
  int channels = 0;  // as stored in the file: 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA
};

// Reads only the header. `source` names the bytes in errors (a file name).
Result<ImageInfo> read_image_info(std::span<const uint8_t> bytes, const std::string& source);

// Decodes to `channels` channels (1 grey by luma, 3 RGB, 4 RGBA; 0 keeps the
// file's own). Refuses images of more than max_pixels pixels before decoding.
Result<Image> decode_image(std::span<const uint8_t> bytes, const std::string& source, int channels = 0,
                           int64_t max_pixels = kMaxDecodedPixels);

}  // namespace nl
