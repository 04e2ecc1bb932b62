// Fuzz target: the IDX dataset reader (src/data/idx_file.h). Input: images
// and labels files in fuzz_input.h's two-file form; each file is also parsed
// alone. A dataset that decodes must have as many labels as images.
#include <cstdint>
#include <span>

#include "data/idx_file.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto files = nl::fuzz::split_two_files(data, size);
  auto images = nl::parse_idx_u8(files.first, "images.idx");
  if (images.ok()) {
    int64_t product = 1;
    for (int64_t d : images.value().dims) product *= d;
    NL_FUZZ_CHECK(static_cast<int64_t>(images.value().elements.size()) == product);
  }
  (void)nl::parse_idx_u8(files.second, "labels.idx");
  auto dataset = nl::decode_idx_dataset(files.first, "images.idx", files.second, "labels.idx",
                                        {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"});
  if (dataset.ok()) NL_FUZZ_CHECK(dataset.value().images.shape()[0] == dataset.value().size());
  return 0;
}
