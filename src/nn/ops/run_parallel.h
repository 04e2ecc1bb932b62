// run_parallel: splits a loop over ctx.pool when there is one and the loop is
// big enough, else runs it on the calling thread. Ops give it work items whose
// results do not depend on how the items are split, so the output is the same
// for any thread count.
#pragma once
#include <algorithm>
#include <cstdint>
#include <functional>

#include "kernels/thread_pool.h"
#include "nn/op.h"

namespace nl {

// Below this many elements read or written, a loop runs on the calling
// thread: a pooling layer of a 28x28 model takes a few microseconds, less than
// moving its data between cores' caches (and waking a sleeping worker costs
// 25-90 us on the 2-core VMs measured, tools/bench pool).
constexpr int64_t kMinParallelElements = int64_t{1} << 15;

// items: work items; elements_per_item: about how many elements one item
// reads or writes (to decide whether splitting pays).
inline void run_parallel(ThreadPool* pool, int64_t items, int64_t elements_per_item,
                         const std::function<void(int64_t begin, int64_t end)>& fn) {
  if (items <= 0) return;
  const bool worth_splitting = static_cast<double>(items) * static_cast<double>(elements_per_item) >=
                               static_cast<double>(kMinParallelElements);
  if (pool && pool->threads() > 1 && items > 1 && worth_splitting)
    pool->parallel_for(items, fn);
  else
    fn(0, items);
}

inline void run_parallel(const OpContext& ctx, int64_t items, int64_t elements_per_item,
                         const std::function<void(int64_t begin, int64_t end)>& fn) {
  run_parallel(ctx.pool, items, elements_per_item, fn);
}

// An elementwise loop over n elements, in blocks big enough that handing one
// to another thread (microseconds) is noise: small tensors run inline, large
// ones (ResNet's 112x112x64 activations, a training batch) use every core.
inline void run_parallel_elements(const OpContext& ctx, int64_t n,
                                  const std::function<void(int64_t begin, int64_t end)>& fn) {
  constexpr int64_t kBlock = kMinParallelElements;
  run_parallel(ctx, (n + kBlock - 1) / kBlock, kBlock,
               [&](int64_t b0, int64_t b1) { fn(b0 * kBlock, std::min(n, b1 * kBlock)); });
}

}  // namespace nl
