#include "kernels/thread_pool.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace nl {

// Workers wait for a new "generation" of work, run their fixed chunk, and
// report back. Chunk i of T goes to thread i, so the split is deterministic.
struct ThreadPool::Impl {
  std::mutex mutex;
  std::condition_variable work_ready;
  std::condition_variable work_done;
  std::vector<std::thread> workers;
  const std::function<void(int64_t, int64_t)>* fn = nullptr;
  int64_t n = 0;
  int threads = 1;
  uint64_t generation = 0;
  int pending = 0;
  bool stopping = false;

  void run_chunk(int index) {
    const int64_t begin = n * index / threads;
    const int64_t end = n * (index + 1) / threads;
    if (begin < end) (*fn)(begin, end);
  }

  void worker_loop(int index) {
    uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex);
        work_ready.wait(lock, [&] { return stopping || generation != seen; });
        if (stopping) return;
        seen = generation;
      }
      run_chunk(index);
      std::lock_guard<std::mutex> lock(mutex);
      if (--pending == 0) work_done.notify_one();
    }
  }
};

ThreadPool::ThreadPool(int threads) : impl_(std::make_unique<Impl>()), threads_(std::max(1, threads)) {
#if NL_THREADS
  impl_->threads = threads_;
  for (int i = 1; i < threads_; ++i) impl_->workers.emplace_back([this, i] { impl_->worker_loop(i); });
#else
  threads_ = 1;
  impl_->threads = 1;
#endif
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->work_ready.notify_all();
  for (std::thread& t : impl_->workers) t.join();
}

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (threads_ == 1 || n == 1) {
    fn(0, n);
    return;
  }
  Impl& s = *impl_;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    s.fn = &fn;
    s.n = n;
    s.pending = threads_ - 1;
    ++s.generation;
  }
  s.work_ready.notify_all();
  s.run_chunk(0);
  std::unique_lock<std::mutex> lock(s.mutex);
  s.work_done.wait(lock, [&] { return s.pending == 0; });
  s.fn = nullptr;
}

}  // namespace nl
