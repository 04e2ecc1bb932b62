#include "kernels/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace nl {

namespace {

// How long a waiting thread polls before it sleeps. A model's layers call
// parallel_for back to back with short single-threaded gaps between them; a
// worker that went to sleep in such a gap must be woken by the kernel, and on
// a busy machine it then waits for a time slice (measured: ResNet-18 with 2
// threads beside a nice-19 process ran at the 1-thread speed). Polling costs at
// most this much CPU after the last call of a burst.
constexpr auto kSpinBudget = std::chrono::microseconds(200);

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Polls done() until it holds (true) or the budget is spent (false).
template <class Done>
bool spin_until(Done done) {
  const auto start = std::chrono::steady_clock::now();
  for (unsigned i = 1;; ++i) {
    if (done()) return true;
    cpu_relax();
    // Reading the clock costs more than a poll: look at it now and then.
    if ((i & 255u) == 0 && std::chrono::steady_clock::now() - start > kSpinBudget) return done();
  }
}

}  // namespace

// Workers wait for a new "generation" of work, run their fixed chunk, and
// report back. Chunk i of T goes to thread i, so the split is deterministic.
// Waiting is a short poll of an atomic, then a condition variable; the
// counters are atomics so the poll needs no lock, and every change a sleeper
// waits for is made (or followed by a notify made) under the mutex, so no
// wake-up is lost.
struct ThreadPool::Impl {
  std::mutex mutex;
  std::condition_variable work_ready;
  std::condition_variable work_done;
  std::vector<std::thread> workers;
  // Written by the caller before generation is released; read by workers after.
  const std::function<void(int64_t, int64_t)>* fn = nullptr;
  int64_t n = 0;
  int threads = 1;
  bool spin = false;  // only when every thread can have its own core
  std::atomic<uint64_t> generation{0};
  std::atomic<int> pending{0};
  std::atomic<bool> stopping{false};

  void run_chunk(int index) {
    const int64_t begin = n * index / threads;
    const int64_t end = n * (index + 1) / threads;
    if (begin < end) (*fn)(begin, end);
  }

  void worker_loop(int index) {
    uint64_t seen = 0;
    for (;;) {
      auto has_news = [&] {
        return stopping.load(std::memory_order_acquire) || generation.load(std::memory_order_acquire) != seen;
      };
      if (!spin || !spin_until(has_news)) {
        std::unique_lock<std::mutex> lock(mutex);
        work_ready.wait(lock, has_news);
      }
      if (stopping.load(std::memory_order_acquire)) return;
      seen = generation.load(std::memory_order_acquire);
      run_chunk(index);
      if (pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lock(mutex);
        work_done.notify_one();
      }
    }
  }
};

ThreadPool::ThreadPool(int threads) : impl_(std::make_unique<Impl>()), threads_(std::max(1, threads)) {
#if NL_THREADS
  impl_->threads = threads_;
#if defined(__EMSCRIPTEN__)
  // Not in the browser: the page's UI thread and GPU process share the cores
  // with the engine, and a polling worker there took the CPU from the thread
  // it waited for (a 256-step visualization: 0.9 s without polling, 2.4 s with).
  impl_->spin = false;
#else
  const unsigned cores = std::thread::hardware_concurrency();
  impl_->spin = cores == 0 || static_cast<unsigned>(threads_) <= cores;
#endif
  for (int i = 1; i < threads_; ++i) impl_->workers.emplace_back([this, i] { impl_->worker_loop(i); });
#else
  threads_ = 1;
  impl_->threads = 1;
#endif
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->stopping.store(true, std::memory_order_release);
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
  s.fn = &fn;
  s.n = n;
  s.pending.store(threads_ - 1, std::memory_order_relaxed);
  {
    // Under the mutex, so a worker between its check and its wait cannot miss it.
    std::lock_guard<std::mutex> lock(s.mutex);
    s.generation.fetch_add(1, std::memory_order_release);
  }
  s.work_ready.notify_all();
  s.run_chunk(0);
  auto all_done = [&] { return s.pending.load(std::memory_order_acquire) == 0; };
  if (!s.spin || !spin_until(all_done)) {
    std::unique_lock<std::mutex> lock(s.mutex);
    s.work_done.wait(lock, all_done);
  }
  s.fn = nullptr;
}

}  // namespace nl
