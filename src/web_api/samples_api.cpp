// loadSamples(count): the sample images shipped with the model (staged bytes:
// images [N, H, W, C] as model pixels, labels [N]); they feed the sample
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
    if (static_cast<int64_t>(labels.size()) != count)
      return error_result("samples: " + std::to_string(labels.size()) + " labels for " + std::to_string(count) + " images");
    for (int64_t i = 0; i < count; ++i)
      if (labels[static_cast<size_t>(i)] >= s.classes())
        return error_result("samples: label " + std::to_string(labels[static_cast<size_t>(i)]) + " of image " +
                            std::to_string(i) + " is not a class of the model (0.." + std::to_string(s.classes() - 1) + ")");
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
    s.samples.labels.assign(labels.begin(), labels.end());
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
