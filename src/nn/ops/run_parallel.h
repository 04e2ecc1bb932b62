// run_parallel: splits a loop over ctx.pool when there is one, else runs it on
// the calling thread. Ops give it work items whose results do not depend on
// how the items are split, so the output is the same for any thread count.
#pragma once
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

}  // namespace nl
