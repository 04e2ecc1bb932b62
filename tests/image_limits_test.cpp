// Image limits (src/tensor/limits.h): a header over the pixel limit is refused
// before decoding, and pictures over kMaxPreprocessPixels are shrunk by whole
// blocks before preprocessing. Independent answers: hand-computed block
// averages, and the property that preprocessing a large picture equals
// preprocessing its shrunk copy.
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "image/decode.h"
#include "image/model_input.h"
#include "image/preprocess.h"
#include "image/shrink.h"
#include "tensor/limits.h"

namespace {

// A 24-bit BMP header (no pixel data) claiming width x height.
std::vector<uint8_t> bmp_header(int32_t width, int32_t height) {
  std::vector<uint8_t> b(54 + 4, 0);
  auto u32 = [&](size_t at, uint32_t v) { std::memcpy(&b[at], &v, 4); };
  b[0] = 'B', b[1] = 'M';
  u32(2, static_cast<uint32_t>(b.size()));
  u32(10, 54);
  u32(14, 40);
  u32(18, static_cast<uint32_t>(width));
  u32(22, static_cast<uint32_t>(height));
  b[26] = 1, b[28] = 24;
  return b;
}

nl::Image gradient_picture(int64_t width, int64_t height, int channels) {
  nl::Image img{width, height, channels, {}};
  img.pixels.resize(static_cast<size_t>(width * height * channels));
  for (int64_t y = 0; y < height; ++y)
    for (int64_t x = 0; x < width; ++x)
      for (int c = 0; c < channels; ++c)
        img.pixels[static_cast<size_t>((y * width + x) * channels + c)] =
            static_cast<uint8_t>(c == 3 ? 255 - (x % 64) : (x * 3 + y * 5 + c * 70) % 256);
  return img;
}

}  // namespace

TEST_CASE("image limits: a header over the pixel limit is refused before decoding", "[image][limits]") {
  auto r = nl::decode_image(bmp_header(50000, 50000), "big.bmp");
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("over the limit of " + std::to_string(nl::limits::kMaxImagePixels)));
  // The same header within the limit passes the check (stb_image then reads
  // what pixel data there is).
  auto small = nl::decode_image(bmp_header(3, 2), "small.bmp");
  CHECK((small.ok() || small.status().message().find("limit") == std::string::npos));
}

TEST_CASE("image limits: shrink factors and block averages", "[image][limits]") {
  CHECK(nl::shrink_factor(2048, 2048, 2048 * 2048) == 1);
  CHECK(nl::shrink_factor(2049, 2048, 2048 * 2048) == 2);
  CHECK(nl::shrink_factor(8192, 8192, 2048 * 2048) == 4);
  CHECK(nl::shrink_factor(8192, 1, 2048 * 2048) == 1);

  // 3 x 3 grey, f = 2: blocks 2x2, 1x2, 2x1 and 1x1.
  const std::vector<uint8_t> grey = {10, 20, 30,  //
                                     40, 50, 60,  //
                                     70, 80, 90};
  const nl::Image g = nl::shrink_picture(grey, 3, 3, 1, 4);
  REQUIRE(g.width == 2);
  REQUIRE(g.height == 2);
  REQUIRE(g.channels == 4);
  CHECK(g.at(0, 0, 0) == 30);  // (10 + 20 + 40 + 50) / 4
  CHECK(g.at(0, 1, 0) == 45);  // (30 + 60) / 2
  CHECK(g.at(1, 0, 0) == 75);  // (70 + 80) / 2
  CHECK(g.at(1, 1, 1) == 90);  // grey repeated in R, G, B
  CHECK(g.at(1, 1, 3) == 255);

  // RGBA: composited over black before averaging (a transparent pixel is black).
  const std::vector<uint8_t> rgba = {200, 100, 50, 0, 200, 100, 50, 255};
  const nl::Image c = nl::shrink_picture(rgba, 2, 1, 4, 1);
  REQUIRE(c.width == 1);
  CHECK(c.at(0, 0, 0) == 100);
  CHECK(c.at(0, 0, 1) == 50);
  CHECK(c.at(0, 0, 2) == 25);
}

TEST_CASE("image limits: a picture over kMaxPreprocessPixels is preprocessed as its shrunk copy", "[image][limits]") {
  const nl::Image big = gradient_picture(2100, 2050, 4);
  REQUIRE(big.width * big.height > nl::limits::kMaxPreprocessPixels);
  const nl::Image shrunk = nl::shrink_picture(big.pixels, big.width, big.height, 4, nl::limits::kMaxPreprocessPixels);
  CHECK(shrunk.width == 1050);
  CHECK(shrunk.height == 1025);

  auto direct = nl::fit_image_to_model(big, 28, 28, 1);
  auto via = nl::fit_image_to_model(shrunk, 28, 28, 1);
  REQUIRE(direct.ok());
  REQUIRE(via.ok());
  CHECK(direct.value().pixels == via.value().pixels);

  nl::ModelPixelsOptions options{32, 24, 3, false};
  auto web = nl::rgba_to_model_pixels(big.pixels, big.width, big.height, options);
  auto web_via = nl::rgba_to_model_pixels(shrunk.pixels, shrunk.width, shrunk.height, options);
  REQUIRE(web.ok());
  REQUIRE(web_via.ok());
  CHECK(web.value() == web_via.value());

  // A model input over the side limit is refused, not allocated.
  nl::ModelPixelsOptions huge{nl::limits::kMaxModelInputSide + 1, 1, 1, false};
  CHECK_FALSE(nl::rgba_to_model_pixels(shrunk.pixels, shrunk.width, shrunk.height, huge).ok());
}
