// The thread pool's hand-over cost: the time of a parallel_for whose chunks do
// (almost) nothing, right after the previous one (the next op of a pass) and
// after a pause long enough for the workers to have gone to sleep. Small
// layers are worth splitting only when this is well below their time.
#include <atomic>
#include <chrono>
#include <thread>

#include "bench.h"
#include "kernels/thread_pool.h"

namespace nl::bench {

namespace {

void run_pool(const Options& o) {
  for (int threads : o.threads) {
    if (threads < 2) continue;
    ThreadPool pool(threads);
    std::atomic<int64_t> sink{0};
    const auto trivial = [&](int64_t begin, int64_t end) { sink.fetch_add(end - begin); };
    constexpr int kCalls = 1000;
    const double back_to_back = time_ms([&] {
      for (int i = 0; i < kCalls; ++i) pool.parallel_for(threads, trivial);
    });
    print_result("pool/handover_back_to_back_us", threads, 0, 1000.0 * back_to_back / kCalls);
    // After 2 ms idle, past any polling window: the cost of waking sleeping workers.
    constexpr int kWakes = 50;
    double asleep_total = 0;
    for (int i = 0; i < kWakes; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      const auto start = std::chrono::steady_clock::now();
      pool.parallel_for(threads, trivial);
      asleep_total += std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
    }
    print_result("pool/handover_after_sleep_us", threads, 0, asleep_total / kWakes);
  }
}

const Registrar pool_registrar("pool", run_pool);

}  // namespace

}  // namespace nl::bench
