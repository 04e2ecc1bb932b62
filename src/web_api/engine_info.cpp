// engineInit / engineInfo: starts the thread pool and says which build runs
// (threads or not, GEMM kernel), so the page can show it.
#include <emscripten/bind.h>

#include <algorithm>

#include "kernels/gemm.h"
#include "web_api/session.h"
#include "web_api/web_result.h"

namespace nl::web {
namespace {

constexpr bool kThreadedBuild =
#if NL_THREADS
    true;
#else
    false;
#endif

// engineInit(threads): threads counts the calling thread; the threaded build
// has a pre-started pool of pthread workers (PTHREAD_POOL_SIZE) to draw on.
val engine_init(int threads) {
  return guarded("engine", [&] {
    Session& s = session();
    s.threads = kThreadedBuild ? std::clamp(threads, 1, 8) : 1;
    s.pool = s.threads > 1 ? std::make_unique<ThreadPool>(s.threads) : nullptr;
    return ok_result();
  });
}

val engine_info() {
  val info = ok_result();
  info.set("threaded", kThreadedBuild);
  info.set("threads", session().threads);
  info.set("gemmKernel", std::string(gemm_f32_kernel_name()));
  return info;
}

}  // namespace

EMSCRIPTEN_BINDINGS(neuronlens_engine) {
  emscripten::function("engineInit", &engine_init);
  emscripten::function("engineInfo", &engine_info);
}

}  // namespace nl::web
