// run_parallel: splits a loop over ctx.pool when there is one, else runs it on
// the calling thread. Ops give it work items whose results do not depend on
// how the items are split, so the output is the same for any thread count.
#pragma once
#include <algorithm>
#include <cstdint>
#include <functional>

#include "kernels/thread_pool.h"
#include "nn/op.h"

namespace nl {

inline void run_parallel(const OpContext& ctx, int64_t items,
                         const std::function<void(int64_t begin, int64_t end)>& fn) {
  if (items <= 0) return;
  if (ctx.pool && items > 1)
    ctx.pool->parallel_for(items, fn);
  else
    fn(0, items);
}

// An elementwise loop over n elements, in blocks big enough that handing one
// to another thread (microseconds) is noise: small tensors run inline, large
// ones (ResNet's 112x112x64 activations, a training batch) use every core.
inline void run_parallel_elements(const OpContext& ctx, int64_t n,
                                  const std::function<void(int64_t begin, int64_t end)>& fn) {
  constexpr int64_t kBlock = int64_t{1} << 15;
  run_parallel(ctx, (n + kBlock - 1) / kBlock,
               [&](int64_t b0, int64_t b1) { fn(b0 * kBlock, std::min(n, b1 * kBlock)); });
}

}  // namespace nl
