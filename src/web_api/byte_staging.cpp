#include "web_api/byte_staging.h"

#include <emscripten/bind.h>

#include <string>

#include "web_api/web_result.h"

namespace nl::web {
namespace {

std::vector<uint8_t>& slot_buffer(int slot) {
  static std::vector<uint8_t> buffers[kStagingSlots];
  return buffers[slot];
}

// stagingBuffer(slot, bytes) -> {ok, view: Uint8Array over engine memory}
val staging_buffer(int slot, double bytes) {
  return guarded("staging", [&] {
    if (slot < 0 || slot >= kStagingSlots) return error_result("staging: no slot " + std::to_string(slot));
    if (!(bytes >= 0) || bytes > static_cast<double>(kMaxStagedBytes))
      return error_result("staging: " + std::to_string(static_cast<int64_t>(bytes)) + " bytes is over the limit of " +
                          std::to_string(kMaxStagedBytes) + " bytes");
    std::vector<uint8_t>& buffer = slot_buffer(slot);
    buffer.clear();
    buffer.shrink_to_fit();
    buffer.resize(static_cast<size_t>(bytes));
    val result = ok_result();
    result.set("view", val(emscripten::typed_memory_view(buffer.size(), buffer.data())));
    return result;
  });
}

}  // namespace

std::span<const uint8_t> staged_bytes(StagingSlot slot) { return slot_buffer(static_cast<int>(slot)); }

void release_staged(StagingSlot slot) {
  std::vector<uint8_t>& buffer = slot_buffer(static_cast<int>(slot));
  buffer.clear();
  buffer.shrink_to_fit();
}

EMSCRIPTEN_BINDINGS(neuronlens_staging) { emscripten::function("stagingBuffer", &staging_buffer); }

}  // namespace nl::web
