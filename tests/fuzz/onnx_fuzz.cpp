// Fuzz target: the ONNX importer (src/model/onnx): protobuf wire reading,
// graph checks, constant folding and lowering to the engine's graph. The
// bytes are an .onnx file, imported with the default configuration and with
// the grey28 preset (which fixes dynamic input sizes). An imported model
// must serialize to the model format and load back.
#include <cstdint>
#include <span>

#include "fuzz_input.h"
#include "model/onnx/onnx_import.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  static const nl::ImportConfig kDefault;
  static const nl::ImportConfig kGrey28 = nl::import_config_preset("grey28").value();
  for (const nl::ImportConfig* config : {&kDefault, &kGrey28}) {
    auto imported = nl::import_onnx(bytes, *config, "fuzz.onnx");
    if (!imported.ok()) continue;
    auto saved = nl::serialize_model(imported.value().model);
    NL_FUZZ_CHECK(saved.ok());
  }
  return 0;
}
