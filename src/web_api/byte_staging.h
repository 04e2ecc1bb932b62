// Byte staging: how files reach the engine without a copy through Embind.
// JavaScript asks for a buffer of n bytes in a slot, gets a Uint8Array view of
// engine memory, fills it with set(), and then calls the API that reads the
// slot (a model's two files, an .onnx file and its config, a picture's
// pixels, the sample images). The view
// is valid only until the next allocation, so callers fill it at once.
#pragma once
#include <cstdint>
#include <span>
#include <vector>
#include "tensor/limits.h"

namespace nl::web {

enum class StagingSlot : int {
  kModelJson = 0, kModelWeights = 1, kPixels = 2, kSampleImages = 3, kSampleLabels = 4,
  kOnnxModel = 5, kImportConfig = 6  // an .onnx file and its sidecar JSON (importOnnx)
};
inline constexpr int kStagingSlots = 7;
// Largest staged file: the model format's weight-file limit.
inline constexpr uint64_t kMaxStagedBytes = limits::kMaxWeightsFileBytes;

std::span<const uint8_t> staged_bytes(StagingSlot slot);
void release_staged(StagingSlot slot);

}  // namespace nl::web
