// Executor: runs a Graph forward, keeping every node's value, and backward from
// any node's gradient, down to any node (or the input), optionally computing
// parameter gradients. Feature visualization seeds the gradient at one channel
// of one layer and wants only the input's gradient; training seeds it at the
// loss and wants the parameters'.
#pragma once
#include <vector>

#include "nn/forward_backend.h"
#include "nn/graph.h"

namespace nl {

// Time spent in each node's forward and backward, summed over the passes run
// while it was attached (for tools/bench's --profile; ms, indexed by node).
struct ExecutorProfile {
  std::vector<double> forward_ms, backward_ms;
};

struct BackwardRequest {
  int from = -1;                  // node whose gradient is seeded
  const Tensor* seed = nullptr;   // d(objective)/d(value(from)), same shape as value(from)
  int stop_at = -1;               // the deepest node whose gradient is wanted (-1: the input)
  bool want_param_grads = false;  // accumulate into every Param::grad upstream of `from`
  // false: keep only grad(stop_at); every other gradient is freed for reuse
  // once its node has passed it on, so the pass holds only the gradients in
  // flight instead of one per node (ResNet-18: about 20 MB less at batch 1).
  bool keep_intermediate_grads = true;
  // false: stop_at's own gradient is not wanted either, only what lies above
  // it (training wants parameter gradients, not the input's: the first
  // layer then skips its input gradient).
  bool want_stop_at_grad = true;
};

class Executor {
 public:
  explicit Executor(Graph* graph, ThreadPool* pool = nullptr);

  // Computes every node's value for this input (shape: the graph input's with any batch size).
  Status forward(const Tensor& input, bool training = false, uint64_t seed = 0);
  // Same, stopping after node `last` (values of later nodes are left stale).
  Status forward_until(const Tensor& input, int last, bool training = false, uint64_t seed = 0);

  // Propagates the seed gradient back. Afterwards grad(i) holds d(objective)/d(value(i))
  // for every node between stop_at and from (only for stop_at when the request
  // does not keep intermediate gradients; has_grad says which); parameter
  // gradients accumulate (+=) when asked, so zero them first
  // (Op::zero_param_grads) for a fresh step.
  Status backward(const BackwardRequest& request);

  const Tensor& value(int node) const { return values_[static_cast<size_t>(node)]; }
  const Tensor& grad(int node) const { return grads_[static_cast<size_t>(node)]; }
  bool has_grad(int node) const { return has_grad_[static_cast<size_t>(node)] != 0; }

  // Routes forward passes through `backend` where it takes a node (null: the
  // ops only). The backend must outlive its use by this executor.
  void set_forward_backend(ForwardBackend* backend) { backend_ = backend; }
  ForwardBackend* forward_backend() const { return backend_; }

  // Adds per-node times to `profile` (null: stop timing). Must outlive its use.
  void set_profile(ExecutorProfile* profile) { profile_ = profile; }

  Graph& graph() { return *graph_; }
  ThreadPool* pool() const { return pool_; }

 private:
  Graph* graph_;
  ThreadPool* pool_;
  ForwardBackend* backend_ = nullptr;
  ExecutorProfile* profile_ = nullptr;
  bool training_ = false;
  uint64_t seed_ = 0;
  int computed_until_ = -1;
  std::vector<Shape> shapes_;
  std::vector<Tensor> values_;
  std::vector<Tensor> grads_;
  std::vector<char> has_grad_;
  std::vector<Tensor> spare_grads_;  // freed gradient buffers, reused by the next ones

  // Gives grads_[node] a zeroed buffer of the node's shape, reusing a spare one when it fits.
  void allocate_grad(int node);
  // Moves grads_[node]'s buffer to the spares.
  void release_grad(int node);
};

}  // namespace nl
