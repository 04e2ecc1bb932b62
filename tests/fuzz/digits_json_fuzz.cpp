// Fuzz target: the digit-JSON dataset reader (src/data/mnist_digits.h), one
// file {"data": [...]} of 784 values in [0, 1] per digit.
#include <cstdint>
#include <span>

#include "data/mnist_digits.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto digits = nl::parse_mnist_digits_json(std::span<const uint8_t>(data, size), "digits.json");
  if (!digits.ok()) return 0;
  const nl::Tensor& t = digits.value();
  NL_FUZZ_CHECK(t.shape().rank() == 4 && t.shape()[1] == 28 && t.shape()[2] == 28 && t.shape()[3] == 1);
  for (int64_t i = 0; i < t.elements(); ++i) NL_FUZZ_CHECK(t[i] >= 0.0f && t[i] <= 1.0f);
  return 0;
}
