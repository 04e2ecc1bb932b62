// ThreadPool: every index is run exactly once, chunks are the documented
// deterministic split, and work handed over right after the last call, a
// little later, and after the workers went to sleep all arrives (a lost
// wake-up would hang the test; a torn hand-over would miscount); the caller
// runs the chunks of a worker that has not started them.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "kernels/thread_pool.h"

using namespace nl;

namespace {

// Runs parallel_for over n and checks each index was visited exactly once.
void check_covers_once(ThreadPool& pool, int64_t n) {
  std::vector<std::atomic<int>> visits(static_cast<size_t>(n));
  for (auto& v : visits) v.store(0);
  pool.parallel_for(n, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) visits[static_cast<size_t>(i)].fetch_add(1);
  });
  int64_t wrong = 0;
  for (auto& v : visits) wrong += v.load() != 1;
  REQUIRE(wrong == 0);
}

}  // namespace

TEST_CASE("thread pool: every index once, for sizes around the thread count", "[thread_pool]") {
  for (int threads : {1, 2, 3, 4}) {
    ThreadPool pool(threads);
    for (int64_t n : {1, 2, 3, 4, 5, 7, 64, 1000, 4099}) {
      INFO("threads " << threads << " n " << n);
      check_covers_once(pool, n);
    }
  }
}

TEST_CASE("thread pool: chunks are n*i/T .. n*(i+1)/T, whatever the timing", "[thread_pool]") {
  ThreadPool pool(3);
  const int T = pool.threads();
  for (int64_t n : {2, 5, 10, 101}) {
    std::vector<std::pair<int64_t, int64_t>> chunks;
    std::mutex m;
    pool.parallel_for(n, [&](int64_t b, int64_t e) {
      std::lock_guard<std::mutex> lock(m);
      chunks.emplace_back(b, e);
    });
    std::vector<std::pair<int64_t, int64_t>> expected;
    for (int i = 0; i < T; ++i)
      if (n * i / T < n * (i + 1) / T) expected.emplace_back(n * i / T, n * (i + 1) / T);
    std::sort(chunks.begin(), chunks.end());
    INFO("n " << n);
    REQUIRE(chunks == expected);
  }
}

TEST_CASE("thread pool: hand-overs back to back, after short pauses and after sleeping", "[thread_pool]") {
  // Polling windows: none (every hand-over wakes a sleeper), the default, and a long one.
  for (int spin_us : {0, 50, 200}) {
    INFO("spin " << spin_us << " us");
    ThreadPool pool(2, std::chrono::microseconds(spin_us));
    std::atomic<int64_t> sum{0};
    int64_t expected = 0;
    // Pauses between calls: none (workers may not be waiting yet), around the
    // polling windows, and long (they sleep).
    const int pauses_us[] = {0, 0, 40, 50, 60, 150, 200, 210, 400, 2000};
    for (int round = 0; round < 300; ++round) {
      const int64_t n = 2 + round % 7;
      pool.parallel_for(n, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) sum.fetch_add(i + 1);
      });
      expected += n * (n + 1) / 2;
      const int pause = pauses_us[round % 10];
      if (pause > 0) std::this_thread::sleep_for(std::chrono::microseconds(pause));
    }
    REQUIRE(sum.load() == expected);
  }
}

TEST_CASE("thread pool: the caller waits for a worker that finishes long after it", "[thread_pool]") {
  // The worker's chunk outlasts the caller's polling window, so the caller
  // must sleep and be woken by the worker (a lost wake-up hangs here).
  for (int spin_us : {0, 50}) {
    ThreadPool pool(2, std::chrono::microseconds(spin_us));
    std::atomic<int> done{0};
    for (int round = 0; round < 20; ++round) {
      // Index 1 is the second chunk: the worker's, or the caller's if it gets there first.
      pool.parallel_for(2, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
          if (i == 1) std::this_thread::sleep_for(std::chrono::microseconds(300));
          done.fetch_add(1);
        }
      });
    }
    REQUIRE(done.load() == 40);
  }
}

TEST_CASE("thread pool: the caller runs the chunk of a worker that is not there yet", "[thread_pool]") {
  // A sleeping worker takes microseconds to wake (a futex, another core); a
  // chunk of no work takes nanoseconds, so the caller claims the worker's chunk
  // first in nearly every round. Each chunk still runs once. (A build without
  // threads runs everything on the caller.)
  ThreadPool pool(2, std::chrono::microseconds(0));
  const std::thread::id caller = std::this_thread::get_id();
  int rounds_all_on_caller = 0;
  for (int round = 0; round < 100; ++round) {
    std::atomic<int> on_caller{0}, chunks{0};
    pool.parallel_for(2, [&](int64_t b, int64_t e) {
      chunks.fetch_add(static_cast<int>(e - b));
      if (std::this_thread::get_id() == caller) on_caller.fetch_add(static_cast<int>(e - b));
    });
    REQUIRE(chunks.load() == 2);
    rounds_all_on_caller += on_caller.load() == 2;
    std::this_thread::sleep_for(std::chrono::microseconds(200));  // the worker falls asleep again
  }
  REQUIRE(rounds_all_on_caller > 0);
}

TEST_CASE("thread pool: chunks claimed by late workers across back-to-back calls", "[thread_pool]") {
  // Workers that wake late may claim chunks of a later call than the one that
  // woke them; every call must still see each of its indices exactly once.
  for (int threads : {2, 3, 4})
    for (int spin_us : {0, 50}) {
      ThreadPool pool(threads, std::chrono::microseconds(spin_us));
      for (int round = 0; round < 500; ++round) check_covers_once(pool, 1 + round % 9);
    }
}

TEST_CASE("thread pool: destroyed right after work or while workers sleep", "[thread_pool]") {
  for (int spin_us : {0, 50})
    for (int pause_us : {0, 20, 100, 1000}) {
      ThreadPool pool(2, std::chrono::microseconds(spin_us));
      check_covers_once(pool, 10);
      std::this_thread::sleep_for(std::chrono::microseconds(pause_us));
    }  // the destructor joins; a missed stop would hang here
  SUCCEED("every pool joined its workers");
}
