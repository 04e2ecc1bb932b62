// PNG encoding to bytes in memory through stb_image_write (Debian's
// libstb-dev), for the CLI's figures and the report's inlined images.
#pragma once
#include <cstdint>
#include <vector>

#include "image/image.h"
#include "tensor/status.h"

namespace nl {

// 1 to 4 channels (grey, grey + alpha, RGB, RGBA). Fails on an empty or
// inconsistent image.
Result<std::vector<uint8_t>> encode_png(const Image& image);

}  // namespace nl
