#include "kernels/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace nl {

namespace {

using Clock = std::chrono::steady_clock;

// Tells the core this is a wait loop (x86: PAUSE frees the sibling hyperthread
// and avoids a memory-order flush when the awaited value changes).
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

// Polls `done` until it returns true or `window` has passed; reads the clock
// only every 64 polls (in wasm the clock is a call into JavaScript).
template <typename Done>
bool spin_until(const Done& done, std::chrono::microseconds window) {
  if (window.count() <= 0) return done();
  const Clock::time_point deadline = Clock::now() + window;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (done()) return true;
      cpu_relax();
    }
    if (Clock::now() >= deadline) return done();
  }
}

}  // namespace

// Workers wait for a new "generation" of work, then claim chunks, run them and
// count them done. There are T chunks, chunk i being [n*i/T, n*(i+1)/T), so the
// split is deterministic; which thread runs a chunk is not. The caller claims
// chunks too, and keeps claiming after its first: a worker that is late (asleep,
// or its core taken by another process for a time slice of milliseconds) finds
// its chunk already done and goes back to waiting, instead of the caller waiting
// for it to start. With 2 threads on a busy 2-core machine this bounds a call
// at about its 1-thread time (before: 2-thread ResNet-18 passes slower than
// 1-thread ones in noisy benchmark sets).
//
// Hand-overs: waking a sleeping thread costs 25-90 us here (the idle virtual
// core has to be woken by the hypervisor), more than a small layer's half of
// the work (tools/bench pool: 12 us back to back, 25-90 us after a pause).
// So a worker that finished a chunk first polls for the next
// generation for `spin` microseconds (the next op of the same pass usually
// arrives within a few), and only then sleeps on the condition variable; the
// caller likewise polls for the workers' chunks before it sleeps. Both sides
// record that they sleep, so a hand-over takes the mutex only when needed.
struct ThreadPool::Impl {
  std::mutex mutex;
  std::condition_variable work_ready;
  std::condition_variable work_done;
  std::vector<std::thread> workers;
  const std::function<void(int64_t, int64_t)>* fn = nullptr;  // published by `generation`
  int64_t n = 0;
  int threads = 1;
  std::chrono::microseconds spin{0};
  std::atomic<uint64_t> generation{0};
  // Chunks of the current generation claimed so far (>= threads: none left) and finished.
  std::atomic<int> next_chunk{0};
  std::atomic<int> chunks_done{0};
  std::atomic<int> sleeping_workers{0};
  std::atomic<bool> caller_sleeping{false};
  std::atomic<bool> stopping{false};

  void run_chunk(int index) {
    const int64_t begin = n * index / threads;
    const int64_t end = n * (index + 1) / threads;
    if (begin < end) (*fn)(begin, end);
  }

  // Runs chunks until none is left; returns whether this thread finished the
  // generation's last one. A thread that read an older generation may claim
  // here a chunk of the current one: fn and n are published before
  // next_chunk is reset, so it runs that chunk correctly.
  bool run_chunks() {
    bool finished_last = false;
    for (int chunk; (chunk = next_chunk.fetch_add(1)) < threads;) {
      run_chunk(chunk);
      finished_last = chunks_done.fetch_add(1) + 1 == threads;
    }
    return finished_last;
  }

  void worker_loop() {
    uint64_t seen = 0;
    for (;;) {
      const auto changed = [&] { return stopping.load() || generation.load() != seen; };
      if (!spin_until(changed, spin)) {
        std::unique_lock<std::mutex> lock(mutex);
        sleeping_workers.fetch_add(1);
        work_ready.wait(lock, changed);
        sleeping_workers.fetch_sub(1);
      }
      if (stopping.load()) return;
      seen = generation.load();
      if (run_chunks() && caller_sleeping.load()) {
        std::lock_guard<std::mutex> lock(mutex);
        work_done.notify_one();
      }
    }
  }

  // Wakes sleeping workers. Taking the mutex orders this after any worker's
  // check of its wait condition, so no wake-up is lost; the seq_cst counter
  // (raised before that check, read after the generation was raised) lets the
  // common case, every worker still polling, skip the mutex.
  void wake_workers() {
    if (sleeping_workers.load() == 0) return;
    { std::lock_guard<std::mutex> lock(mutex); }
    work_ready.notify_all();
  }

  void wait_for_workers() {
    const auto finished = [&] { return chunks_done.load() == threads; };
    if (spin_until(finished, spin)) return;
    std::unique_lock<std::mutex> lock(mutex);
    caller_sleeping.store(true);
    work_done.wait(lock, finished);
    caller_sleeping.store(false);
  }
};

std::chrono::microseconds ThreadPool::default_spin() {
  static const std::chrono::microseconds spin = [] {
    const char* text = std::getenv("NL_POOL_SPIN_US");
    const long value = text ? std::strtol(text, nullptr, 10) : 50;
    return std::chrono::microseconds(std::clamp<long>(value, 0, 100000));
  }();
  return spin;
}

ThreadPool::ThreadPool(int threads, std::chrono::microseconds spin)
    : impl_(std::make_unique<Impl>()), threads_(std::max(1, threads)) {
  impl_->spin = std::max(std::chrono::microseconds(0), spin);
#if NL_THREADS
  impl_->threads = threads_;
  for (int i = 1; i < threads_; ++i) impl_->workers.emplace_back([this] { impl_->worker_loop(); });
#else
  threads_ = 1;
  impl_->threads = 1;
#endif
}

ThreadPool::~ThreadPool() {
  impl_->stopping.store(true);
  { std::lock_guard<std::mutex> lock(impl_->mutex); }
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
  s.chunks_done.store(0);
  s.next_chunk.store(0);      // publishes fn and n to any thread that claims a chunk
  s.generation.fetch_add(1);  // and wakes the workers for them
  s.wake_workers();
  s.run_chunks();
  s.wait_for_workers();
  s.fn = nullptr;
}

}  // namespace nl
