// XnnpackForward: planning (one XNNPACK operator per supported node) and
// running. Sections:
//   1. helpers: status names, operator ownership
//   2. NodePlan and the planners, one per op type
//   3. fusing ReLU into its producer
//   4. XnnpackForward: create, repack, forward_node, describe
#include "backends/xnnpack_forward.h"

#include <xnnpack.h>
#include <pthreadpool.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <map>

#include "nn/ops/conv2d.h"
#include "nn/ops/dense.h"

namespace nl {

// ---- 1. helpers ---------------------------------------------------------------
namespace {

constexpr float kNoMin = -std::numeric_limits<float>::infinity();
constexpr float kNoMax = std::numeric_limits<float>::infinity();

const char* status_name(xnn_status s) {
  switch (s) {
    case xnn_status_success: return "success";
    case xnn_status_uninitialized: return "uninitialized";
    case xnn_status_invalid_parameter: return "invalid parameter";
    case xnn_status_invalid_state: return "invalid state";
    case xnn_status_unsupported_parameter: return "unsupported parameter";
    case xnn_status_unsupported_hardware: return "unsupported hardware";
    case xnn_status_out_of_memory: return "out of memory";
  }
  return "unknown status";
}

struct OperatorDeleter {
  void operator()(xnn_operator* op) const { xnn_delete_operator(op); }
};
using OperatorPtr = std::unique_ptr<xnn_operator, OperatorDeleter>;

}  // namespace

// ---- 2. NodePlan and the planners ------------------------------------------------

// How one node runs. `setup` binds the operator to this run's batch and
// buffers (XNNPACK caches what does not change between calls, such as a
// convolution's indirection buffer); `run` is xnn_run_operator, or a copy.
struct XnnpackForward::NodePlan {
  enum class Kind { kDeclined, kOperator, kCopyOfInput };
  Kind kind = Kind::kDeclined;
  std::string route;  // for describe(): what runs the node, or why XNNPACK does not
  OperatorPtr op;
  Shape input_shape;  // the shape the operator was built for (batch dimension ignored)
  using Setup = std::function<xnn_status(xnn_operator_t, std::span<const Tensor* const>, Tensor&, pthreadpool_t)>;
  Setup setup;
  // Clamp fused into this operator's output (from a following ReLU); the
  // planner that supports it rebuilds the operator with these bounds.
  std::function<xnn_status(float out_min, float out_max, OperatorPtr*)> create_clamped;
  bool fused_relu = false;
};

namespace {

using Plan = XnnpackForward::NodePlan;

// A creation function taking the output bounds, so ReLU can be fused later.
using ClampedCreate = std::function<xnn_status(float out_min, float out_max, xnn_operator_t* out)>;

// Fills `plan` with an operator made by `create` (unclamped), keeping `create`
// for fusion, or records why XNNPACK refused it.
void adopt(Plan* plan, const std::string& what, ClampedCreate create, Plan::Setup setup) {
  xnn_operator_t raw = nullptr;
  xnn_status s = create(kNoMin, kNoMax, &raw);
  if (s != xnn_status_success) {
    plan->route = "built-in (xnn_create_" + what + " refused: " + status_name(s) + ")";
    return;
  }
  plan->kind = Plan::Kind::kOperator;
  plan->op.reset(raw);
  plan->route = "xnnpack " + what;
  plan->setup = std::move(setup);
  plan->create_clamped = [create](float lo, float hi, OperatorPtr* out) {
    xnn_operator_t op = nullptr;
    xnn_status st = create(lo, hi, &op);
    if (st == xnn_status_success) out->reset(op);
    return st;
  };
}

// Conv2D: weights [Cout][KH][KW][Cin/groups] are exactly XNNPACK's grouped
// layout (it detects depthwise itself when each group has one input and one output).
void plan_conv2d(const Node& node, const std::vector<Shape>& in_shapes, Plan* plan) {
  const auto& conv = static_cast<const Conv2D&>(*node.op);
  const Conv2DParams& p = conv.settings();
  const Shape& x = in_shapes[0];
  if (x.rank() != 4) {
    plan->route = "built-in (input is not NHWC)";
    return;
  }
  const float* weight = conv.weight.data();
  const float* bias = p.has_bias ? conv.bias.data() : nullptr;
  const size_t group_in = static_cast<size_t>(p.in_channels / p.groups);
  const size_t group_out = static_cast<size_t>(p.out_channels / p.groups);
  const size_t cin = static_cast<size_t>(p.in_channels), cout = static_cast<size_t>(p.out_channels);
  ClampedCreate create = [=](float lo, float hi, xnn_operator_t* op) {
    return xnn_create_convolution2d_nhwc_f32(
        static_cast<uint32_t>(p.pad_top), static_cast<uint32_t>(p.pad_right), static_cast<uint32_t>(p.pad_bottom),
        static_cast<uint32_t>(p.pad_left), static_cast<uint32_t>(p.kernel_h), static_cast<uint32_t>(p.kernel_w),
        static_cast<uint32_t>(p.stride_h), static_cast<uint32_t>(p.stride_w), static_cast<uint32_t>(p.dilation_h),
        static_cast<uint32_t>(p.dilation_w), static_cast<uint32_t>(p.groups), group_in, group_out, cin, cout, weight,
        bias, lo, hi, 0, op);
  };
  adopt(plan, "convolution2d_nhwc_f32", create,
        [](xnn_operator_t op, std::span<const Tensor* const> in, Tensor& out, pthreadpool_t pool) {
          const Shape& s = in[0]->shape();
          return xnn_setup_convolution2d_nhwc_f32(op, static_cast<size_t>(s.n()), static_cast<size_t>(s.h()),
                                                  static_cast<size_t>(s.w()), in[0]->data(), out.data(), pool);
        });
}

// Dense: weight [Out][In] is XNNPACK's default (non-transposed) layout.
void plan_dense(const Node& node, const std::vector<Shape>& in_shapes, Plan* plan) {
  const auto& dense = static_cast<const Dense&>(*node.op);
  if (in_shapes[0].rank() != 2) {
    plan->route = "built-in (input is not [N, In])";
    return;
  }
  const size_t in = static_cast<size_t>(dense.in_features()), out = static_cast<size_t>(dense.out_features());
  const float* weight = dense.weight.data();
  const float* bias = dense.has_bias() ? dense.bias.data() : nullptr;
  ClampedCreate create = [=](float lo, float hi, xnn_operator_t* op) {
    return xnn_create_fully_connected_nc_f32(in, out, in, out, weight, bias, lo, hi, 0, op);
  };
  adopt(plan, "fully_connected_nc_f32", create,
        [](xnn_operator_t op, std::span<const Tensor* const> x, Tensor& y, pthreadpool_t pool) {
          return xnn_setup_fully_connected_nc_f32(op, static_cast<size_t>(x[0]->shape()[0]), x[0]->data(), y.data(),
                                                  pool);
        });
}

using Planner = void (*)(const Node&, const std::vector<Shape>&, Plan*);

const std::map<std::string, Planner>& planners() {
  static const std::map<std::string, Planner> table = {
      {"Conv2D", plan_conv2d},
      {"Dense", plan_dense},
  };
  return table;
}

bool is_relu(const Node& node) { return node.op && node.op->type() == "ReLU"; }

}  // namespace

// ---- 4. XnnpackForward ----------------------------------------------------------

XnnpackForward::XnnpackForward(const Graph& graph, const XnnpackOptions& options)
    : graph_(&graph), options_(options) {}

XnnpackForward::~XnnpackForward() {
  plans_.clear();  // operators before the pool they may reference
  if (threadpool_) pthreadpool_destroy(static_cast<pthreadpool_t>(threadpool_));
}

Result<std::unique_ptr<XnnpackForward>> XnnpackForward::create(const Graph& graph, const XnnpackOptions& options) {
  if (options.threads < 1 || options.threads > 256)
    return Status::Error("xnnpack: threads must be between 1 and 256, got " + std::to_string(options.threads));
  if (graph.size() == 0) return Status::Error("xnnpack: the graph is empty");
  const xnn_status s = xnn_initialize(nullptr);  // idempotent
  if (s != xnn_status_success) return Status::Error(std::string("xnnpack: xnn_initialize failed: ") + status_name(s));
  std::unique_ptr<XnnpackForward> backend(new XnnpackForward(graph, options));
  if (options.threads > 1) {
    backend->threadpool_ = pthreadpool_create(static_cast<size_t>(options.threads));
    if (!backend->threadpool_)
      return Status::Error("xnnpack: could not start a pool of " + std::to_string(options.threads) + " threads");
  }
  NL_RETURN_IF_ERROR(backend->plan_all());
  return backend;
}

Status XnnpackForward::repack() { return plan_all(); }

Status XnnpackForward::plan_all() {
  const Graph& g = *graph_;
  plans_.clear();
  plans_.resize(static_cast<size_t>(g.size()));
  std::vector<int> consumers(static_cast<size_t>(g.size()), 0);
  for (int i = 1; i < g.size(); ++i)
    for (int id : g.node(i).inputs) ++consumers[static_cast<size_t>(id)];

  std::vector<Shape> in_shapes;
  for (int i = 0; i < g.size(); ++i) {
    auto plan = std::make_unique<NodePlan>();
    const Node& node = g.node(i);
    if (!node.op) {
      plan->route = "graph input";
      plans_[static_cast<size_t>(i)] = std::move(plan);
      continue;
    }
    in_shapes.clear();
    for (int id : node.inputs) in_shapes.push_back(g.node(id).shape);
    if (!in_shapes.empty()) plan->input_shape = in_shapes[0];

    // ---- 3. fusion: a ReLU over a producer that nothing else reads
    if (options_.fuse_activations && is_relu(node) && node.inputs.size() == 1) {
      const int producer = node.inputs[0];
      NodePlan& prev = *plans_[static_cast<size_t>(producer)];
      if (producer != g.output() && consumers[static_cast<size_t>(producer)] == 1 &&
          prev.kind == NodePlan::Kind::kOperator && prev.create_clamped) {
        OperatorPtr clamped;
        if (prev.create_clamped(0.0f, kNoMax, &clamped) == xnn_status_success) {
          prev.op = std::move(clamped);
          prev.fused_relu = true;
          prev.route += " (+relu of '" + node.name + "')";
          plan->kind = NodePlan::Kind::kCopyOfInput;
          plan->route = "fused into '" + g.node(producer).name + "'";
          plans_[static_cast<size_t>(i)] = std::move(plan);
          continue;
        }
      }
    }

    auto found = planners().find(node.op->type());
    if (found == planners().end()) {
      plan->route = "built-in (no XNNPACK operator for " + node.op->type() + ")";
    } else {
      found->second(node, in_shapes, plan.get());
    }
    plans_[static_cast<size_t>(i)] = std::move(plan);
  }
  return Status::Ok();
}

bool XnnpackForward::forward_node(const OpContext& ctx, int node, std::span<const Tensor* const> inputs,
                                  Tensor& output) {
  if (node < 0 || node >= static_cast<int>(plans_.size())) return false;
  NodePlan& plan = *plans_[static_cast<size_t>(node)];
  switch (plan.kind) {
    case NodePlan::Kind::kDeclined:
      return false;
    case NodePlan::Kind::kCopyOfInput:
      // The producer's operator already applied this ReLU; applying it again
      // costs no more than a copy and stays right if the producer fell back.
      if (inputs.size() != 1 || inputs[0]->elements() != output.elements()) return false;
      for (int64_t k = 0; k < output.elements(); ++k) output[k] = std::max((*inputs[0])[k], 0.0f);
      return true;
    case NodePlan::Kind::kOperator:
      break;
  }
  // The graph fixes every dimension but the batch; check anyway rather than
  // hand XNNPACK a buffer it would misread.
  if (inputs.empty() || inputs[0]->shape().rank() != plan.input_shape.rank()) return false;
  for (int d = 1; d < plan.input_shape.rank(); ++d)
    if (inputs[0]->shape()[d] != plan.input_shape[d]) return false;
  pthreadpool_t pool = static_cast<pthreadpool_t>(threadpool_);
  if (plan.setup(plan.op.get(), inputs, output, pool) != xnn_status_success) return false;
  if (xnn_run_operator(plan.op.get(), pool) != xnn_status_success) {
    output.zero();  // let the op start from the zeroed output it expects
    return false;
  }
  return true;
}

bool XnnpackForward::handles(int node) const {
  if (node < 0 || node >= static_cast<int>(plans_.size())) return false;
  return plans_[static_cast<size_t>(node)]->kind != NodePlan::Kind::kDeclined;
}

std::string XnnpackForward::describe() const {
  std::string text;
  for (int i = 0; i < static_cast<int>(plans_.size()); ++i) {
    const Node& node = graph_->node(i);
    text += node.name + " " + (node.op ? node.op->type() : std::string("Input")) + ": " +
            plans_[static_cast<size_t>(i)]->route + "\n";
  }
  return text;
}

}  // namespace nl
