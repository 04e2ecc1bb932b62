// Per-op lowering of ONNX nodes to engine ops (see onnx_lowering.h for the
// layout and folding rules). Sections:
//   1. helpers: outputs, aliases, per-channel constants, feature order
//   2. folding: affine maps (BatchNormalization, Add/Sub/Mul/Div by constants)
//   3. Conv, Gemm, MatMul
//   4. pooling, Pad
//   5. activations, Softmax, Clip
//   6. shapes: Flatten, Reshape, Squeeze, Unsqueeze, Concat
//   7. constants: Constant, Identity, Dropout, and folds of Shape, Gather, Cast, arithmetic
//   8. the table of ops
#include <algorithm>
#include <cmath>
#include <limits>

#include "model/onnx/onnx_lowering.h"
#include "nn/ops/add.h"
#include "nn/ops/avg_pool2d.h"
#include "nn/ops/batch_norm.h"
#include "nn/ops/clip.h"
#include "nn/ops/concat.h"
#include "nn/ops/conv2d.h"
#include "nn/ops/dense.h"
#include "nn/ops/flatten.h"
#include "nn/ops/global_avg_pool.h"
#include "nn/ops/hard_sigmoid.h"
#include "nn/ops/hard_swish.h"
#include "nn/ops/leaky_relu.h"
#include "nn/ops/max_pool2d.h"
#include "nn/ops/relu.h"
#include "nn/ops/scale.h"
#include "nn/ops/sigmoid.h"
#include "nn/ops/softmax.h"
#include "nn/ops/tanh.h"

namespace nl {

namespace {

using ConstPtr = std::shared_ptr<const ConstTensor>;

// ---- 1. helpers ---------------------------------------------------------------------------------

template <typename T>
std::unique_ptr<Op> as_op(std::unique_ptr<T> op) {
  return std::unique_ptr<Op>(std::move(op));
}

Status set_output(ImportContext& c, const OnnxNode& n, Value v, size_t i = 0) {
  if (i >= n.outputs.size() || n.outputs[i].empty()) return c.fail(n, "output " + std::to_string(i) + " is missing");
  c.set(n.outputs[i], std::move(v));
  return Status::Ok();
}

Status set_constant(ImportContext& c, const OnnxNode& n, ConstTensor t) {
  Value v;
  v.is_constant = true;
  v.constant = std::make_shared<ConstTensor>(std::move(t));
  return set_output(c, n, std::move(v));
}

// Output 0 is input `i`'s value itself (Identity, Dropout, ...). It stays
// foldable only if this node is the input's one reader.
Status alias(ImportContext& c, const OnnxNode& n, size_t i = 0, const std::vector<int64_t>* dims = nullptr) {
  const Value* v = c.find(n.inputs[i]);
  if (!v) return c.fail(n, "input '" + n.inputs[i] + "' has no value");
  Value out = *v;
  if (!out.is_constant) {
    out.foldable = v->foldable && c.uses(n.inputs[i]) == 1;
    if (dims) out.dims = *dims;
  }
  ++c.stats().aliases;
  return set_output(c, n, std::move(out));
}

int64_t product(const std::vector<int64_t>& dims, size_t from) {
  int64_t p = 1;
  for (size_t i = from; i < dims.size(); ++i) p *= dims[i];
  return p;
}

bool engine_4d(ImportContext& c, const Value& v) { return c.graph().node(v.node).shape.rank() == 4; }

// Requires an [N, C, H, W] tensor held as an engine [N, H, W, C] node.
Status require_4d(ImportContext& c, const OnnxNode& n, const Value& v) {
  if (v.dims.size() != 4)
    return c.fail(n, "needs an N x C x H x W input, got shape " + dims_str(v.dims) +
                         " (NeuronLens imports 2-D image models only)");
  if (!engine_4d(c, v))
    return c.fail(n, "its input " + dims_str(v.dims) +
                         " is held as a flat [N, C] tensor (after a global pool or a flatten), which this op cannot read");
  return Status::Ok();
}

// The ONNX feature index of engine feature j of a 2-D value (see Value::hwc).
int64_t onnx_feature(const Value& v, int64_t j) {
  if (!v.has_hwc()) return j;
  const int64_t C = v.hwc[0], H = v.hwc[1], W = v.hwc[2];
  const int64_t c = j % C, hw = j / C, h = hw / W, w = hw % W;
  return (c * H + h) * W + w;
}

// A constant operand as one value per channel (ONNX axis 1) of `x`: it must
// broadcast against x without growing it and vary along axis 1 at most.
Result<std::vector<double>> per_channel(ImportContext& c, const OnnxNode& n, const ConstTensor& k, const Value& x) {
  const size_t rank = x.dims.size();
  if (rank < 2) return c.fail(n, "needs an input with a batch and a channel axis, got " + dims_str(x.dims));
  if (k.dims.size() > rank)
    return c.fail(n, "a constant of shape " + dims_str(k.dims) + " would broadcast the " + dims_str(x.dims) +
                         " input to a larger rank");
  std::vector<int64_t> kd(rank - k.dims.size(), 1);
  kd.insert(kd.end(), k.dims.begin(), k.dims.end());
  const int64_t channels = x.dims[1];
  for (size_t a = 0; a < rank; ++a) {
    if (kd[a] == 1) continue;
    if (a == 1 && kd[a] == channels) continue;
    return c.fail(n, "a constant of shape " + dims_str(k.dims) + " against the input " + dims_str(x.dims) +
                         ": NeuronLens supports constants that are scalars or vary along the channel axis only");
  }
  std::vector<double> out(static_cast<size_t>(channels));
  for (int64_t ch = 0; ch < channels; ++ch) out[static_cast<size_t>(ch)] = k.at(kd[1] == 1 ? 0 : ch);
  for (double v : out)
    if (!std::isfinite(v)) return c.fail(n, "a constant operand holds a value that is not finite");
  return out;
}

// Per-channel values (ONNX order along axis 1) laid out in the engine's order
// along its last dimension.
std::vector<float> engine_order(const Value& v, const std::vector<double>& per_channel_values) {
  std::vector<float> out(per_channel_values.size());
  for (size_t j = 0; j < out.size(); ++j)
    out[j] = static_cast<float>(per_channel_values[static_cast<size_t>(onnx_feature(v, static_cast<int64_t>(j)))]);
  return out;
}

// ---- 2. folding -----------------------------------------------------------------------------------

// y = scale[c] * x + shift[c] per channel of input `x_name`: merged into the
// producing Conv2D or Dense when it is foldable and read only here; otherwise
// a Scale (one factor, no shift) or a BatchNorm with mean 0 and variance 1
// (eps 1e-30 makes sqrt(var + eps) exactly 1 in float32).
Status lower_affine(ImportContext& c, const OnnxNode& n, const std::string& x_name, const std::vector<double>& scale,
                    const std::vector<double>& shift, bool is_batchnorm) {
  const Value x = *c.find(x_name);
  if (x.foldable && c.uses(x_name) == 1) {
    Op* op = c.graph().node(x.node).op.get();
    Tensor* weight = nullptr;
    Tensor* bias = nullptr;
    if (auto* conv = dynamic_cast<Conv2D*>(op)) weight = &conv->weight, bias = &conv->bias;
    else if (auto* dense = dynamic_cast<Dense*>(op)) weight = &dense->weight, bias = &dense->bias;
    if (weight && bias && bias->elements() == static_cast<int64_t>(scale.size())) {
      const int64_t outs = bias->elements(), per_out = weight->elements() / outs;
      for (int64_t o = 0; o < outs; ++o) {
        const double s = scale[static_cast<size_t>(o)];
        float* w = weight->data() + o * per_out;
        for (int64_t k = 0; k < per_out; ++k) w[k] = static_cast<float>(w[k] * s);
        (*bias)[o] = static_cast<float>((*bias)[o] * s + shift[static_cast<size_t>(o)]);
      }
      ++(is_batchnorm ? c.stats().folded_batchnorms : c.stats().folded_affines);
      Value out = x;
      out.foldable = true;
      return set_output(c, n, out);
    }
  }
  auto xv = c.tensor_input(n, 0);
  if (!xv.ok()) return xv.status();
  const Value in = *xv.value();
  const bool uniform = std::all_of(scale.begin(), scale.end(), [&](double s) { return s == scale[0]; });
  const bool no_shift = std::all_of(shift.begin(), shift.end(), [](double t) { return t == 0.0; });
  if (uniform && no_shift) {
    if (scale[0] == 1.0) {
      Value out = in;
      out.foldable = false;
      ++c.stats().aliases;
      return set_output(c, n, out);
    }
    auto op = Scale::create(static_cast<float>(scale[0]));
    if (!op.ok()) return c.fail(n, op.status().message());
    auto out = c.add(n, as_op(std::move(op.value())), {in.node});
    if (!out.ok()) return out.status();
    out.value().dims = in.dims;
    out.value().hwc = in.hwc;
    return set_output(c, n, out.value());
  }
  const int64_t channels = static_cast<int64_t>(scale.size());
  NL_RETURN_IF_ERROR(c.reserve_parameters(n, 4 * channels));
  auto bn = BatchNorm::create(channels, 1e-30f);
  if (!bn.ok()) return c.fail(n, bn.status().message());
  const std::vector<float> s = engine_order(in, scale), t = engine_order(in, shift);
  std::copy(s.begin(), s.end(), bn.value()->weight.data());
  std::copy(t.begin(), t.end(), bn.value()->bias.data());
  auto out = c.add(n, as_op(std::move(bn.value())), {in.node});
  if (!out.ok()) return out.status();
  out.value().dims = in.dims;
  out.value().hwc = in.hwc;
  return set_output(c, n, out.value());
}

Status lower_batchnorm(ImportContext& c, const OnnxNode& n) {
  auto x = c.tensor_input_unpadded(n, 0);
  if (!x.ok()) return x.status();
  if (n.inputs.size() < 5) return c.fail(n, "needs 5 inputs (X, scale, B, mean, var)");
  ConstPtr k[4];
  for (size_t i = 0; i < 4; ++i) {
    auto p = c.constant_input(n, i + 1);
    if (!p.ok()) return p.status();
    k[i] = p.value();
  }
  auto eps = c.attr_float(n, "epsilon", 1e-5f);
  auto spatial = c.attr_int(n, "spatial", 1);
  auto training = c.attr_int(n, "training_mode", 0);
  for (const Status& s : {eps.status(), spatial.status(), training.status()}) NL_RETURN_IF_ERROR(s);
  if (spatial.value() != 1) return c.fail(n, "spatial = 0 (per-position statistics) is not supported");
  if (training.value() != 0) return c.fail(n, "training_mode = 1 is not supported: export the model in eval mode");
  if (!(eps.value() > 0.0f) || !std::isfinite(eps.value())) return c.fail(n, "epsilon must be positive and finite");
  NL_RETURN_IF_ERROR(c.check_unused_outputs(n, 1));
  const Value xv = *x.value();
  const int64_t channels = xv.dims.size() >= 2 ? xv.dims[1] : 0;
  for (const auto& p : k)
    if (p->elements() != channels || p->dims.size() != 1)
      return c.fail(n, "its parameters must be vectors of " + std::to_string(channels) + " values (the input's channels), got " +
                           dims_str(p->dims));
  std::vector<double> gamma(channels), beta(channels), mean(channels), var(channels), scale(channels), shift(channels);
  for (int64_t ch = 0; ch < channels; ++ch) {
    const size_t i = static_cast<size_t>(ch);
    gamma[i] = k[0]->at(ch), beta[i] = k[1]->at(ch), mean[i] = k[2]->at(ch), var[i] = k[3]->at(ch);
    if (!std::isfinite(gamma[i]) || !std::isfinite(beta[i]) || !std::isfinite(mean[i]) || !(var[i] >= 0.0) ||
        !std::isfinite(var[i]))
      return c.fail(n, "channel " + std::to_string(ch) + " has a parameter that is not finite or a negative variance");
    scale[i] = gamma[i] / std::sqrt(var[i] + static_cast<double>(eps.value()));
    shift[i] = beta[i] - mean[i] * scale[i];
  }
  if (xv.foldable && c.uses(n.inputs[0]) == 1 && !xv.has_pad())
    return lower_affine(c, n, n.inputs[0], scale, shift, /*is_batchnorm=*/true);
  // Not foldable: a real BatchNorm op, keeping the model's own statistics.
  auto in = c.tensor_input(n, 0);
  if (!in.ok()) return in.status();
  const Value v = *in.value();
  NL_RETURN_IF_ERROR(c.reserve_parameters(n, 4 * channels));
  auto bn = BatchNorm::create(channels, eps.value());
  if (!bn.ok()) return c.fail(n, bn.status().message());
  const std::vector<double>* sources[4] = {&gamma, &beta, &mean, &var};
  Tensor* targets[4] = {&bn.value()->weight, &bn.value()->bias, &bn.value()->running_mean, &bn.value()->running_var};
  for (int i = 0; i < 4; ++i) {
    const std::vector<float> values = engine_order(v, *sources[i]);
    std::copy(values.begin(), values.end(), targets[i]->data());
  }
  auto out = c.add(n, as_op(std::move(bn.value())), {v.node});
  if (!out.ok()) return out.status();
  out.value().dims = v.dims;
  out.value().hwc = v.hwc;
  return set_output(c, n, out.value());
}

// Add, Sub, Mul, Div. Two computed tensors: Add only (a residual join). A
// computed tensor and a constant: a per-channel affine map. Two constants: folded.
Status lower_binary(ImportContext& c, const OnnxNode& n) {
  if (n.inputs.size() != 2 || !c.has_input(n, 0) || !c.has_input(n, 1)) return c.fail(n, "needs 2 inputs");
  const bool const0 = c.input_is_constant(n, 0), const1 = c.input_is_constant(n, 1);
  const std::string& op = n.op_type;
  if (const0 && const1) {
    auto a = c.constant_input(n, 0);
    auto b = c.constant_input(n, 1);
    if (!a.ok()) return a.status();
    if (!b.ok()) return b.status();
    auto r = const_binary(op, *a.value(), *b.value());
    if (!r.ok()) return c.fail(n, r.status().message());
    return set_constant(c, n, std::move(r.value()));
  }
  if (!const0 && !const1) {
    if (op != "Add")
      return c.fail(n, op + " of two computed tensors is not supported (only Add, and " + op + " by a constant)");
    auto a = c.tensor_input(n, 0);
    if (!a.ok()) return a.status();
    const Value va = *a.value();
    auto b = c.tensor_input(n, 1);
    if (!b.ok()) return b.status();
    const Value vb = *b.value();
    if (va.dims != vb.dims || c.graph().node(va.node).shape != c.graph().node(vb.node).shape || va.hwc != vb.hwc)
      return c.fail(n, "adds tensors of shapes " + dims_str(va.dims) + " and " + dims_str(vb.dims) +
                           "; NeuronLens adds tensors of one shape only (no broadcasting)");
    auto add = Add::create();
    if (!add.ok()) return c.fail(n, add.status().message());
    auto out = c.add(n, as_op(std::move(add.value())), {va.node, vb.node});
    if (!out.ok()) return out.status();
    out.value().dims = va.dims;
    out.value().hwc = va.hwc;
    return set_output(c, n, out.value());
  }
  const size_t xi = const0 ? 1 : 0;
  auto xr = c.tensor_input_unpadded(n, xi);
  if (!xr.ok()) return xr.status();
  const Value x = *xr.value();
  auto k = c.constant_input(n, 1 - xi);
  if (!k.ok()) return k.status();
  auto values = per_channel(c, n, *k.value(), x);
  if (!values.ok()) return values.status();
  const std::vector<double>& v = values.value();
  const size_t C = v.size();
  std::vector<double> scale(C, 1.0), shift(C, 0.0);
  for (size_t i = 0; i < C; ++i) {
    if (op == "Add") shift[i] = v[i];
    else if (op == "Sub") {
      if (xi == 0) shift[i] = -v[i];                // x - k
      else scale[i] = -1.0, shift[i] = v[i];        // k - x
    } else if (op == "Mul") scale[i] = v[i];
    else {  // Div
      if (xi == 1) return c.fail(n, "dividing a constant by a computed tensor is not supported");
      if (v[i] == 0.0) return c.fail(n, "divides by a constant that is zero");
      scale[i] = 1.0 / v[i];
    }
  }
  if (x.has_pad()) {
    // An affine map does not commute with zero padding unless it keeps 0 at 0: apply the padding first.
    auto padded = c.tensor_input(n, xi);
    if (!padded.ok()) return padded.status();
  }
  if (xi == 1) {
    // lower_affine reads input 0 as the tensor: present the operands in that order.
    OnnxNode swapped = n;
    std::swap(swapped.inputs[0], swapped.inputs[1]);
    return lower_affine(c, swapped, swapped.inputs[0], scale, shift, false);
  }
  return lower_affine(c, n, n.inputs[0], scale, shift, false);
}

// ---- 3. Conv, Gemm, MatMul ------------------------------------------------------------------------

// Reads 2-element spatial attributes (strides, dilations, kernel_shape).
Result<std::array<int64_t, 2>> spatial_pair(ImportContext& c, const OnnxNode& n, const char* name, int64_t fallback,
                                            int64_t lo, int64_t hi) {
  auto v = c.attr_ints(n, name, {fallback, fallback});
  if (!v.ok()) return v.status();
  if (v.value().size() != 2)
    return c.fail(n, std::string("'") + name + "' must have 2 values (2-D), got " + dims_str(v.value()));
  for (int64_t x : v.value())
    if (x < lo || x > hi)
      return c.fail(n, std::string("'") + name + "' values must be in " + std::to_string(lo) + ".." + std::to_string(hi) +
                           ", got " + dims_str(v.value()));
  return std::array<int64_t, 2>{v.value()[0], v.value()[1]};
}

constexpr int64_t kMaxSpatial = int64_t{1} << 16;

// pads (top, left, bottom, right) from 'pads' or 'auto_pad', for input size in_h x in_w.
Result<std::array<int64_t, 4>> spatial_pads(ImportContext& c, const OnnxNode& n, int64_t in_h, int64_t in_w,
                                            std::array<int64_t, 2> kernel, std::array<int64_t, 2> stride,
                                            std::array<int64_t, 2> dilation) {
  auto auto_pad = c.attr_string(n, "auto_pad", "NOTSET");
  if (!auto_pad.ok()) return auto_pad.status();
  const std::string& mode = auto_pad.value();
  std::array<int64_t, 4> pads{0, 0, 0, 0};
  if (mode == "NOTSET") {
    auto p = c.attr_ints(n, "pads", {0, 0, 0, 0});
    if (!p.ok()) return p.status();
    if (p.value().size() != 4) return c.fail(n, "'pads' must have 4 values (2-D), got " + dims_str(p.value()));
    for (int64_t x : p.value())
      if (x < 0 || x > kMaxSpatial) return c.fail(n, "'pads' must be in 0.." + std::to_string(kMaxSpatial) + ", got " + dims_str(p.value()));
    // ONNX order: [x1_begin, x2_begin, x1_end, x2_end] = [top, left, bottom, right].
    pads = {p.value()[0], p.value()[1], p.value()[2], p.value()[3]};
  } else if (mode == "SAME_UPPER" || mode == "SAME_LOWER") {
    const int64_t in[2] = {in_h, in_w};
    for (int a = 0; a < 2; ++a) {
      const int64_t out = (in[a] + stride[a] - 1) / stride[a];
      const int64_t total = std::max<int64_t>(0, (out - 1) * stride[a] + (kernel[a] - 1) * dilation[a] + 1 - in[a]);
      const int64_t small = total / 2, large = total - small;
      pads[a] = mode == "SAME_UPPER" ? small : large;
      pads[a + 2] = mode == "SAME_UPPER" ? large : small;
    }
  } else if (mode != "VALID") {
    return c.fail(n, "auto_pad '" + mode + "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
  }
  return pads;
}

Status lower_conv(ImportContext& c, const OnnxNode& n) {
  auto xr = c.tensor_input_unpadded(n, 0);
  if (!xr.ok()) return xr.status();
  const Value x = *xr.value();
  NL_RETURN_IF_ERROR(require_4d(c, n, x));
  auto wr = c.constant_input(n, 1);
  if (!wr.ok()) return wr.status();
  auto br = c.constant_input(n, 2, /*optional=*/true);
  if (!br.ok()) return br.status();
  const ConstTensor& w = *wr.value();
  if (w.dims.size() != 4 || w.is_int)
    return c.fail(n, "the weight must be a float tensor [O, I/groups, KH, KW] (2-D convolution), got " + dims_str(w.dims));
  auto group = c.attr_int(n, "group", 1);
  if (!group.ok()) return group.status();
  auto strides = spatial_pair(c, n, "strides", 1, 1, kMaxSpatial);
  auto dilations = spatial_pair(c, n, "dilations", 1, 1, kMaxSpatial);
  for (const Status& s : {strides.status(), dilations.status()}) NL_RETURN_IF_ERROR(s);
  const int64_t O = w.dims[0], I = w.dims[1], KH = w.dims[2], KW = w.dims[3];
  if (c.has_attr(n, "kernel_shape")) {
    auto k = c.attr_ints(n, "kernel_shape", {});
    if (!k.ok()) return k.status();
    if (k.value() != std::vector<int64_t>{KH, KW})
      return c.fail(n, "kernel_shape " + dims_str(k.value()) + " disagrees with the weight " + dims_str(w.dims));
  }
  const int64_t in_channels = x.dims[1];
  if (group.value() < 1 || I * group.value() != in_channels)
    return c.fail(n, "the weight " + dims_str(w.dims) + " with group " + std::to_string(group.value()) + " expects " +
                         std::to_string(I * group.value()) + " input channels, the input " + dims_str(x.dims) + " has " +
                         std::to_string(in_channels));
  auto pads = spatial_pads(c, n, x.dims[2], x.dims[3], {KH, KW}, strides.value(), dilations.value());
  if (!pads.ok()) return pads.status();
  // Pending zero padding from a Pad node becomes part of this convolution's padding.
  const int64_t total[4] = {pads.value()[0] + x.pad[0], pads.value()[1] + x.pad[1], pads.value()[2] + x.pad[2],
                            pads.value()[3] + x.pad[3]};
  for (int64_t p : total)
    if (p > kMaxSpatial) return c.fail(n, "padding larger than " + std::to_string(kMaxSpatial));
  if (KH > kMaxSpatial || KW > kMaxSpatial || O < 1 || O > (int64_t{1} << 24))
    return c.fail(n, "the weight " + dims_str(w.dims) + " is out of range");
  Conv2DParams p;
  p.in_channels = in_channels;
  p.out_channels = O;
  p.kernel_h = static_cast<int>(KH);
  p.kernel_w = static_cast<int>(KW);
  p.stride_h = static_cast<int>(strides.value()[0]);
  p.stride_w = static_cast<int>(strides.value()[1]);
  p.dilation_h = static_cast<int>(dilations.value()[0]);
  p.dilation_w = static_cast<int>(dilations.value()[1]);
  p.pad_top = static_cast<int>(total[0]);
  p.pad_left = static_cast<int>(total[1]);
  p.pad_bottom = static_cast<int>(total[2]);
  p.pad_right = static_cast<int>(total[3]);
  p.groups = static_cast<int>(group.value());
  p.has_bias = true;  // always: following Add/BatchNorm fold into it
  const ConstTensor* b = br.value().get();
  if (b && (b->elements() != O || b->is_int))
    return c.fail(n, "the bias has shape " + dims_str(b->dims) + ", expected [" + std::to_string(O) + "]");
  NL_RETURN_IF_ERROR(c.reserve_parameters(n, w.elements() + O));
  auto conv = Conv2D::create(p);
  if (!conv.ok()) return c.fail(n, conv.status().message());
  // [O, I, KH, KW] -> [O, KH, KW, I]
  float* dst = conv.value()->weight.data();
  for (int64_t o = 0; o < O; ++o)
    for (int64_t kh = 0; kh < KH; ++kh)
      for (int64_t kw = 0; kw < KW; ++kw)
        for (int64_t i = 0; i < I; ++i)
          *dst++ = w.floats[static_cast<size_t>(((o * I + i) * KH + kh) * KW + kw)];
  if (b) std::copy(b->floats.begin(), b->floats.end(), conv.value()->bias.data());
  for (int64_t i = 0; i < conv.value()->weight.elements(); ++i)
    if (!std::isfinite(conv.value()->weight[i])) return c.fail(n, "the weight holds a value that is not finite");
  if (x.has_pad()) ++c.stats().folded_pads;
  auto out = c.add(n, as_op(std::move(conv.value())), {x.node});
  if (!out.ok()) return out.status();
  out.value().foldable = true;
  return set_output(c, n, out.value());
}

// A Dense layer y = x W^T + b from Gemm or MatMul. `weight(o, k)` gives W in ONNX's
// feature order; the engine's input features may be in H, W, C order (Value::hwc).
template <typename WeightAt>
Status add_dense(ImportContext& c, const OnnxNode& n, const Value& x, int64_t out_features, WeightAt weight,
                 const std::vector<double>& bias) {
  const int64_t in_features = x.dims[1];
  NL_RETURN_IF_ERROR(c.reserve_parameters(n, in_features * out_features + out_features));
  auto dense = Dense::create(in_features, out_features, true);
  if (!dense.ok()) return c.fail(n, dense.status().message());
  float* w = dense.value()->weight.data();
  for (int64_t o = 0; o < out_features; ++o)
    for (int64_t j = 0; j < in_features; ++j) {
      const float v = weight(o, onnx_feature(x, j));
      if (!std::isfinite(v)) return c.fail(n, "the weight holds a value that is not finite");
      *w++ = v;
    }
  for (int64_t o = 0; o < out_features; ++o) dense.value()->bias[o] = static_cast<float>(bias[static_cast<size_t>(o)]);
  auto out = c.add(n, as_op(std::move(dense.value())), {x.node});
  if (!out.ok()) return out.status();
  out.value().foldable = true;
  return set_output(c, n, out.value());
}

Result<Value> flat_input(ImportContext& c, const OnnxNode& n) {
  auto xr = c.tensor_input(n, 0);
  if (!xr.ok()) return xr.status();
  const Value x = *xr.value();
  if (x.dims.size() != 2 || c.graph().node(x.node).shape.rank() != 2)
    return c.fail(n, "needs an [N, features] input, got " + dims_str(x.dims) +
                         " (flatten it first; matrix products over other axes are not supported)");
  return x;
}

Status lower_gemm(ImportContext& c, const OnnxNode& n) {
  auto xr = flat_input(c, n);
  if (!xr.ok()) return xr.status();
  const Value x = xr.value();
  auto br = c.constant_input(n, 1);
  if (!br.ok()) return br.status();
  auto cr = c.constant_input(n, 2, true);
  if (!cr.ok()) return cr.status();
  auto trans_a = c.attr_int(n, "transA", 0), trans_b = c.attr_int(n, "transB", 0);
  auto alpha = c.attr_float(n, "alpha", 1.0f), beta = c.attr_float(n, "beta", 1.0f);
  for (const Status& s : {trans_a.status(), trans_b.status(), alpha.status(), beta.status()}) NL_RETURN_IF_ERROR(s);
  if (trans_a.value() != 0) return c.fail(n, "transA = 1 is not supported (the input must be [N, K])");
  const ConstTensor& B = *br.value();
  if (B.dims.size() != 2 || B.is_int) return c.fail(n, "B must be a 2-D float constant, got " + dims_str(B.dims));
  const bool tb = trans_b.value() != 0;
  const int64_t K = tb ? B.dims[1] : B.dims[0], M = tb ? B.dims[0] : B.dims[1];
  if (K != x.dims[1])
    return c.fail(n, "B " + dims_str(B.dims) + (tb ? " (transposed)" : "") + " does not match the input " + dims_str(x.dims));
  std::vector<double> bias(static_cast<size_t>(M), 0.0);
  if (cr.value()) {
    Value shape_of_y;
    shape_of_y.dims = {1, M};
    auto per = per_channel(c, n, *cr.value(), shape_of_y);
    if (!per.ok()) return per.status();
    for (int64_t o = 0; o < M; ++o) bias[static_cast<size_t>(o)] = beta.value() * per.value()[static_cast<size_t>(o)];
  }
  const float a = alpha.value();
  return add_dense(c, n, x, M,
                   [&](int64_t o, int64_t k) {
                     return a * B.floats[static_cast<size_t>(tb ? o * K + k : k * M + o)];
                   },
                   bias);
}

Status lower_matmul(ImportContext& c, const OnnxNode& n) {
  if (!c.input_is_constant(n, 1))
    return c.fail(n, "MatMul is supported with a constant right-hand side (a dense layer) only");
  auto xr = flat_input(c, n);
  if (!xr.ok()) return xr.status();
  const Value x = xr.value();
  auto br = c.constant_input(n, 1);
  if (!br.ok()) return br.status();
  const ConstTensor& B = *br.value();
  if (B.dims.size() != 2 || B.is_int || B.dims[0] != x.dims[1])
    return c.fail(n, "needs a [K, M] float constant with K = " + std::to_string(x.dims[1]) + ", got " + dims_str(B.dims));
  const int64_t M = B.dims[1];
  return add_dense(c, n, x, M, [&](int64_t o, int64_t k) { return B.floats[static_cast<size_t>(k * M + o)]; },
                   std::vector<double>(static_cast<size_t>(M), 0.0));
}

// ---- 4. pooling, Pad --------------------------------------------------------------------------------

Result<Pool2DParams> pool_params(ImportContext& c, const OnnxNode& n, const Value& x) {
  auto kernel = c.attr_ints(n, "kernel_shape", {});
  if (!kernel.ok()) return kernel.status();
  if (kernel.value().size() != 2)
    return c.fail(n, "'kernel_shape' must have 2 values (2-D pooling), got " + dims_str(kernel.value()));
  for (int64_t k : kernel.value())
    if (k < 1 || k > kMaxSpatial) return c.fail(n, "'kernel_shape' values must be in 1.." + std::to_string(kMaxSpatial));
  auto strides = spatial_pair(c, n, "strides", 1, 1, kMaxSpatial);
  if (!strides.ok()) return strides.status();
  if (c.has_attr(n, "dilations")) {
    auto d = spatial_pair(c, n, "dilations", 1, 1, kMaxSpatial);
    if (!d.ok()) return d.status();
    if (d.value()[0] != 1 || d.value()[1] != 1) return c.fail(n, "dilated pooling is not supported");
  }
  auto ceil_mode = c.attr_int(n, "ceil_mode", 0);
  if (!ceil_mode.ok()) return ceil_mode.status();
  const std::array<int64_t, 2> k = {kernel.value()[0], kernel.value()[1]};
  auto pads = spatial_pads(c, n, x.dims[2], x.dims[3], k, strides.value(), {1, 1});
  if (!pads.ok()) return pads.status();
  Pool2DParams p;
  p.kernel_h = static_cast<int>(k[0]);
  p.kernel_w = static_cast<int>(k[1]);
  p.stride_h = static_cast<int>(strides.value()[0]);
  p.stride_w = static_cast<int>(strides.value()[1]);
  p.pad_top = static_cast<int>(pads.value()[0]);
  p.pad_left = static_cast<int>(pads.value()[1]);
  p.pad_bottom = static_cast<int>(pads.value()[2]);
  p.pad_right = static_cast<int>(pads.value()[3]);
  p.ceil_mode = ceil_mode.value() != 0;
  return p;
}

Status add_pool(ImportContext& c, const OnnxNode& n, const Value& x, Result<std::unique_ptr<Op>> op) {
  if (!op.ok()) return c.fail(n, op.status().message());
  auto out = c.add(n, std::move(op.value()), {x.node});
  if (!out.ok()) return out.status();
  return set_output(c, n, out.value());
}

Status lower_maxpool(ImportContext& c, const OnnxNode& n) {
  auto xr = c.tensor_input(n, 0);  // padding by a Pad node is zeros, not MaxPool's -infinity: apply it
  if (!xr.ok()) return xr.status();
  const Value x = *xr.value();
  NL_RETURN_IF_ERROR(require_4d(c, n, x));
  auto order = c.attr_int(n, "storage_order", 0);
  if (!order.ok()) return order.status();
  if (order.value() != 0) return c.fail(n, "storage_order = 1 is not supported");
  NL_RETURN_IF_ERROR(c.check_unused_outputs(n, 1));
  auto p = pool_params(c, n, x);
  if (!p.ok()) return p.status();
  auto op = MaxPool2D::create(p.value());
  return add_pool(c, n, x, op.ok() ? Result<std::unique_ptr<Op>>(as_op(std::move(op.value()))) : op.status());
}

Status lower_avgpool(ImportContext& c, const OnnxNode& n) {
  auto xr = c.tensor_input_unpadded(n, 0);
  if (!xr.ok()) return xr.status();
  Value x = *xr.value();
  NL_RETURN_IF_ERROR(require_4d(c, n, x));
  auto include = c.attr_int(n, "count_include_pad", 0);
  if (!include.ok()) return include.status();
  auto p = pool_params(c, n, x);
  if (!p.ok()) return p.status();
  Pool2DParams params = p.value();
  params.count_include_pad = include.value() != 0;
  if (x.has_pad()) {
    // Zeros from a Pad node count in the average: absorb them only where the
    // pool would count its own padding the same way (and ceil_mode's rule
    // about windows starting in the padding cannot tell them apart).
    const bool own_pads = params.pad_top || params.pad_left || params.pad_bottom || params.pad_right;
    const int total[4] = {params.pad_top + x.pad[0], params.pad_left + x.pad[1], params.pad_bottom + x.pad[2],
                          params.pad_right + x.pad[3]};
    const bool fits = total[0] < params.kernel_h && total[2] < params.kernel_h && total[1] < params.kernel_w &&
                      total[3] < params.kernel_w;
    if (!params.ceil_mode && (params.count_include_pad || !own_pads) && fits) {
      params.pad_top = total[0], params.pad_left = total[1], params.pad_bottom = total[2], params.pad_right = total[3];
      params.count_include_pad = true;
      ++c.stats().folded_pads;
    } else {
      auto padded = c.tensor_input(n, 0);
      if (!padded.ok()) return padded.status();
      x = *padded.value();
    }
  }
  auto op = AvgPool2D::create(params);
  return add_pool(c, n, x, op.ok() ? Result<std::unique_ptr<Op>>(as_op(std::move(op.value()))) : op.status());
}

// GlobalAveragePool gives [N, C, 1, 1]: held as the engine's [N, C] unless a
// reader needs a 4-D tensor, then as an H x W average pool keeping [N, 1, 1, C].
Status lower_global_avgpool(ImportContext& c, const OnnxNode& n) {
  auto xr = c.tensor_input(n, 0);
  if (!xr.ok()) return xr.status();
  const Value x = *xr.value();
  NL_RETURN_IF_ERROR(require_4d(c, n, x));
  bool spatial_reader = false;
  for (const OnnxNode* r : c.readers(n.outputs[0]))
    spatial_reader |= r->op_type == "Conv" || r->op_type == "MaxPool" || r->op_type == "AveragePool" ||
                      r->op_type == "GlobalAveragePool" || r->op_type == "Pad";
  if (spatial_reader) {
    Pool2DParams p;
    p.kernel_h = p.stride_h = static_cast<int>(x.dims[2]);
    p.kernel_w = p.stride_w = static_cast<int>(x.dims[3]);
    auto op = AvgPool2D::create(p);
    return add_pool(c, n, x, op.ok() ? Result<std::unique_ptr<Op>>(as_op(std::move(op.value()))) : op.status());
  }
  auto op = GlobalAvgPool::create();
  if (!op.ok()) return c.fail(n, op.status().message());
  auto out = c.add(n, as_op(std::move(op.value())), {x.node});
  if (!out.ok()) return out.status();
  out.value().dims = {x.dims[0], x.dims[1], 1, 1};
  return set_output(c, n, out.value());
}

Status lower_pad(ImportContext& c, const OnnxNode& n) {
  auto xr = c.tensor_input_unpadded(n, 0);
  if (!xr.ok()) return xr.status();
  const Value x = *xr.value();
  std::vector<int64_t> pads;
  double value = 0.0;
  std::string mode;
  if (c.opset() < 11) {
    auto p = c.attr_ints(n, "pads", {});
    auto v = c.attr_float(n, "value", 0.0f);
    auto m = c.attr_string(n, "mode", "constant");
    for (const Status& s : {p.status(), v.status(), m.status()}) NL_RETURN_IF_ERROR(s);
    pads = p.value(), value = v.value(), mode = m.value();
  } else {
    auto m = c.attr_string(n, "mode", "constant");
    if (!m.ok()) return m.status();
    mode = m.value();
    auto p = c.constant_input(n, 1);
    if (!p.ok()) return p.status();
    auto ints = const_as_ints(*p.value(), "pads");
    if (!ints.ok()) return c.fail(n, ints.status().message());
    pads = ints.value();
    auto v = c.constant_input(n, 2, true);
    if (!v.ok()) return v.status();
    if (v.value()) {
      if (v.value()->elements() != 1) return c.fail(n, "constant_value must be a scalar");
      value = v.value()->at(0);
    }
    if (c.has_input(n, 3)) return c.fail(n, "the 'axes' input is not supported");
  }
  if (mode != "constant") return c.fail(n, "mode '" + mode + "' is not supported (only constant zero padding)");
  const size_t rank = x.dims.size();
  if (pads.size() != 2 * rank) return c.fail(n, "'pads' must have " + std::to_string(2 * rank) + " values, got " + dims_str(pads));
  if (std::all_of(pads.begin(), pads.end(), [](int64_t p) { return p == 0; })) return alias(c, n);
  if (value != 0.0) return c.fail(n, "padding with " + std::to_string(value) + " is not supported (only zeros)");
  if (rank != 4 || pads[0] || pads[1] || pads[4] || pads[5])
    return c.fail(n, "pads " + dims_str(pads) + " on " + dims_str(x.dims) +
                         ": only the height and width of an N x C x H x W tensor can be padded");
  for (int64_t p : pads)
    if (p < 0 || p > kMaxSpatial) return c.fail(n, "pads " + dims_str(pads) + " must be in 0.." + std::to_string(kMaxSpatial) + " (no cropping)");
  NL_RETURN_IF_ERROR(require_4d(c, n, x));
  Value out = x;
  out.foldable = false;
  out.pad[0] += static_cast<int>(pads[2]);
  out.pad[1] += static_cast<int>(pads[3]);
  out.pad[2] += static_cast<int>(pads[6]);
  out.pad[3] += static_cast<int>(pads[7]);
  for (int p : out.pad)
    if (p > kMaxSpatial) return c.fail(n, "accumulated padding larger than " + std::to_string(kMaxSpatial));
  out.dims[2] += pads[2] + pads[6];
  out.dims[3] += pads[3] + pads[7];
  return set_output(c, n, out);
}

// ---- 5. activations, Softmax, Clip -------------------------------------------------------------------

Status add_unary(ImportContext& c, const OnnxNode& n, Result<std::unique_ptr<Op>> op) {
  if (!op.ok()) return c.fail(n, op.status().message());
  auto xr = c.tensor_input(n, 0);
  if (!xr.ok()) return xr.status();
  const Value x = *xr.value();
  auto out = c.add(n, std::move(op.value()), {x.node});
  if (!out.ok()) return out.status();
  out.value().dims = x.dims;
  out.value().hwc = x.hwc;
  return set_output(c, n, out.value());
}

template <typename T>
Result<std::unique_ptr<Op>> op_result(Result<std::unique_ptr<T>> r) {
  if (!r.ok()) return r.status();
  return as_op(std::move(r.value()));
}

Status lower_activation(ImportContext& c, const OnnxNode& n) {
  const std::string& t = n.op_type;
  if (t == "Relu") return add_unary(c, n, op_result(ReLU::create()));
  if (t == "Sigmoid") return add_unary(c, n, op_result(Sigmoid::create()));
  if (t == "Tanh") return add_unary(c, n, op_result(Tanh::create()));
  if (t == "HardSwish") return add_unary(c, n, op_result(HardSwish::create()));
  if (t == "LeakyRelu") {
    auto alpha = c.attr_float(n, "alpha", 0.01f);
    if (!alpha.ok()) return alpha.status();
    return add_unary(c, n, op_result(LeakyReLU::create(alpha.value())));
  }
  auto alpha = c.attr_float(n, "alpha", 0.2f), beta = c.attr_float(n, "beta", 0.5f);  // HardSigmoid
  for (const Status& s : {alpha.status(), beta.status()}) NL_RETURN_IF_ERROR(s);
  return add_unary(c, n, op_result(HardSigmoid::create(alpha.value(), beta.value())));
}

Status lower_softmax(ImportContext& c, const OnnxNode& n) {
  auto xr = c.tensor_input(n, 0);
  if (!xr.ok()) return xr.status();
  const Value x = *xr.value();
  const int64_t rank = static_cast<int64_t>(x.dims.size());
  auto axis_r = c.attr_int(n, "axis", c.opset() >= 13 ? -1 : 1);
  if (!axis_r.ok()) return axis_r.status();
  int64_t axis = axis_r.value() < 0 ? axis_r.value() + rank : axis_r.value();
  if (axis < 0 || axis >= rank) return c.fail(n, "axis " + std::to_string(axis_r.value()) + " is outside the input's rank");
  // The engine's softmax runs over its last dimension: the channels of [N, H, W, C], the
  // features of [N, F]. Before opset 13 ONNX's softmax covers every axis from `axis` on,
  // so on [N, C, H, W] it matches only when H = W = 1.
  const bool ok = axis == 1 && (!engine_4d(c, x) || c.opset() >= 13 || (x.dims[2] == 1 && x.dims[3] == 1));
  if (!ok)
    return c.fail(n, "softmax over axis " + std::to_string(axis) + " of " + dims_str(x.dims) +
                         " is not supported (only over the channels or features)");
  return add_unary(c, n, op_result(Softmax::create()));
}

Status lower_clip(ImportContext& c, const OnnxNode& n) {
  float lo = -std::numeric_limits<float>::infinity(), hi = std::numeric_limits<float>::infinity();
  if (c.opset() < 11) {
    auto a = c.attr_float(n, "min", lo), b = c.attr_float(n, "max", hi);
    for (const Status& s : {a.status(), b.status()}) NL_RETURN_IF_ERROR(s);
    lo = a.value(), hi = b.value();
  } else {
    for (size_t i = 1; i <= 2; ++i) {
      auto k = c.constant_input(n, i, true);
      if (!k.ok()) return k.status();
      if (!k.value()) continue;
      if (k.value()->elements() != 1) return c.fail(n, std::string(i == 1 ? "min" : "max") + " must be a scalar");
      (i == 1 ? lo : hi) = static_cast<float>(k.value()->at(0));
    }
  }
  if (std::isnan(lo) || std::isnan(hi) || lo > hi)
    return c.fail(n, "needs min <= max, got min " + std::to_string(lo) + ", max " + std::to_string(hi));
  return add_unary(c, n, op_result(Clip::create(lo, hi)));
}

// ---- 6. shapes -------------------------------------------------------------------------------------

// Gives the computed input 0 the ONNX shape `target` where that only flattens
// ([N, C, H, W] -> [N, C*H*W]) or adds or removes trailing 1s.
Status reshape_tensor(ImportContext& c, const OnnxNode& n, const std::vector<int64_t>& target) {
  auto xr = c.tensor_input(n, 0);
  if (!xr.ok()) return xr.status();
  const Value x = *xr.value();
  if (target == x.dims) return alias(c, n);
  const auto fail = [&](const std::string& why) {
    return c.fail(n, "reshapes " + dims_str(x.dims) + " to " + dims_str(target) + ", " + why +
                         "; NeuronLens supports Reshape, Flatten, Squeeze and Unsqueeze only where they flatten "
                         "[N, C, H, W] to [N, C*H*W] or add or remove trailing 1s");
  };
  if (target.size() < 2 || x.dims.size() < 2) return fail("which removes the batch or feature axis");
  if (target[0] != x.dims[0]) return fail("which changes the batch axis");
  if (product(target, 2) != 1) return fail("which is not a flatten");
  if (!engine_4d(c, x)) return alias(c, n, 0, &target);
  auto flatten = Flatten::create();
  if (!flatten.ok()) return c.fail(n, flatten.status().message());
  auto out = c.add(n, as_op(std::move(flatten.value())), {x.node});
  if (!out.ok()) return out.status();
  out.value().dims = target;
  if (x.dims[1] > 1 && x.dims[2] * x.dims[3] > 1) out.value().hwc = {x.dims[1], x.dims[2], x.dims[3]};
  return set_output(c, n, out.value());
}

Status reshape_constant(ImportContext& c, const OnnxNode& n, std::vector<int64_t> target) {
  auto k = c.constant_input(n, 0);
  if (!k.ok()) return k.status();
  ConstTensor t = *k.value();
  if (dims_elements(target) != t.elements())
    return c.fail(n, "reshapes a constant of shape " + dims_str(t.dims) + " to " + dims_str(target));
  t.dims = std::move(target);
  return set_constant(c, n, std::move(t));
}

const std::vector<int64_t>* input_dims(ImportContext& c, const OnnxNode& n, size_t i, std::vector<int64_t>* storage) {
  if (!c.has_input(n, i)) return nullptr;
  const Value* v = c.find(n.inputs[i]);
  if (!v) return nullptr;
  if (!v->is_constant) return &v->dims;
  *storage = v->constant ? v->constant->dims : v->initializer->dims;
  return storage;
}

Status lower_flatten(ImportContext& c, const OnnxNode& n) {
  std::vector<int64_t> storage;
  const std::vector<int64_t>* dims = input_dims(c, n, 0, &storage);
  if (!dims) return c.fail(n, "input 0 has no value");
  const int64_t rank = static_cast<int64_t>(dims->size());
  auto axis_r = c.attr_int(n, "axis", 1);
  if (!axis_r.ok()) return axis_r.status();
  const int64_t axis = axis_r.value() < 0 ? axis_r.value() + rank : axis_r.value();
  if (axis < 0 || axis > rank) return c.fail(n, "axis " + std::to_string(axis_r.value()) + " is outside the input's rank");
  std::vector<int64_t> target = {product(std::vector<int64_t>(dims->begin(), dims->begin() + axis), 0),
                                 product(*dims, static_cast<size_t>(axis))};
  if (c.input_is_constant(n, 0)) return reshape_constant(c, n, target);
  if (axis != 1) return c.fail(n, "axis " + std::to_string(axis) + " is not supported (only 1: [N, ...] -> [N, features])");
  return reshape_tensor(c, n, target);
}

Status lower_reshape(ImportContext& c, const OnnxNode& n) {
  std::vector<int64_t> storage;
  const std::vector<int64_t>* dims = input_dims(c, n, 0, &storage);
  if (!dims) return c.fail(n, "input 0 has no value");
  auto shape = c.constant_input(n, 1);
  if (!shape.ok()) return shape.status();
  auto ints = const_as_ints(*shape.value(), "the shape");
  if (!ints.ok()) return c.fail(n, ints.status().message());
  auto allowzero = c.attr_int(n, "allowzero", 0);
  if (!allowzero.ok()) return allowzero.status();
  std::vector<int64_t> target = ints.value();
  if (target.size() > OnnxLimits::kMaxRank) return c.fail(n, "the target shape has too many dimensions");
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == 0 && allowzero.value() == 0) {
      if (i >= dims->size()) return c.fail(n, "shape " + dims_str(ints.value()) + " copies a dimension the input lacks");
      target[i] = (*dims)[i];
    }
    if (target[i] == -1) {
      if (infer >= 0) return c.fail(n, "shape " + dims_str(ints.value()) + " has more than one -1");
      infer = static_cast<int>(i);
    } else if (target[i] < 0) {
      return c.fail(n, "shape " + dims_str(ints.value()) + " has a negative dimension");
    } else {
      known = target[i] == 0 || known <= OnnxLimits::kMaxTensorElements / target[i] ? known * target[i] : -1;
      if (known < 0) return c.fail(n, "shape " + dims_str(ints.value()) + " is too large");
    }
  }
  const int64_t total = dims_elements(*dims);
  if (infer >= 0) {
    if (known == 0 || total % known != 0)
      return c.fail(n, "cannot reshape " + dims_str(*dims) + " to " + dims_str(ints.value()));
    target[static_cast<size_t>(infer)] = total / known;
  }
  if (dims_elements(target) != total) return c.fail(n, "cannot reshape " + dims_str(*dims) + " to " + dims_str(ints.value()));
  if (c.input_is_constant(n, 0)) return reshape_constant(c, n, target);
  return reshape_tensor(c, n, target);
}

// Squeeze/Unsqueeze axes: an attribute before opset 13, an input from 13.
Result<std::vector<int64_t>> axes_of(ImportContext& c, const OnnxNode& n, bool* present) {
  *present = true;
  if (c.opset() < 13) {
    *present = c.has_attr(n, "axes");
    return c.attr_ints(n, "axes", {});
  }
  auto k = c.constant_input(n, 1, true);
  if (!k.ok()) return k.status();
  if (!k.value()) {
    *present = false;
    return std::vector<int64_t>{};
  }
  auto ints = const_as_ints(*k.value(), "axes");
  if (!ints.ok()) return c.fail(n, ints.status().message());
  return ints.value();
}

Status lower_squeeze_unsqueeze(ImportContext& c, const OnnxNode& n) {
  std::vector<int64_t> storage;
  const std::vector<int64_t>* dims = input_dims(c, n, 0, &storage);
  if (!dims) return c.fail(n, "input 0 has no value");
  bool present = false;
  auto axes_r = axes_of(c, n, &present);
  if (!axes_r.ok()) return axes_r.status();
  const bool squeeze = n.op_type == "Squeeze";
  const int64_t in_rank = static_cast<int64_t>(dims->size());
  const int64_t out_rank = squeeze ? in_rank : in_rank + static_cast<int64_t>(axes_r.value().size());
  if (out_rank > static_cast<int64_t>(OnnxLimits::kMaxRank)) return c.fail(n, "the result has too many dimensions");
  std::vector<bool> marked(static_cast<size_t>(squeeze ? in_rank : out_rank), false);
  for (int64_t a : axes_r.value()) {
    const int64_t r = squeeze ? in_rank : out_rank;
    const int64_t axis = a < 0 ? a + r : a;
    if (axis < 0 || axis >= r || marked[static_cast<size_t>(axis)])
      return c.fail(n, "axes " + dims_str(axes_r.value()) + " are invalid or repeated for rank " + std::to_string(r));
    marked[static_cast<size_t>(axis)] = true;
  }
  std::vector<int64_t> target;
  if (squeeze) {
    for (int64_t i = 0; i < in_rank; ++i) {
      const bool drop = present ? marked[static_cast<size_t>(i)] : (*dims)[static_cast<size_t>(i)] == 1;
      if (drop && (*dims)[static_cast<size_t>(i)] != 1)
        return c.fail(n, "cannot squeeze axis " + std::to_string(i) + " of " + dims_str(*dims) + ": its size is not 1");
      if (!drop) target.push_back((*dims)[static_cast<size_t>(i)]);
    }
    if (!present && !c.input_is_constant(n, 0) && !target.empty() && (*dims)[0] == 1)
      target.insert(target.begin(), 1);  // the batch of 1 stays: squeezing it would be an artefact of fixing it
  } else {
    size_t next = 0;
    for (int64_t i = 0; i < out_rank; ++i) target.push_back(marked[static_cast<size_t>(i)] ? 1 : (*dims)[next++]);
  }
  if (c.input_is_constant(n, 0)) return reshape_constant(c, n, target);
  return reshape_tensor(c, n, target);
}

Status lower_concat(ImportContext& c, const OnnxNode& n) {
  if (n.inputs.empty()) return c.fail(n, "needs at least one input");
  auto axis_r = c.attr_int(n, "axis", 1);
  if (!axis_r.ok()) return axis_r.status();
  size_t constants = 0;
  for (size_t i = 0; i < n.inputs.size(); ++i) constants += c.input_is_constant(n, i);
  if (constants == n.inputs.size()) {
    // Shape arithmetic: join 1-D constants.
    ConstTensor out;
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      auto k = c.constant_input(n, i);
      if (!k.ok()) return k.status();
      const ConstTensor& t = *k.value();
      if (t.dims.size() != 1) return c.fail(n, "concatenating constants is supported for 1-D constants only");
      if (i == 0) out.is_int = t.is_int;
      if (t.is_int != out.is_int) return c.fail(n, "concatenates integer and float constants");
      if (out.elements() + t.elements() > kMaxFoldedElements) return c.fail(n, "the folded constant is too large");
      out.ints.insert(out.ints.end(), t.ints.begin(), t.ints.end());
      out.floats.insert(out.floats.end(), t.floats.begin(), t.floats.end());
    }
    out.dims = {out.elements()};
    return set_constant(c, n, std::move(out));
  }
  if (constants > 0) return c.fail(n, "concatenates computed tensors with constants, which is not supported");
  if (n.inputs.size() == 1) return alias(c, n);
  std::vector<Value> xs;
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    auto x = c.tensor_input(n, i);
    if (!x.ok()) return x.status();
    xs.push_back(*x.value());
  }
  const int64_t rank = static_cast<int64_t>(xs[0].dims.size());
  const int64_t axis = axis_r.value() < 0 ? axis_r.value() + rank : axis_r.value();
  std::vector<int> ids;
  std::vector<int64_t> dims = xs[0].dims;
  dims[1] = 0;
  for (const Value& x : xs) {
    bool same = x.dims.size() == xs[0].dims.size() && engine_4d(c, x) == engine_4d(c, xs[0]) && !x.has_hwc();
    for (size_t a = 0; same && a < x.dims.size(); ++a) same = a == 1 || x.dims[a] == xs[0].dims[a];
    if (axis != 1 || !same)
      return c.fail(n, "concatenation is supported along the channel axis (1) of tensors that agree elsewhere; got axis " +
                           std::to_string(axis_r.value()) + " and shapes " + dims_str(xs[0].dims) + ", " + dims_str(x.dims));
    dims[1] += x.dims[1];
    ids.push_back(x.node);
  }
  auto op = Concat::create();
  if (!op.ok()) return c.fail(n, op.status().message());
  auto out = c.add(n, as_op(std::move(op.value())), ids);
  if (!out.ok()) return out.status();
  out.value().dims = dims;
  return set_output(c, n, out.value());
}

// ---- 7. constants --------------------------------------------------------------------------------

Status lower_constant(ImportContext& c, const OnnxNode& n) {
  for (const auto& a : n.attributes) {
    ConstTensor t;
    if (a.name == "value") {
      if (a.t.empty()) return c.fail(n, "'value' holds no tensor");
      auto d = decode_onnx_tensor(a.t[0]);
      if (!d.ok()) return c.fail(n, d.status().message());
      t = std::move(d.value());
    } else if (a.name == "value_float") {
      t.floats = {a.f};
    } else if (a.name == "value_floats") {
      t.floats = a.floats;
      t.dims = {static_cast<int64_t>(a.floats.size())};
    } else if (a.name == "value_int") {
      t.is_int = true;
      t.ints = {a.i};
    } else if (a.name == "value_ints") {
      t.is_int = true;
      t.ints = a.ints;
      t.dims = {static_cast<int64_t>(a.ints.size())};
    } else {
      return c.fail(n, "attribute '" + a.name + "' is not supported (sparse or string constants)");
    }
    return set_constant(c, n, std::move(t));
  }
  return c.fail(n, "has no value");
}

Status lower_identity(ImportContext& c, const OnnxNode& n) {
  if (!c.has_input(n, 0)) return c.fail(n, "input 0 is missing");
  return alias(c, n);
}

Status lower_dropout(ImportContext& c, const OnnxNode& n) {
  NL_RETURN_IF_ERROR(c.check_unused_outputs(n, 1));
  if (c.has_input(n, 2)) {
    auto training = c.constant_input(n, 2);
    if (!training.ok()) return training.status();
    if (training.value()->elements() != 1 || training.value()->at(0) != 0.0)
      return c.fail(n, "training_mode must be a constant false (export in eval mode)");
  }
  return lower_identity(c, n);
}

Status lower_shape(ImportContext& c, const OnnxNode& n) {
  std::vector<int64_t> storage;
  const std::vector<int64_t>* dims = input_dims(c, n, 0, &storage);
  if (!dims) return c.fail(n, "input 0 has no value");
  const int64_t rank = static_cast<int64_t>(dims->size());
  auto start = c.attr_int(n, "start", 0), end = c.attr_int(n, "end", rank);
  for (const Status& s : {start.status(), end.status()}) NL_RETURN_IF_ERROR(s);
  const auto clamp = [&](int64_t v) { return std::clamp(v < 0 ? v + rank : v, int64_t{0}, rank); };
  ConstTensor t;
  t.is_int = true;
  for (int64_t i = clamp(start.value()); i < clamp(end.value()); ++i) t.ints.push_back((*dims)[static_cast<size_t>(i)]);
  t.dims = {static_cast<int64_t>(t.ints.size())};
  return set_constant(c, n, std::move(t));
}

Status lower_gather(ImportContext& c, const OnnxNode& n) {
  if (!c.input_is_constant(n, 0) || !c.input_is_constant(n, 1))
    return c.fail(n, "Gather is supported on constants only (shape arithmetic)");
  auto data = c.constant_input(n, 0);
  auto idx = c.constant_input(n, 1);
  if (!data.ok()) return data.status();
  if (!idx.ok()) return idx.status();
  auto axis = c.attr_int(n, "axis", 0);
  if (!axis.ok()) return axis.status();
  const ConstTensor& d = *data.value();
  if (d.dims.size() != 1 || (axis.value() != 0 && axis.value() != -1))
    return c.fail(n, "Gather is supported on 1-D constants only, got " + dims_str(d.dims));
  auto indices = const_as_ints(*idx.value(), "indices");
  if (!indices.ok()) return c.fail(n, indices.status().message());
  ConstTensor out;
  out.is_int = d.is_int;
  out.dims = idx.value()->dims;
  const int64_t size = d.dims[0];
  for (int64_t i : indices.value()) {
    const int64_t k = i < 0 ? i + size : i;
    if (k < 0 || k >= size) return c.fail(n, "index " + std::to_string(i) + " is outside 0.." + std::to_string(size - 1));
    if (d.is_int) out.ints.push_back(d.ints[static_cast<size_t>(k)]);
    else out.floats.push_back(d.floats[static_cast<size_t>(k)]);
  }
  return set_constant(c, n, std::move(out));
}

Status lower_cast(ImportContext& c, const OnnxNode& n) {
  if (!c.input_is_constant(n, 0)) {
    // A cast of a computed float tensor to float is a no-op; anything else is unsupported.
    auto to = c.attr_int(n, "to", 0);
    if (!to.ok()) return to.status();
    if (to.value() != static_cast<int64_t>(OnnxType::kFloat))
      return c.fail(n, "casting a computed tensor to " + onnx_type_name(static_cast<int32_t>(to.value())) + " is not supported");
    return alias(c, n);
  }
  auto k = c.constant_input(n, 0);
  if (!k.ok()) return k.status();
  auto to = c.attr_int(n, "to", 0);
  if (!to.ok()) return to.status();
  const auto type = static_cast<OnnxType>(to.value());
  ConstTensor t = *k.value();
  const bool to_float = type == OnnxType::kFloat || type == OnnxType::kDouble || type == OnnxType::kFloat16;
  if (to_float && t.is_int) {
    for (int64_t v : t.ints) t.floats.push_back(static_cast<float>(v));
    t.ints.clear();
    t.is_int = false;
  } else if (!to_float && !t.is_int) {
    for (float v : t.floats) {
      if (!std::isfinite(v) || std::fabs(v) > 9.0e18f) return c.fail(n, "casts a value that does not fit an integer");
      t.ints.push_back(static_cast<int64_t>(v));
    }
    t.floats.clear();
    t.is_int = true;
  }
  return set_constant(c, n, std::move(t));
}

// Row-major strides of `dims`.
std::vector<int64_t> strides_of(const std::vector<int64_t>& dims) {
  std::vector<int64_t> strides(dims.size(), 1);
  for (size_t i = dims.size(); i-- > 1;) strides[i - 1] = strides[i] * dims[i];
  return strides;
}

// out[i] = in[source(i)] for a constant of any type.
template <typename SourceIndex>
ConstTensor gather_constant(const ConstTensor& in, std::vector<int64_t> dims, SourceIndex source) {
  ConstTensor out;
  out.is_int = in.is_int;
  out.dims = std::move(dims);
  const int64_t n = dims_elements(out.dims);
  for (int64_t i = 0; i < n; ++i) {
    const size_t k = static_cast<size_t>(source(i));
    if (in.is_int) out.ints.push_back(in.ints[k]);
    else out.floats.push_back(in.floats[k]);
  }
  return out;
}

Status lower_constant_of_shape(ImportContext& c, const OnnxNode& n) {
  auto shape = c.constant_input(n, 0);
  if (!shape.ok()) return shape.status();
  auto dims = const_as_ints(*shape.value(), "the shape");
  if (!dims.ok()) return c.fail(n, dims.status().message());
  const int64_t count = dims_elements(dims.value());
  if (count < 0 || count > kMaxFoldedElements || dims.value().size() > OnnxLimits::kMaxRank)
    return c.fail(n, "the shape " + dims_str(dims.value()) + " is too large for a folded constant");
  ConstTensor fill;
  fill.floats = {0.0f};
  if (const OnnxAttribute* a = n.attribute("value")) {
    if (a->t.empty()) return c.fail(n, "'value' holds no tensor");
    auto v = decode_onnx_tensor(a->t[0]);
    if (!v.ok()) return c.fail(n, v.status().message());
    if (v.value().elements() != 1) return c.fail(n, "'value' must hold one element");
    fill = std::move(v.value());
  }
  return set_constant(c, n, gather_constant(fill, dims.value(), [](int64_t) { return 0; }));
}

Status lower_transpose(ImportContext& c, const OnnxNode& n) {
  if (!c.input_is_constant(n, 0)) return c.fail(n, "Transpose is supported on constants only (NeuronLens handles layouts itself)");
  auto k = c.constant_input(n, 0);
  if (!k.ok()) return k.status();
  const ConstTensor& t = *k.value();
  const size_t rank = t.dims.size();
  std::vector<int64_t> reversed(rank);
  for (size_t i = 0; i < rank; ++i) reversed[i] = static_cast<int64_t>(rank - 1 - i);
  auto perm = c.attr_ints(n, "perm", reversed);
  if (!perm.ok()) return perm.status();
  std::vector<int64_t> sorted = perm.value();
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i)
    if (sorted.size() != rank || sorted[i] != static_cast<int64_t>(i)) return c.fail(n, "'perm' is not a permutation");
  if (t.elements() > kMaxFoldedElements) return c.fail(n, "the constant is too large to fold");
  std::vector<int64_t> dims(rank);
  for (size_t i = 0; i < rank; ++i) dims[i] = t.dims[static_cast<size_t>(perm.value()[i])];
  const std::vector<int64_t> in_strides = strides_of(t.dims), out_strides = strides_of(dims);
  return set_constant(c, n, gather_constant(t, dims, [&](int64_t i) {
    int64_t src = 0;
    for (size_t a = 0; a < rank; ++a) {
      const int64_t coord = (i / out_strides[a]) % dims[a];
      src += coord * in_strides[static_cast<size_t>(perm.value()[a])];
    }
    return src;
  }));
}

Status lower_slice(ImportContext& c, const OnnxNode& n) {
  if (!c.input_is_constant(n, 0)) return c.fail(n, "Slice is supported on constants only (shape arithmetic)");
  auto k = c.constant_input(n, 0);
  if (!k.ok()) return k.status();
  const ConstTensor& t = *k.value();
  const int64_t rank = static_cast<int64_t>(t.dims.size());
  std::vector<int64_t> starts, ends, axes, steps;
  if (c.opset() < 10) {
    auto s = c.attr_ints(n, "starts", {}), e = c.attr_ints(n, "ends", {}), a = c.attr_ints(n, "axes", {});
    for (const Status& st : {s.status(), e.status(), a.status()}) NL_RETURN_IF_ERROR(st);
    starts = s.value(), ends = e.value(), axes = a.value();
  } else {
    std::vector<int64_t>* lists[4] = {&starts, &ends, &axes, &steps};
    for (size_t i = 0; i < 4; ++i) {
      auto v = c.constant_input(n, i + 1, /*optional=*/i >= 2);
      if (!v.ok()) return v.status();
      if (!v.value()) continue;
      auto ints = const_as_ints(*v.value(), "Slice's inputs");
      if (!ints.ok()) return c.fail(n, ints.status().message());
      *lists[i] = ints.value();
    }
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
    return c.fail(n, "starts, ends, axes and steps must have the same length");
  std::vector<int64_t> begin(static_cast<size_t>(rank), 0), step(static_cast<size_t>(rank), 1), dims = t.dims;
  for (size_t i = 0; i < starts.size(); ++i) {
    const int64_t axis = axes[i] < 0 ? axes[i] + rank : axes[i];
    if (axis < 0 || axis >= rank) return c.fail(n, "axis " + std::to_string(axes[i]) + " is outside the rank");
    const int64_t size = t.dims[static_cast<size_t>(axis)], st = steps[i];
    if (st == 0) return c.fail(n, "a step is 0");
    const auto clampi = [&](int64_t v, int64_t lo, int64_t hi) { return std::clamp(v < 0 ? v + size : v, lo, hi); };
    int64_t b, e;
    if (st > 0) b = clampi(starts[i], 0, size), e = clampi(ends[i], 0, size);
    else b = clampi(starts[i], -1, size - 1), e = clampi(ends[i], -1, size - 1);
    const int64_t count = st > 0 ? std::max<int64_t>(0, (e - b + st - 1) / st) : std::max<int64_t>(0, (b - e - st - 1) / -st);
    begin[static_cast<size_t>(axis)] = b;
    step[static_cast<size_t>(axis)] = st;
    dims[static_cast<size_t>(axis)] = count;
  }
  const std::vector<int64_t> in_strides = strides_of(t.dims), out_strides = strides_of(dims);
  return set_constant(c, n, gather_constant(t, dims, [&](int64_t i) {
    int64_t src = 0;
    for (size_t a = 0; a < dims.size(); ++a) src += (begin[a] + ((i / out_strides[a]) % dims[a]) * step[a]) * in_strides[a];
    return src;
  }));
}

// ---- 8. the table --------------------------------------------------------------------------------

struct OpLowering {
  const char* op_type;
  Status (*lower)(ImportContext&, const OnnxNode&);
  int min_inputs;       // inputs that must be present (non-empty names)
  int min_inputs_from;  // ... and one more from this opset on (0: never), e.g. Pad's pads input
};

const OpLowering kLowerings[] = {
    {"Conv", lower_conv, 2, 0},
    {"Gemm", lower_gemm, 2, 0},
    {"MatMul", lower_matmul, 2, 0},
    {"Add", lower_binary, 2, 0},
    {"Sub", lower_binary, 2, 0},
    {"Mul", lower_binary, 2, 0},
    {"Div", lower_binary, 2, 0},
    {"BatchNormalization", lower_batchnorm, 5, 0},
    {"Relu", lower_activation, 1, 0},
    {"LeakyRelu", lower_activation, 1, 0},
    {"Sigmoid", lower_activation, 1, 0},
    {"Tanh", lower_activation, 1, 0},
    {"HardSwish", lower_activation, 1, 0},
    {"HardSigmoid", lower_activation, 1, 0},
    {"Clip", lower_clip, 1, 0},
    {"Softmax", lower_softmax, 1, 0},
    {"MaxPool", lower_maxpool, 1, 0},
    {"AveragePool", lower_avgpool, 1, 0},
    {"GlobalAveragePool", lower_global_avgpool, 1, 0},
    {"Pad", lower_pad, 1, 11},
    {"Flatten", lower_flatten, 1, 0},
    {"Reshape", lower_reshape, 2, 0},
    {"Squeeze", lower_squeeze_unsqueeze, 1, 0},
    {"Unsqueeze", lower_squeeze_unsqueeze, 1, 13},
    {"Concat", lower_concat, 1, 0},
    {"Dropout", lower_dropout, 1, 0},
    {"Identity", lower_identity, 1, 0},
    {"Constant", lower_constant, 0, 0},
    {"Shape", lower_shape, 1, 0},
    {"Gather", lower_gather, 2, 0},
    {"Cast", lower_cast, 1, 0},
    {"ConstantOfShape", lower_constant_of_shape, 1, 0},
    {"Transpose", lower_transpose, 1, 0},
    {"Slice", lower_slice, 1, 10},
};

}  // namespace

bool onnx_op_supported(const std::string& op_type) {
  for (const auto& l : kLowerings)
    if (op_type == l.op_type) return true;
  return false;
}

std::string onnx_supported_ops() {
  std::string s;
  for (const auto& l : kLowerings) s += (s.empty() ? "" : ", ") + std::string(l.op_type);
  return s;
}

Status lower_onnx_node(ImportContext& c, const OnnxNode& n) {
  if (!n.domain.empty() && n.domain != "ai.onnx")
    return c.fail(n, "the operator domain '" + n.domain + "' is not supported (only the standard ONNX operators)");
  for (const auto& l : kLowerings)
    if (n.op_type == l.op_type) {
      if (n.outputs.empty() || n.outputs[0].empty()) return c.fail(n, "has no output");
      const int required = l.min_inputs + (l.min_inputs_from && c.opset() >= l.min_inputs_from ? 1 : 0);
      for (int i = 0; i < required; ++i)
        if (!c.has_input(n, static_cast<size_t>(i)))
          return c.fail(n, "needs at least " + std::to_string(required) + " inputs, input " + std::to_string(i) +
                               " is missing");
      return l.lower(c, n);
    }
  return c.fail(n, "the op '" + n.op_type + "' is not supported by NeuronLens's importer; supported: " + onnx_supported_ops());
}

}  // namespace nl
