// engineInit / engineInfo: starts the thread pool and says which build runs
// (threads or not, GEMM kernel), so the page can show it. engineMemory: the
// allocator's bytes in use and the heap's size, so tests can see leaks.
#include <emscripten/bind.h>
#include <emscripten/heap.h>
#include <malloc.h>

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

// dlmalloc's own figures: inUse counts the bytes of live allocations (what a
// leak makes grow); heap is the wasm memory, which only ever grows.
val engine_memory() {
  const struct mallinfo figures = mallinfo();
  val memory = ok_result();
  memory.set("inUse", static_cast<double>(figures.uordblks));
  memory.set("free", static_cast<double>(figures.fordblks));
  memory.set("heap", static_cast<double>(emscripten_get_heap_size()));
  return memory;
}

}  // namespace

EMSCRIPTEN_BINDINGS(neuronlens_engine) {
  emscripten::function("engineInit", &engine_init);
  emscripten::function("engineInfo", &engine_info);
  emscripten::function("engineMemory", &engine_memory);
}

}  // namespace nl::web
