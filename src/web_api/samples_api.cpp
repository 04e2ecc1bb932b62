// loadSamples(count): the sample images shipped with the model (staged bytes:
// images [N, H, W, C] as model pixels, labels [N] as bytes, or as 16-bit
// little-endian values for models with more than 256 classes); they feed the sample
// picker, top images, statistics, clusters and ablation.
#include <emscripten/bind.h>

#include "web_api/byte_staging.h"
#include "web_api/session.h"
#include "web_api/web_result.h"

namespace nl::web {
namespace {

constexpr int64_t kMaxSamples = 20000;

val load_samples(double count_value) {
  return guarded("samples", [&] {
    Session& s = session();
    NL_RETURN_IF_ERROR_VAL(s.require_model());
    const int64_t count = static_cast<int64_t>(count_value);
    if (count < 1 || count > kMaxSamples)
      return error_result("samples: " + std::to_string(count) + " images; expected 1.." + std::to_string(kMaxSamples));
    const int64_t per = s.height() * s.width() * s.channels();
    std::span<const uint8_t> images = staged_bytes(StagingSlot::kSampleImages);
    std::span<const uint8_t> labels = staged_bytes(StagingSlot::kSampleLabels);
    if (static_cast<int64_t>(images.size()) != count * per)
      return error_result("samples: " + std::to_string(images.size()) + " bytes of images for " + std::to_string(count) +
                          " images of " + std::to_string(per) + " values");
    // One byte per label, or two (little-endian) for models with more than 256 classes.
    const int64_t label_bytes = static_cast<int64_t>(labels.size()) == count ? 1 : 2;
    if (static_cast<int64_t>(labels.size()) != count * label_bytes)
      return error_result("samples: " + std::to_string(labels.size()) + " bytes of labels for " + std::to_string(count) +
                          " images (one or two bytes each)");
    std::vector<int> label_values(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) {
      const size_t at = static_cast<size_t>(i * label_bytes);
      const int label = label_bytes == 1 ? labels[at] : labels[at] | (labels[at + 1] << 8);
      if (label >= s.classes())
        return error_result("samples: label " + std::to_string(label) + " of image " + std::to_string(i) +
                            " is not a class of the model (0.." + std::to_string(s.classes() - 1) + ")");
      label_values[static_cast<size_t>(i)] = label;
    }
    // Background jobs (statistics, ablation) index the old samples: stop them.
    s.jobs.erase("bg");
    s.statistics.clear();
    s.samples.images.resize(Shape{count, s.height(), s.width(), s.channels()});
    const PixelNormalization n = s.normalization();
    for (int64_t i = 0; i < count; ++i) {
      Tensor one = model_pixels_to_input(images.subspan(static_cast<size_t>(i * per), static_cast<size_t>(per)), s.height(),
                                         s.width(), s.channels(), n);
      std::copy_n(one.data(), per, s.samples.images.data() + i * per);
    }
    s.samples.labels = std::move(label_values);
    s.sample_pixels.assign(images.begin(), images.end());
    release_staged(StagingSlot::kSampleImages);
    release_staged(StagingSlot::kSampleLabels);
    val result = ok_result();
    result.set("count", static_cast<double>(count));
    return result;
  });
}

}  // namespace

EMSCRIPTEN_BINDINGS(neuronlens_samples) { emscripten::function("loadSamples", &load_samples); }

}  // namespace nl::web
