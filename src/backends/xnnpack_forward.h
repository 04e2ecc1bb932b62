// XnnpackForward: a ForwardBackend that runs a Graph's forward pass through
// Debian's XNNPACK (2022 operator API), natively, when built with NL_XNNPACK.
//
// It creates one XNNPACK operator per node it supports (Conv2D, Dense, max and
// average pooling, global average pooling, ReLU, Add, ...), packing the node's
// weights once, and declines every other node, which then runs through its own
// Op::forward. A convolution whose weight outgrows the L2 cache becomes several
// operators, one per slice of its output channels (see plan_conv2d). Plug it
// into an Executor with set_forward_backend(); backward passes keep using the
// ops, on the values XNNPACK produced.
//
//   auto xnn = XnnpackForward::create(graph, {.threads = 2});
//   if (xnn.ok()) executor.set_forward_backend(xnn.value().get());
//
// Weights are copied (packed) when the backend is created: after they change
// (training, loading a model) call repack(). XNNPACK runs on its own
// pthreadpool of `threads` threads; the executor's ThreadPool serves the
// declined nodes.
//
// With fuse_activations, a ReLU whose input comes from a supported node used by
// nothing else is folded into that node's operator (output clamped to >= 0):
// the producer's value then holds the post-ReLU activation, not the
// pre-activation METHOD.md reads by default, so keep it off unless only later
// values matter (classification, evaluation). Gradients are unaffected: ReLU's
// mask is the same whether read from x or from max(x, 0).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "nn/forward_backend.h"
#include "nn/graph.h"

namespace nl {

struct XnnpackOptions {
  int threads = 1;                // XNNPACK's pthreadpool size; 1 runs on the calling thread
  bool fuse_activations = false;  // see the file comment
};

class XnnpackForward : public ForwardBackend {
 public:
  // Initialises XNNPACK and plans every node of `graph`, which must outlive the
  // backend and keep its structure. Fails only if XNNPACK cannot start (an
  // unsupported CPU) or the options are out of range; unsupported nodes are
  // simply declined.
  static Result<std::unique_ptr<XnnpackForward>> create(const Graph& graph, const XnnpackOptions& options = {});
  ~XnnpackForward() override;
  XnnpackForward(const XnnpackForward&) = delete;
  XnnpackForward& operator=(const XnnpackForward&) = delete;

  bool forward_node(const OpContext& ctx, int node, std::span<const Tensor* const> inputs,
                    Tensor& output) override;
  void before_backward() override;

  // Recreates every operator from the graph's current weights.
  Status repack();

  // Whether XNNPACK computes node `node` (including a ReLU folded into its producer).
  bool handles(int node) const;
  // One line per node: its name, type and route, e.g. "conv1 Conv2D: xnnpack convolution (+relu)".
  std::string describe() const;
  int threads() const { return options_.threads; }

  struct NodePlan;  // one node's XNNPACK operator and how to run it (defined in the .cpp)

 private:
  XnnpackForward(const Graph& graph, const XnnpackOptions& options);
  Status plan_all();

  const Graph* graph_;
  XnnpackOptions options_;
  void* threadpool_ = nullptr;  // pthreadpool_t; null for one thread
  std::vector<std::unique_ptr<NodePlan>> plans_;
};

}  // namespace nl
