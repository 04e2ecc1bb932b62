// src/image: decoding (through a PNG we encode ourselves), the pixel limit
// checked before decoding, truncated and garbage files, resizing (area and
// bilinear against hand-computed values), preprocessing against the model
// format's formula, and colour maps.
#include <catch2/catch.hpp>

#include "image/colormap.h"
#include "image/decode.h"
#include "image/model_input.h"
#include "image/png_encode.h"
#include "image/preprocess.h"
#include "image/resize.h"

namespace {

nl::Image gradient_image(int64_t w, int64_t h, int channels) {
  nl::Image im;
  im.width = w;
  im.height = h;
  im.channels = channels;
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      for (int c = 0; c < channels; ++c) im.pixels.push_back(static_cast<uint8_t>((x * 17 + y * 31 + c * 50) % 256));
  return im;
}

}  // namespace

TEST_CASE("a PNG we encode decodes back to the same pixels", "[image]") {
  for (int channels : {1, 2, 3, 4}) {
    const nl::Image im = gradient_image(7, 5, channels);
    auto png = nl::encode_png(im);
    REQUIRE(png.ok());
    auto info = nl::read_image_info(png.value(), "t.png");
    REQUIRE(info.ok());
    CHECK(info.value().width == 7);
    CHECK(info.value().height == 5);
    CHECK(info.value().channels == channels);
    auto back = nl::decode_image(png.value(), "t.png");
    REQUIRE(back.ok());
    CHECK(back.value().channels == channels);
    CHECK(back.value().pixels == im.pixels);
  }
}

TEST_CASE("decoding converts channels: RGB to grey by luma, grey to RGBA", "[image]") {
  nl::Image rgb;
  rgb.width = 1;
  rgb.height = 1;
  rgb.channels = 3;
  rgb.pixels = {200, 100, 50};
  auto png = nl::encode_png(rgb);
  REQUIRE(png.ok());
  auto grey = nl::decode_image(png.value(), "t.png", 1);
  REQUIRE(grey.ok());
  REQUIRE(grey.value().channels == 1);
  // stb_image's integer luma: (77 r + 150 g + 29 b) >> 8
  CHECK(grey.value().pixels[0] == (77 * 200 + 150 * 100 + 29 * 50) >> 8);
  auto rgba = nl::decode_image(png.value(), "t.png", 4);
  REQUIRE(rgba.ok());
  CHECK(rgba.value().pixels == std::vector<uint8_t>{200, 100, 50, 255});
}

TEST_CASE("bad image files give errors naming the source", "[image]") {
  auto png = nl::encode_png(gradient_image(32, 32, 3));
  REQUIRE(png.ok());
  SECTION("truncated") {
    std::vector<uint8_t> cut(png.value().begin(), png.value().begin() + static_cast<long>(png.value().size() / 2));
    auto r = nl::decode_image(cut, "cut.png");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("cut.png") != std::string::npos);
  }
  SECTION("header only") {
    std::vector<uint8_t> cut(png.value().begin(), png.value().begin() + 40);
    CHECK_FALSE(nl::decode_image(cut, "h.png").ok());
  }
  SECTION("garbage and empty") {
    const std::vector<uint8_t> junk = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    auto r = nl::decode_image(junk, "junk.bin");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("junk.bin") != std::string::npos);
    CHECK_FALSE(nl::decode_image(std::vector<uint8_t>{}, "empty").ok());
  }
  SECTION("over the pixel limit, refused from the header") {
    auto r = nl::decode_image(png.value(), "big.png", 0, /*max_pixels=*/32 * 32 - 1);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("over the limit") != std::string::npos);
    CHECK(nl::decode_image(png.value(), "big.png", 0, 32 * 32).ok());
  }
  SECTION("a header claiming a huge image is refused before decoding") {
    std::vector<uint8_t> forged = png.value();
    // IHDR width and height are big-endian u32 at bytes 16..23: 10000 x 10000
    // (stb_image itself refuses headers over 2^30 bytes; ours is the lower limit).
    const uint8_t side[4] = {0x00, 0x00, 0x27, 0x10};
    for (int i = 0; i < 4; ++i) forged[static_cast<size_t>(16 + i)] = forged[static_cast<size_t>(20 + i)] = side[i];
    auto r = nl::decode_image(forged, "forged.png");
    REQUIRE_FALSE(r.ok());
    INFO(r.status().message());
    CHECK(r.status().message().find("over the limit") != std::string::npos);
  }
}

TEST_CASE("PNG encoding refuses inconsistent images", "[image]") {
  nl::Image im = gradient_image(4, 4, 3);
  im.pixels.pop_back();
  CHECK_FALSE(nl::encode_png(im).ok());
  CHECK_FALSE(nl::encode_png(nl::Image{}).ok());
}

TEST_CASE("area resize averages blocks, bilinear matches hand-computed values", "[image]") {
  // 4x2 grey -> 2x1 by area: each output averages a 2x2 block.
  const std::vector<float> in = {0, 10, 20, 30, 40, 50, 60, 70};
  auto area = nl::resize_plane(in, 4, 2, 1, 2, 1, nl::ResizeFilter::kArea);
  REQUIRE(area.size() == 2);
  CHECK(area[0] == Approx((0 + 10 + 40 + 50) / 4.0));
  CHECK(area[1] == Approx((20 + 30 + 60 + 70) / 4.0));
  // 3 -> 2 by area: fractional coverage, [0, 1.5) and [1.5, 3).
  auto frac = nl::resize_plane({0, 30, 60}, 3, 1, 1, 2, 1, nl::ResizeFilter::kArea);
  CHECK(frac[0] == Approx((0 * 1.0 + 30 * 0.5) / 1.5));
  CHECK(frac[1] == Approx((30 * 0.5 + 60 * 1.0) / 1.5));
  // 2 -> 4 bilinear, half-pixel centres: source coords -0.25 (clamped), 0.25, 0.75, 1.25 (clamped).
  auto up = nl::resize_plane({0, 100}, 2, 1, 1, 4, 1, nl::ResizeFilter::kBilinear);
  REQUIRE(up.size() == 4);
  CHECK(up[0] == Approx(0));
  CHECK(up[1] == Approx(25));
  CHECK(up[2] == Approx(75));
  CHECK(up[3] == Approx(100));
  // Same size: identity for both filters.
  const nl::Image im = gradient_image(5, 3, 3);
  for (auto f : {nl::ResizeFilter::kArea, nl::ResizeFilter::kBilinear, nl::ResizeFilter::kAuto}) {
    auto same = nl::resize_image(im, 5, 3, f);
    REQUIRE(same.ok());
    CHECK(same.value().pixels == im.pixels);
  }
  CHECK_FALSE(nl::resize_image(im, 0, 3).ok());
}

TEST_CASE("preprocessing follows the model format's formula and inverts back", "[image]") {
  nl::Preprocessing pre;
  pre.colour = nl::Preprocessing::Colour::kGrey;
  pre.invert = true;
  pre.mean = {0.25f};
  pre.std = {0.5f};
  // A 56x28 RGBA picture: centre-cropped to 28x28, then area-halved to 14x14.
  nl::Image rgba;
  rgba.width = 56;
  rgba.height = 28;
  rgba.channels = 4;
  for (int64_t y = 0; y < 28; ++y)
    for (int64_t x = 0; x < 56; ++x) {
      const uint8_t v = x >= 14 && x < 42 ? 200 : 0;  // the centre square is bright
      rgba.pixels.insert(rgba.pixels.end(), {v, v, v, 255});
    }
  auto x = nl::image_to_model_input(rgba, pre, nl::Shape{1, 14, 14, 1});
  REQUIRE(x.ok());
  REQUIRE(x.value().shape() == nl::Shape{1, 14, 14, 1});
  const float expected = ((255.0f - 200.0f) / 255.0f - 0.25f) / 0.5f;
  for (int64_t i = 0; i < x.value().elements(); ++i) CHECK(x.value()[i] == Approx(expected));
  const nl::Image back = nl::model_input_to_image(x.value(), 0, pre);
  CHECK(back.width == 14);
  CHECK(back.pixels[0] == 200);
  // Transparent pixels are background (black).
  for (size_t i = 3; i < rgba.pixels.size(); i += 4) rgba.pixels[i] = 0;
  auto clear = nl::image_to_model_input(rgba, pre, nl::Shape{1, 14, 14, 1});
  REQUIRE(clear.ok());
  CHECK(clear.value()[0] == Approx((1.0f - 0.25f) / 0.5f));
  // A channel mismatch is an error.
  pre.colour = nl::Preprocessing::Colour::kRgb;
  CHECK_FALSE(nl::normalize_model_pixels(back, pre).ok());
}

TEST_CASE("colour maps: viridis ends, diverging white at zero, overlays", "[image]") {
  CHECK(nl::colormap_rgb(nl::ColorMap::kViridis, 0) == std::array<uint8_t, 3>{68, 1, 84});
  CHECK(nl::colormap_rgb(nl::ColorMap::kViridis, 1) == std::array<uint8_t, 3>{253, 231, 37});
  CHECK(nl::colormap_rgb(nl::ColorMap::kDiverging, 0.5) == std::array<uint8_t, 3>{247, 247, 247});
  // Viridis gets lighter monotonically (luma).
  double last = -1;
  for (int i = 0; i <= 20; ++i) {
    const auto c = nl::colormap_rgb(nl::ColorMap::kViridis, i / 20.0);
    const double luma = 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
    CHECK(luma > last);
    last = luma;
  }
  const std::vector<float> signed_map = {-2, 0, 1};
  const nl::Image d = nl::colorize(signed_map, 3, 1, nl::ColorMap::kDiverging);
  CHECK(d.pixels[3] == 247);  // zero is white with a symmetric range
  const nl::Image v = nl::colorize(signed_map, 3, 1, nl::ColorMap::kViridis);
  CHECK(v.pixels[0] == 68);
  nl::Image grey;
  grey.width = 2;
  grey.height = 1;
  grey.channels = 1;
  grey.pixels = {100, 100};
  const nl::Image o = nl::overlay_heatmap(grey, std::vector<float>{0, 1}, 0.5);
  CHECK(o.pixels[0] == 100);  // no heat: the picture
  CHECK(o.pixels[3] == static_cast<uint8_t>(std::lround(0.5 * 100 + 0.5 * 253)));
  const nl::Image big = nl::upscale_nearest(grey, 3);
  CHECK(big.width == 6);
  CHECK(big.pixels.size() == 18);
}

TEST_CASE("fitting a picture to the model agrees with the web app's model pixels", "[image]") {
  for (auto size : {std::pair<int64_t, int64_t>{50, 37}, {28, 28}, {13, 9}, {300, 120}}) {
    nl::Image rgba = gradient_image(size.first, size.second, 4);
    for (size_t i = 3; i < rgba.pixels.size(); i += 8) rgba.pixels[i] = 128;  // some transparency
    for (int channels : {1, 3}) {
      auto ours = nl::fit_image_to_model(rgba, 28, 28, channels);
      nl::ModelPixelsOptions o;
      o.channels = channels;
      auto theirs = nl::rgba_to_model_pixels(rgba.pixels, rgba.width, rgba.height, o);
      REQUIRE((ours.ok() && theirs.ok()));
      REQUIRE(ours.value().pixels.size() == theirs.value().size());
      int64_t differ = 0;
      for (size_t i = 0; i < theirs.value().size(); ++i) {
        CHECK(std::abs(int(ours.value().pixels[i]) - int(theirs.value()[i])) <= 1);  // rounding at .5 only
        differ += ours.value().pixels[i] != theirs.value()[i];
      }
      CHECK(differ * 100 <= static_cast<int64_t>(theirs.value().size()));
    }
  }
}
