// The Embind surface the web UI calls. For now: what the engine build is.
#include <emscripten/bind.h>

#include <string>

#include "kernels/gemm.h"

namespace {

std::string engine_info() {
  std::string threads =
#if NL_THREADS
      "true";
#else
      "false";
#endif
  return std::string("{\"gemm_kernel\":\"") + nl::gemm_f32_kernel_name() + "\",\"threads\":" + threads + "}";
}

}  // namespace

EMSCRIPTEN_BINDINGS(neuronlens) { emscripten::function("engineInfo", &engine_info); }
