// ThreadPool: a fixed set of worker threads (std::thread natively, pthreads in
// wasm) that split loops across cores. Starting threads per call gives erratic
// speed-ups, so workers live as long as the pool.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

namespace nl {

class ThreadPool {
 public:
  // How long an idle thread polls for the next task before it sleeps (see
  // thread_pool.cpp). Environment NL_POOL_SPIN_US overrides it, for measuring.
  static std::chrono::microseconds default_spin();

  // `threads` counts the calling thread: ThreadPool(1) runs everything inline.
  // `spin`: how long idle threads poll before sleeping (0: sleep at once).
  explicit ThreadPool(int threads, std::chrono::microseconds spin = default_spin());
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return threads_; }

  // Runs fn(begin, end) over disjoint chunks covering [0, n), using every
  // thread, and returns when all chunks are done. Chunk boundaries depend only
  // on n and the thread count, so results are deterministic for a given pool
  // size; which thread runs a chunk depends on timing (the caller takes the
  // chunks of a late worker). Not reentrant: fn must not call parallel_for on
  // the same pool.
  void parallel_for(int64_t n, const std::function<void(int64_t begin, int64_t end)>& fn);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int threads_ = 1;
};

}  // namespace nl
