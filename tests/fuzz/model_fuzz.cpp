// Fuzz target: the model loader (src/model: model.json + weights.safetensors).
// Input: the two files in fuzz_input.h's two-file form. The safetensors parser
// alone also sees the second file, so it is reached even when model.json is
// broken. A model that loads must serialize and load back.
#include <cstdint>
#include <span>

#include "fuzz_input.h"
#include "model/model_file.h"
#include "model/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto files = nl::fuzz::split_two_files(data, size);
  (void)nl::parse_safetensors(files.second, "weights.safetensors");
  auto model = nl::parse_model(files.first, "model.json", files.second, "weights.safetensors");
  if (!model.ok()) return 0;
  auto saved = nl::serialize_model(model.value());  // parses its own output again
  NL_FUZZ_CHECK(saved.ok());
  return 0;
}
