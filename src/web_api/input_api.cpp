// The current input image: from a decoded picture (RGBA, any size), from
// model pixels (a share link stores those), or from a sample image; and the
// prediction for it (softmax over the class logits).
#include <emscripten/bind.h>

#include <algorithm>
#include <cmath>

#include "web_api/byte_staging.h"
#include "web_api/session.h"
#include "web_api/web_result.h"

namespace nl::web {
namespace {

val use_model_pixels(Session& s, std::vector<uint8_t> pixels) {
  s.input_pixels = std::move(pixels);
  s.input = model_pixels_to_input(s.input_pixels, s.height(), s.width(), s.channels(), s.normalization());
  s.has_input = true;
  s.executor_holds_input = false;
  val result = ok_result();
  result.set("width", static_cast<double>(s.width()));
  result.set("height", static_cast<double>(s.height()));
  result.set("channels", s.channels());
  result.set("pixels", byte_array(s.input_pixels));
  result.set("rgba", byte_array(model_pixels_to_rgba(s.input_pixels, s.height(), s.width(), s.channels())));
  return result;
}

// setInputRGBA(width, height, invert): the staged RGBA picture, cropped,
// resized and converted as the model's preprocessing says; `invert` flips
// the model's own inversion setting (for dark-on-light photos).
val set_input_rgba(double width, double height, bool invert) {
  return guarded("image", [&] {
    Session& s = session();
    NL_RETURN_IF_ERROR_VAL(s.require_model());
    ModelPixelsOptions o{s.height(), s.width(), s.channels(), s.model->preprocessing.invert != invert};
    auto pixels = rgba_to_model_pixels(staged_bytes(StagingSlot::kPixels), static_cast<int64_t>(width),
                                       static_cast<int64_t>(height), o);
    release_staged(StagingSlot::kPixels);
    if (!pixels.ok()) return error_result(pixels.status().message());
    return use_model_pixels(s, std::move(pixels.value()));
  });
}

// pictureToPixels(width, height, invert): the staged RGBA picture as model
// pixels, without touching the input (for a folder of labelled images).
val picture_to_pixels(double width, double height, bool invert) {
  return guarded("image", [&] {
    Session& s = session();
    NL_RETURN_IF_ERROR_VAL(s.require_model());
    ModelPixelsOptions o{s.height(), s.width(), s.channels(), s.model->preprocessing.invert != invert};
    auto pixels = rgba_to_model_pixels(staged_bytes(StagingSlot::kPixels), static_cast<int64_t>(width),
                                       static_cast<int64_t>(height), o);
    release_staged(StagingSlot::kPixels);
    if (!pixels.ok()) return error_result(pixels.status().message());
    val result = ok_result();
    result.set("pixels", byte_array(pixels.value()));
    return result;
  });
}

// setInputPixels(): the staged bytes are model pixels [H, W, C].
val set_input_pixels() {
  return guarded("image", [&] {
    Session& s = session();
    NL_RETURN_IF_ERROR_VAL(s.require_model());
    std::span<const uint8_t> bytes = staged_bytes(StagingSlot::kPixels);
    const size_t expected = static_cast<size_t>(s.height() * s.width() * s.channels());
    if (bytes.size() != expected)
      return error_result("image: " + std::to_string(bytes.size()) + " pixel values given, the model takes " +
                          std::to_string(expected));
    std::vector<uint8_t> pixels(bytes.begin(), bytes.end());
    release_staged(StagingSlot::kPixels);
    return use_model_pixels(s, std::move(pixels));
  });
}

val set_input_sample(int index) {
  return guarded("image", [&] {
    Session& s = session();
    NL_RETURN_IF_ERROR_VAL(s.require_samples());
    if (index < 0 || index >= s.samples.size())
      return error_result("sample " + std::to_string(index) + " does not exist (0.." + std::to_string(s.samples.size() - 1) + ")");
    const size_t per = static_cast<size_t>(s.height() * s.width() * s.channels());
    std::vector<uint8_t> pixels(s.sample_pixels.begin() + static_cast<std::ptrdiff_t>(index * per),
                                s.sample_pixels.begin() + static_cast<std::ptrdiff_t>((index + 1) * per));
    return use_model_pixels(s, std::move(pixels));
  });
}

// predict(): {probabilities, logits (Float32Array, one per class), top}
val predict() {
  return guarded("prediction", [&] {
    Session& s = session();
    NL_RETURN_IF_ERROR_VAL(s.forward_input());
    const Tensor& logits = s.executor->value(s.logits);
    const int64_t classes = logits.elements();
    std::vector<float> probabilities(static_cast<size_t>(classes));
    float top = logits[0];
    for (int64_t c = 0; c < classes; ++c) top = std::max(top, logits[c]);
    double sum = 0;
    for (int64_t c = 0; c < classes; ++c) sum += std::exp(static_cast<double>(logits[c] - top));
    int best = 0;
    for (int64_t c = 0; c < classes; ++c) {
      probabilities[static_cast<size_t>(c)] = static_cast<float>(std::exp(static_cast<double>(logits[c] - top)) / sum);
      if (logits[c] > logits[best]) best = static_cast<int>(c);
    }
    val result = ok_result();
    result.set("probabilities", float_array(probabilities));
    result.set("logits", float_array(logits.data(), static_cast<size_t>(classes)));
    result.set("top", best);
    return result;
  });
}

}  // namespace

EMSCRIPTEN_BINDINGS(neuronlens_input) {
  emscripten::function("setInputRGBA", &set_input_rgba);
  emscripten::function("setInputPixels", &set_input_pixels);
  emscripten::function("pictureToPixels", &picture_to_pixels);
  emscripten::function("setInputSample", &set_input_sample);
  emscripten::function("predict", &predict);
}

}  // namespace nl::web
