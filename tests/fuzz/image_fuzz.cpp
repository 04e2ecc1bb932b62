// Fuzz target: image decoding and preprocessing (src/image). The bytes are an
// image file; every format stb_image knows is reachable. A decoded image goes
// through both preprocessing paths (the CLI's fit_image_to_model and the web
// app's rgba_to_model_pixels) for a grey and a colour model; a refused file
// must come back as an error, never a crash or an allocation past the limits.
#include <cstdint>
#include <span>

#include "fuzz_input.h"
#include "image/decode.h"
#include "image/model_input.h"
#include "image/preprocess.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  auto info = nl::read_image_info(bytes, "fuzz");
  auto image = nl::decode_image(bytes, "fuzz", 4);
  if (!image.ok()) return 0;
  NL_FUZZ_CHECK(info.ok() && info.value().width == image.value().width && info.value().height == image.value().height);
  const nl::Image& rgba = image.value();
  auto grey = nl::fit_image_to_model(rgba, 28, 28, 1);
  NL_FUZZ_CHECK(grey.ok() && grey.value().pixels.size() == 28 * 28);
  auto colour = nl::fit_image_to_model(rgba, 7, 13, 3);
  NL_FUZZ_CHECK(colour.ok() && colour.value().pixels.size() == 7 * 13 * 3);
  auto web = nl::rgba_to_model_pixels(rgba.pixels, rgba.width, rgba.height, nl::ModelPixelsOptions{28, 28, 1, true});
  NL_FUZZ_CHECK(web.ok() && web.value().size() == 28 * 28);
  return 0;
}
