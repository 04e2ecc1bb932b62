// From RGBA pictures to model pixels and input tensors (src/image/model_input.h),
// against hand-computed cases.
#include <catch2/catch.hpp>

#include "image/model_input.h"

namespace {

std::vector<uint8_t> solid_rgba(int64_t w, int64_t h, uint8_t r, uint8_t g, uint8_t b, uint8_t a = 255) {
  std::vector<uint8_t> px(static_cast<size_t>(w * h * 4));
  for (int64_t i = 0; i < w * h; ++i) {
    px[i * 4] = r; px[i * 4 + 1] = g; px[i * 4 + 2] = b; px[i * 4 + 3] = a;
  }
  return px;
}

}  // namespace

TEST_CASE("model pixels: luma, inversion, alpha over black", "[image]") {
  nl::ModelPixelsOptions o{2, 2, 1, false};
  auto grey = nl::rgba_to_model_pixels(solid_rgba(2, 2, 200, 100, 50), 2, 2, o);
  REQUIRE(grey.ok());
  // 0.299 * 200 + 0.587 * 100 + 0.114 * 50 = 124.2
  CHECK(grey.value() == std::vector<uint8_t>{124, 124, 124, 124});
  o.invert = true;
  CHECK(nl::rgba_to_model_pixels(solid_rgba(2, 2, 200, 100, 50), 2, 2, o).value()[0] == 131);
  o.invert = false;
  // Half-transparent white over black is mid grey.
  CHECK(nl::rgba_to_model_pixels(solid_rgba(2, 2, 255, 255, 255, 128), 2, 2, o).value()[0] == 128);
  nl::ModelPixelsOptions rgb{1, 1, 3, false};
  CHECK(nl::rgba_to_model_pixels(solid_rgba(1, 1, 10, 20, 30), 1, 1, rgb).value() == std::vector<uint8_t>{10, 20, 30});
}

TEST_CASE("model pixels: area average when shrinking, centre crop to the aspect ratio", "[image]") {
  // 4 x 2 picture, left half white, right half black; model 1 x 1 crops the
  // centre 2 x 2 (one white and one black column): mean 127.5 rounds to 128.
  std::vector<uint8_t> px = solid_rgba(4, 2, 0, 0, 0);
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 2; ++x)
      for (int k = 0; k < 3; ++k) px[(y * 4 + x) * 4 + k] = 255;
  nl::ModelPixelsOptions o{1, 1, 1, false};
  CHECK(nl::rgba_to_model_pixels(px, 4, 2, o).value()[0] == 128);
  // 3 x 3 to 2 x 2: each output pixel covers 1.5 x 1.5 source pixels. A
  // white centre pixel covers 0.25 of each output pixel: 255 / 2.25 * 0.25 = 28.3.
  std::vector<uint8_t> dot = solid_rgba(3, 3, 0, 0, 0);
  for (int k = 0; k < 3; ++k) dot[(1 * 3 + 1) * 4 + k] = 255;
  nl::ModelPixelsOptions two{2, 2, 1, false};
  CHECK(nl::rgba_to_model_pixels(dot, 3, 3, two).value() == std::vector<uint8_t>{28, 28, 28, 28});
}

TEST_CASE("model pixels: bilinear when enlarging", "[image]") {
  // 2 x 1 (black, white) to 4 x 1: centres at -0.25, 0.25, 0.75, 1.25 clamp to 0, .25, .75, 1.
  std::vector<uint8_t> px = solid_rgba(2, 1, 0, 0, 0);
  for (int k = 0; k < 3; ++k) px[4 + k] = 255;
  nl::ModelPixelsOptions o{1, 4, 1, false};
  auto out = nl::rgba_to_model_pixels(px, 2, 1, o);
  REQUIRE(out.ok());
  CHECK(out.value() == std::vector<uint8_t>{0, 64, 191, 255});
}

TEST_CASE("model pixels: bad sizes are errors naming the size", "[image]") {
  nl::ModelPixelsOptions o;
  auto empty = nl::rgba_to_model_pixels({}, 0, 0, o);
  CHECK_FALSE(empty.ok());
  CHECK_THAT(empty.status().message(), Catch::Contains("empty"));
  auto huge = nl::rgba_to_model_pixels({}, 20000, 20000, o);
  CHECK_FALSE(huge.ok());
  CHECK_THAT(huge.status().message(), Catch::Contains("20000 x 20000"));
  auto short_buffer = nl::rgba_to_model_pixels(solid_rgba(2, 2, 0, 0, 0), 3, 3, o);
  CHECK_FALSE(short_buffer.ok());
}

TEST_CASE("model input: (p * scale - mean) / std per channel", "[image]") {
  std::vector<uint8_t> px{0, 255, 51, 102, 153, 204};
  nl::PixelNormalization n{1.0f / 255.0f, {0.5f, 0.0f, 0.2f}, {0.5f, 1.0f, 2.0f}};
  nl::Tensor x = nl::model_pixels_to_input(px, 1, 2, 3, n);
  CHECK(x.shape() == nl::Shape({1, 1, 2, 3}));
  CHECK(x[0] == Approx(-1.0f));
  CHECK(x[1] == Approx(1.0f));
  CHECK(x[2] == Approx((0.2f - 0.2f) / 2.0f).margin(1e-6));
  CHECK(x[3] == Approx((0.4f - 0.5f) / 0.5f));
  auto rgba = nl::model_pixels_to_rgba(std::vector<uint8_t>{7}, 1, 1, 1);
  CHECK(rgba == std::vector<uint8_t>{7, 7, 7, 255});
}
