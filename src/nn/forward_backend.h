// ForwardBackend: another implementation of some nodes' forward passes (XNNPACK
// natively, see src/backends), plugged into the Executor at run time. The
// executor asks the backend first for every node; nodes it declines run through
// their own Op::forward. Backward passes always use the ops, so a backend must
// produce the same per-node values the ops would.
#pragma once
#include <span>

#include "nn/op.h"

namespace nl {

class ForwardBackend {
 public:
  virtual ~ForwardBackend() = default;

  // Computes node `node`'s value into `output` (already sized by the executor;
  // its contents are unspecified, as for Op::forward) from its input values,
  // and returns true; or returns false to let the node's op compute it, which
  // writes every element whatever the backend left there.
  virtual bool forward_node(const OpContext& ctx, int node, std::span<const Tensor* const> inputs,
                            Tensor& output) = 0;

  // Called by the executor before a backward pass. A backend whose worker
  // threads keep spinning after its last node (XNNPACK's pthreadpool) sends
  // them to sleep here, so they do not take cores from the backward ops.
  virtual void before_backward() {}
};

}  // namespace nl
