// XnnpackForward: planning (one XNNPACK operator per supported node) and
// running. Sections:
//   1. helpers: status names, operator ownership
//   2. NodePlan and the planners, one per op type: Conv2D, Dense, MaxPool2D,
//      AvgPool2D, GlobalAvgPool, Add, and the elementwise ReLU, Clip,
//      LeakyReLU, Sigmoid, HardSwish, Softmax
//   3. fusing ReLU and Clip into their producer
//   4. XnnpackForward: create, repack, forward_node, describe
#include "backends/xnnpack_forward.h"

#include <xnnpack.h>
#include <pthreadpool.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <limits>
#include <map>

#include "nn/ops/add.h"
#include "nn/ops/avg_pool2d.h"
#include "nn/ops/clip.h"
#include "nn/ops/conv2d.h"
#include "nn/ops/dense.h"
#include "nn/ops/global_avg_pool.h"
#include "nn/ops/leaky_relu.h"
#include "nn/ops/max_pool2d.h"

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

// y = min(max(x, lo), hi) on XNNPACK's pool: the executor's own pool would
// compete with pthreadpool's workers, which spin for a while after each operator.
void clamp_copy(const Tensor& x, float lo, float hi, Tensor& y, pthreadpool_t pool) {
  const float* in = x.data();
  float* out = y.data();
  constexpr size_t kTile = 16 * 1024;
  pthreadpool_parallelize_1d_tile_1d(
      pool,
      [=](size_t begin, size_t count) {
        for (size_t k = begin; k < begin + count; ++k) out[k] = in[k] < lo ? lo : (in[k] > hi ? hi : in[k]);
      },
      static_cast<size_t>(y.elements()), kTile);
}

}  // namespace

// ---- 2. NodePlan and the planners ------------------------------------------------

// The buffers and batch an operator was last set up for. The executor keeps
// its value tensors from one forward pass to the next, so setup (which may
// rebuild a convolution's indirection buffer) runs only when this changes.
struct SetupKey {
  const float* inputs[2] = {nullptr, nullptr};
  float* output = nullptr;
  int64_t batch = -1;
  bool operator==(const SetupKey&) const = default;
};

// How one node runs: `setup` binds each of its operators to this run's batch
// and buffers, then xnn_run_operator computes them (in turn, or side by side:
// parts_in_parallel); or the node copies its input. Most nodes are one operator; a convolution with a large weight is
// several, one per slice of its output channels (see plan_conv2d).
struct XnnpackForward::NodePlan {
  enum class Kind { kDeclined, kOperator, kCopyOfInput };
  Kind kind = Kind::kDeclined;
  std::string route;  // for describe(): what runs the node, or why XNNPACK does not
  std::vector<OperatorPtr> ops;  // each writes its own part of the output
  // The ops run one per thread at once, each on one thread (set up without the
  // pool), instead of one after another, each over the whole pool.
  bool parts_in_parallel = false;
  Shape input_shape;  // the shape the operators were built for (batch dimension ignored)
  using Setup =
      std::function<xnn_status(xnn_operator_t, size_t part, std::span<const Tensor* const>, Tensor&, pthreadpool_t)>;
  Setup setup;
  SetupKey last_setup;  // what the operators are bound to now
  // Clamp fused into this node's output (from a following ReLU); the planner
  // that supports it rebuilds the operators with these bounds.
  std::function<xnn_status(float out_min, float out_max, std::vector<OperatorPtr>*)> create_clamped;
  bool fused_clamp = false;
  // For a ReLU or Clip folded into its producer (kCopyOfInput): its bounds.
  float clamp_min = 0.0f, clamp_max = std::numeric_limits<float>::infinity();
};

namespace {

using Plan = XnnpackForward::NodePlan;

// A creation function taking the output bounds, so ReLU can be fused later.
using ClampedCreate = std::function<xnn_status(float out_min, float out_max, xnn_operator_t* out)>;
using SingleSetup = std::function<xnn_status(xnn_operator_t, std::span<const Tensor* const>, Tensor&, pthreadpool_t)>;
// The same for one of a node's `parts` operators.
using PartCreate = std::function<xnn_status(size_t part, float out_min, float out_max, xnn_operator_t* out)>;

// Creates `parts` operators with the given output bounds, all or none.
xnn_status create_parts(const PartCreate& create, size_t parts, float lo, float hi, std::vector<OperatorPtr>* out) {
  std::vector<OperatorPtr> ops(parts);
  for (size_t k = 0; k < parts; ++k) {
    xnn_operator_t raw = nullptr;
    const xnn_status s = create(k, lo, hi, &raw);
    if (s != xnn_status_success) return s;
    ops[k].reset(raw);
  }
  *out = std::move(ops);
  return xnn_status_success;
}

// Fills `plan` with the `parts` operators `create` makes (unclamped), keeping
// `create` for fusion, or records why XNNPACK refused them.
void adopt_parts(Plan* plan, const std::string& what, size_t parts, PartCreate create, Plan::Setup setup) {
  const xnn_status s = create_parts(create, parts, kNoMin, kNoMax, &plan->ops);
  if (s != xnn_status_success) {
    plan->route = "built-in (xnn_create_" + what + " refused: " + status_name(s) + ")";
    return;
  }
  plan->kind = Plan::Kind::kOperator;
  plan->route = "xnnpack " + what;
  plan->setup = std::move(setup);
  plan->create_clamped = [create, parts](float lo, float hi, std::vector<OperatorPtr>* out) {
    return create_parts(create, parts, lo, hi, out);
  };
}

// The common case: the node is one operator.
void adopt(Plan* plan, const std::string& what, ClampedCreate create, SingleSetup setup) {
  adopt_parts(
      plan, what, 1, [create](size_t, float lo, float hi, xnn_operator_t* op) { return create(lo, hi, op); },
      [setup](xnn_operator_t op, size_t, std::span<const Tensor* const> in, Tensor& out, pthreadpool_t pool) {
        return setup(op, in, out, pool);
      });
}

// XNNPACK's convolution (2022) runs each tile of 7 output pixels against all
// output channels, so it reads the whole packed weight once per tile. Past the
// L2 cache that dominates: ResNet-18's 3x3 512->512 at 7x7 (a 9.4 MB weight,
// 7 tiles) took 4.4 ms in the model. Split into slices of output channels whose
// weight stays in L2, each slice's weight is read from memory once and the
// input (small for such layers) once per slice. The bound is a quarter of this
// machine's 2 MB L2 (measured: 0.25-1 MB alike).
//
// With several threads the slices run side by side, each on one thread: over
// the whole pool, XNNPACK would split each slice by pixels, and both threads
// would read all of its weight.
constexpr size_t kSliceWeightBytes = 512 * 1024;
constexpr size_t kSliceChannelMultiple = 16;  // XNNPACK's widest f32 tile (AVX-512)

// Output channels per slice of a one-group convolution: all of them if their
// weight fits kSliceWeightBytes; else a multiple of kSliceChannelMultiple
// that fits, the largest one; with several threads, the largest that cuts the
// channels into equal slices, as many as a multiple of `threads`, if one does,
// so the threads' shares are equal.
size_t conv_slice_channels(size_t out_channels, size_t bytes_per_channel, int threads) {
  if (out_channels * bytes_per_channel <= kSliceWeightBytes) return out_channels;
  const size_t units = (out_channels + kSliceChannelMultiple - 1) / kSliceChannelMultiple;
  const size_t most = std::max<size_t>(1, kSliceWeightBytes / (kSliceChannelMultiple * bytes_per_channel));
  const size_t share = static_cast<size_t>(threads);
  for (size_t u = most; share > 1 && u >= 1; --u)
    if (units % u == 0 && (units / u) % share == 0) return u * kSliceChannelMultiple;
  return most * kSliceChannelMultiple;
}

// Conv2D: weights [Cout][KH][KW][Cin/groups] are exactly XNNPACK's grouped
// layout (it detects depthwise itself when each group has one input and one
// output). One-group convolutions with a large weight become slices of output
// channels: operator k reads weight rows and bias from channel k * slice and
// writes output channels from there on, with the full channel count as the
// output's pixel stride.
void plan_conv2d(const Node& node, const std::vector<Shape>& in_shapes, int threads, Plan* plan) {
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
  const size_t weight_per_channel = static_cast<size_t>(p.kernel_h) * static_cast<size_t>(p.kernel_w) * group_in;
  const size_t slice =
      p.groups == 1 ? conv_slice_channels(cout, weight_per_channel * sizeof(float), threads) : group_out;
  const size_t parts = (group_out + slice - 1) / slice;
  PartCreate create = [=](size_t part, float lo, float hi, xnn_operator_t* op) {
    const size_t first = part * slice, count = std::min(slice, group_out - first);
    return xnn_create_convolution2d_nhwc_f32(
        static_cast<uint32_t>(p.pad_top), static_cast<uint32_t>(p.pad_right), static_cast<uint32_t>(p.pad_bottom),
        static_cast<uint32_t>(p.pad_left), static_cast<uint32_t>(p.kernel_h), static_cast<uint32_t>(p.kernel_w),
        static_cast<uint32_t>(p.stride_h), static_cast<uint32_t>(p.stride_w), static_cast<uint32_t>(p.dilation_h),
        static_cast<uint32_t>(p.dilation_w), static_cast<uint32_t>(p.groups), group_in, count, cin, cout,
        weight + first * weight_per_channel, bias ? bias + first : nullptr, lo, hi, 0, op);
  };
  const std::string what = "convolution2d_nhwc_f32" +
      (parts > 1 ? " in " + std::to_string(parts) + " slices of " + std::to_string(slice) + " output channels" : "");
  adopt_parts(plan, what, parts, create,
              [slice](xnn_operator_t op, size_t part, std::span<const Tensor* const> in, Tensor& out,
                      pthreadpool_t pool) {
                const Shape& s = in[0]->shape();
                return xnn_setup_convolution2d_nhwc_f32(op, static_cast<size_t>(s.n()), static_cast<size_t>(s.h()),
                                                        static_cast<size_t>(s.w()), in[0]->data(),
                                                        out.data() + part * slice, pool);
              });
  plan->parts_in_parallel = parts > 1;
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

// Pooling windows that PyTorch's ceil_mode lets hang over the bottom/right edge
// become extra bottom/right padding, which XNNPACK skips (max) or leaves out of
// the divisor (average), just as ceil_mode does: returns that extra padding
// along one axis so that XNNPACK's floor formula gives the node's output size.
uint32_t ceil_mode_extra_padding(int64_t in, int64_t out, int kernel, int stride, int pad_begin, int pad_end) {
  const int64_t needed = (out - 1) * stride + kernel - (in + pad_begin + pad_end);
  return needed > 0 ? static_cast<uint32_t>(needed) : 0u;
}

SingleSetup pooling_setup(xnn_status (*setup)(xnn_operator_t, size_t, size_t, size_t, const float*, float*,
                                               pthreadpool_t)) {
  return [setup](xnn_operator_t op, std::span<const Tensor* const> in, Tensor& out, pthreadpool_t pool) {
    const Shape& s = in[0]->shape();
    return setup(op, static_cast<size_t>(s.n()), static_cast<size_t>(s.h()), static_cast<size_t>(s.w()),
                 in[0]->data(), out.data(), pool);
  };
}

// MaxPool2D: XNNPACK ignores padded pixels, as -infinity padding does.
void plan_max_pool2d(const Node& node, const std::vector<Shape>& in_shapes, Plan* plan) {
  const Pool2DParams& p = static_cast<const MaxPool2D&>(*node.op).settings();
  const Shape& x = in_shapes[0];
  const uint32_t pad_bottom = static_cast<uint32_t>(p.pad_bottom) +
      ceil_mode_extra_padding(x.h(), node.shape.h(), p.kernel_h, p.stride_h, p.pad_top, p.pad_bottom);
  const uint32_t pad_right = static_cast<uint32_t>(p.pad_right) +
      ceil_mode_extra_padding(x.w(), node.shape.w(), p.kernel_w, p.stride_w, p.pad_left, p.pad_right);
  const size_t channels = static_cast<size_t>(x.c());
  ClampedCreate create = [=](float lo, float hi, xnn_operator_t* op) {
    return xnn_create_max_pooling2d_nhwc_f32(static_cast<uint32_t>(p.pad_top), pad_right, pad_bottom,
                                             static_cast<uint32_t>(p.pad_left), static_cast<uint32_t>(p.kernel_h),
                                             static_cast<uint32_t>(p.kernel_w), static_cast<uint32_t>(p.stride_h),
                                             static_cast<uint32_t>(p.stride_w), 1, 1, channels, channels, channels,
                                             lo, hi, 0, op);
  };
  adopt(plan, "max_pooling2d_nhwc_f32", create, pooling_setup(xnn_setup_max_pooling2d_nhwc_f32));
}

// AvgPool2D: once there is any padding, XNNPACK divides by the in-bounds part
// of each window. That is count_include_pad = false, and also what PyTorch does
// with count_include_pad when there is no padding (ceil_mode's overhang is
// never counted); count_include_pad with real padding stays built-in.
void plan_avg_pool2d(const Node& node, const std::vector<Shape>& in_shapes, Plan* plan) {
  const Pool2DParams& p = static_cast<const AvgPool2D&>(*node.op).settings();
  const bool padded = p.pad_top || p.pad_left || p.pad_bottom || p.pad_right;
  if (padded && p.count_include_pad) {
    plan->route = "built-in (XNNPACK does not count padding in the average)";
    return;
  }
  const Shape& x = in_shapes[0];
  const uint32_t pad_bottom = static_cast<uint32_t>(p.pad_bottom) +
      ceil_mode_extra_padding(x.h(), node.shape.h(), p.kernel_h, p.stride_h, p.pad_top, p.pad_bottom);
  const uint32_t pad_right = static_cast<uint32_t>(p.pad_right) +
      ceil_mode_extra_padding(x.w(), node.shape.w(), p.kernel_w, p.stride_w, p.pad_left, p.pad_right);
  const size_t channels = static_cast<size_t>(x.c());
  ClampedCreate create = [=](float lo, float hi, xnn_operator_t* op) {
    return xnn_create_average_pooling2d_nhwc_f32(static_cast<uint32_t>(p.pad_top), pad_right, pad_bottom,
                                                 static_cast<uint32_t>(p.pad_left), static_cast<uint32_t>(p.kernel_h),
                                                 static_cast<uint32_t>(p.kernel_w), static_cast<uint32_t>(p.stride_h),
                                                 static_cast<uint32_t>(p.stride_w), channels, channels, channels, lo,
                                                 hi, 0, op);
  };
  adopt(plan, "average_pooling2d_nhwc_f32", create, pooling_setup(xnn_setup_average_pooling2d_nhwc_f32));
}

// GlobalAvgPool: [N, H, W, C] -> [N, C] is XNNPACK's NWC pooling with W = H*W.
void plan_global_avg_pool(const Node& node, const std::vector<Shape>& in_shapes, Plan* plan) {
  const size_t channels = static_cast<size_t>(in_shapes[0].c());
  ClampedCreate create = [=](float lo, float hi, xnn_operator_t* op) {
    return xnn_create_global_average_pooling_nwc_f32(channels, channels, channels, lo, hi, 0, op);
  };
  adopt(plan, "global_average_pooling_nwc_f32", create,
        [](xnn_operator_t op, std::span<const Tensor* const> in, Tensor& out, pthreadpool_t pool) {
          const Shape& s = in[0]->shape();
          return xnn_setup_global_average_pooling_nwc_f32(op, static_cast<size_t>(s.n()),
                                                          static_cast<size_t>(s.h() * s.w()), in[0]->data(),
                                                          out.data(), pool);
        });
}

// Add of two same-shaped tensors (more inputs stay built-in: XNNPACK adds pairs,
// and chaining would need a buffer per step).
void plan_add(const Node& node, const std::vector<Shape>& in_shapes, Plan* plan) {
  if (in_shapes.size() != 2) {
    plan->route = "built-in (XNNPACK adds two inputs, this node has " + std::to_string(in_shapes.size()) + ")";
    return;
  }
  ClampedCreate create = [](float lo, float hi, xnn_operator_t* op) { return xnn_create_add_nd_f32(lo, hi, 0, op); };
  adopt(plan, "add_nd_f32", create,
        [](xnn_operator_t op, std::span<const Tensor* const> in, Tensor& out, pthreadpool_t pool) {
          size_t dims[2][Shape::kMaxRank];
          for (int k = 0; k < 2; ++k)
            for (int d = 0; d < in[k]->shape().rank(); ++d) dims[k][d] = static_cast<size_t>(in[k]->shape()[d]);
          return xnn_setup_add_nd_f32(op, static_cast<size_t>(in[0]->shape().rank()), dims[0],
                                      static_cast<size_t>(in[1]->shape().rank()), dims[1], in[0]->data(),
                                      in[1]->data(), out.data(), pool);
        });
}

// Elementwise ops run as XNNPACK's [batch, channels] operators with channels =
// the last dimension and batch = everything before it.
using RowSetup = xnn_status (*)(xnn_operator_t, size_t, const float*, float*, pthreadpool_t);
SingleSetup row_setup(RowSetup setup) {
  return [setup](xnn_operator_t op, std::span<const Tensor* const> in, Tensor& out, pthreadpool_t pool) {
    const Shape& s = in[0]->shape();
    const int64_t channels = s[s.rank() - 1];
    return setup(op, static_cast<size_t>(in[0]->elements() / channels), in[0]->data(), out.data(), pool);
  };
}

size_t last_dimension(const Shape& s) { return static_cast<size_t>(s[s.rank() - 1]); }

// An elementwise op whose XNNPACK operator cannot take output bounds (no fusion into it).
void adopt_unclamped(Plan* plan, const std::string& what, std::function<xnn_status(xnn_operator_t*)> create,
                     SingleSetup setup) {
  adopt(plan, what, [create](float, float, xnn_operator_t* op) { return create(op); }, std::move(setup));
  plan->create_clamped = nullptr;
}

void plan_clamp(float lo, float hi, const std::vector<Shape>& in_shapes, Plan* plan) {
  const size_t c = last_dimension(in_shapes[0]);
  adopt_unclamped(plan, "clamp_nc_f32",
                  [=](xnn_operator_t* op) { return xnn_create_clamp_nc_f32(c, c, c, lo, hi, 0, op); },
                  row_setup(xnn_setup_clamp_nc_f32));
}

void plan_relu(const Node&, const std::vector<Shape>& in_shapes, Plan* plan) {
  plan_clamp(0.0f, kNoMax, in_shapes, plan);
}

void plan_clip(const Node& node, const std::vector<Shape>& in_shapes, Plan* plan) {
  const auto& clip = static_cast<const Clip&>(*node.op);
  plan_clamp(clip.min_value(), clip.max_value(), in_shapes, plan);
}

void plan_leaky_relu(const Node& node, const std::vector<Shape>& in_shapes, Plan* plan) {
  const float alpha = static_cast<const LeakyReLU&>(*node.op).alpha();
  const size_t c = last_dimension(in_shapes[0]);
  adopt_unclamped(plan, "leaky_relu_nc_f32",
                  [=](xnn_operator_t* op) { return xnn_create_leaky_relu_nc_f32(c, c, c, alpha, 0, op); },
                  row_setup(xnn_setup_leaky_relu_nc_f32));
}

void plan_sigmoid(const Node&, const std::vector<Shape>& in_shapes, Plan* plan) {
  const size_t c = last_dimension(in_shapes[0]);
  adopt_unclamped(plan, "sigmoid_nc_f32",
                  [=](xnn_operator_t* op) { return xnn_create_sigmoid_nc_f32(c, c, c, 0, op); },
                  row_setup(xnn_setup_sigmoid_nc_f32));
}

void plan_hard_swish(const Node&, const std::vector<Shape>& in_shapes, Plan* plan) {
  const size_t c = last_dimension(in_shapes[0]);
  adopt_unclamped(plan, "hardswish_nc_f32",
                  [=](xnn_operator_t* op) { return xnn_create_hardswish_nc_f32(c, c, c, 0, op); },
                  row_setup(xnn_setup_hardswish_nc_f32));
}

// Softmax over the last dimension: XNNPACK's rows are exactly that.
void plan_softmax(const Node&, const std::vector<Shape>& in_shapes, Plan* plan) {
  const size_t c = last_dimension(in_shapes[0]);
  adopt_unclamped(plan, "softmax_nc_f32",
                  [=](xnn_operator_t* op) { return xnn_create_softmax_nc_f32(c, c, c, 0, op); },
                  row_setup(xnn_setup_softmax_nc_f32));
}

using Planner = void (*)(const Node&, const std::vector<Shape>&, Plan*);

const std::map<std::string, Planner>& planners() {
  static const std::map<std::string, Planner> table = {
      {"Dense", plan_dense},
      {"MaxPool2D", plan_max_pool2d},
      {"AvgPool2D", plan_avg_pool2d},
      {"GlobalAvgPool", plan_global_avg_pool},
      {"Add", plan_add},
      {"ReLU", plan_relu},
      {"Clip", plan_clip},
      {"LeakyReLU", plan_leaky_relu},
      {"Sigmoid", plan_sigmoid},
      {"HardSwish", plan_hard_swish},
      {"Softmax", plan_softmax},
  };
  return table;
}

// The bounds of a ReLU or Clip node, which a producer's operator can apply.
bool clamp_bounds(const Node& node, float* lo, float* hi) {
  if (!node.op || node.inputs.size() != 1) return false;
  if (node.op->type() == "ReLU") {
    *lo = 0.0f, *hi = kNoMax;
    return true;
  }
  if (node.op->type() == "Clip") {
    const auto& clip = static_cast<const Clip&>(*node.op);
    *lo = clip.min_value(), *hi = clip.max_value();
    return true;
  }
  return false;
}

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

    // ---- 3. fusion: a ReLU or Clip over a producer that nothing else reads
    float lo = 0, hi = 0;
    if (options_.fuse_activations && clamp_bounds(node, &lo, &hi)) {
      const int producer = node.inputs[0];
      NodePlan& prev = *plans_[static_cast<size_t>(producer)];
      if (producer != g.output() && consumers[static_cast<size_t>(producer)] == 1 && !prev.fused_clamp &&
          prev.kind == NodePlan::Kind::kOperator && prev.create_clamped) {
        std::vector<OperatorPtr> clamped;
        if (prev.create_clamped(lo, hi, &clamped) == xnn_status_success) {
          prev.ops = std::move(clamped);
          prev.fused_clamp = true;
          prev.route += " (+" + node.op->type() + " of '" + node.name + "')";
          plan->kind = NodePlan::Kind::kCopyOfInput;
          plan->clamp_min = lo, plan->clamp_max = hi;
          plan->route = "fused into '" + g.node(producer).name + "'";
          plans_[static_cast<size_t>(i)] = std::move(plan);
          continue;
        }
      }
    }

    const auto found = planners().find(node.op->type());
    if (node.op->type() == "Conv2D") {  // the one planner that depends on the thread count
      plan_conv2d(node, in_shapes, options_.threads, plan.get());
    } else if (found == planners().end()) {
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
      // The producer's operator already applied this ReLU or Clip; applying it
      // again costs no more than a copy and stays right if the producer fell back.
      if (inputs.size() != 1 || inputs[0]->elements() != output.elements()) return false;
      clamp_copy(*inputs[0], plan.clamp_min, plan.clamp_max, output, static_cast<pthreadpool_t>(threadpool_));
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
  SetupKey key;
  for (size_t k = 0; k < inputs.size() && k < 2; ++k) key.inputs[k] = inputs[k]->data();
  key.output = output.data();
  key.batch = inputs[0]->shape()[0];
  if (!(key == plan.last_setup)) {
    plan.last_setup = SetupKey{};  // unknown until setup succeeds
    pthreadpool_t setup_pool = plan.parts_in_parallel ? nullptr : pool;  // see parts_in_parallel
    for (size_t k = 0; k < plan.ops.size(); ++k)
      if (plan.setup(plan.ops[k].get(), k, inputs, output, setup_pool) != xnn_status_success) return false;
    plan.last_setup = key;
  }
  if (plan.parts_in_parallel && pool) {
    std::atomic<bool> failed{false};
    pthreadpool_parallelize_1d(
        pool,
        [&](size_t k) {
          if (xnn_run_operator(plan.ops[k].get(), nullptr) != xnn_status_success) failed = true;
        },
        plan.ops.size());
    return !failed;
  }
  for (const OperatorPtr& op : plan.ops)
    if (xnn_run_operator(op.get(), pool) != xnn_status_success) return false;
  return true;
}

void XnnpackForward::before_backward() {
  // pthreadpool's workers spin for a long while after a task before they
  // sleep; during a backward pass on this engine's own pool they would hold a
  // core (measured: a 2-thread ResNet-18 gradient step 68 ms against 55 without
  // XNNPACK). An empty task with YIELD_WORKERS sends them to sleep at once.
  auto* pool = static_cast<pthreadpool_t>(threadpool_);
  if (!pool) return;
  pthreadpool_parallelize_1d(
      pool, [](void*, size_t) {}, nullptr, pthreadpool_get_threads_count(pool), PTHREADPOOL_FLAG_YIELD_WORKERS);
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
