// Settings of each op in model.json (documented in docs/MODEL_FORMAT.md).
// Sections: helpers; convolution and dense; pooling; normalisation and
// regularisation; activations; structure (Flatten, Add, Concat); the table.
#include "model/op_codecs.h"

#include <cmath>
#include <limits>

#include "model/strict_json.h"
#include "nn/ops/add.h"
#include "nn/ops/avg_pool2d.h"
#include "nn/ops/batch_norm.h"
#include "nn/ops/clip.h"
#include "nn/ops/concat.h"
#include "nn/ops/conv2d.h"
#include "nn/ops/dense.h"
#include "nn/ops/dropout.h"
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
#include "tensor/limits.h"

namespace nl {

namespace {

using ordered_json = nlohmann::ordered_json;

// ---- helpers -------------------------------------------------------------------------

// Limits on integer settings before they are narrowed to int; each op's
// create() then checks its own rules.
constexpr int64_t kMaxChannels = limits::kMaxChannels;
constexpr int64_t kMaxExtent = int64_t{1} << 16;
// Float settings (slopes, bounds, factors) are finite and within this.
constexpr double kMaxFloat = 1e30;

// Channels of the last axis of the first input, to default in_channels/in_features.
std::optional<int64_t> last_axis(std::span<const Shape> inputs, int rank) {
  if (inputs.empty() || inputs[0].rank() != rank) return std::nullopt;
  return inputs[0][rank - 1];
}

float read_float(JsonFields& s, const char* key, double lo, double hi, std::optional<double> fallback = std::nullopt) {
  return static_cast<float>(s.number(key, lo, hi, fallback));
}

// Refuses an op whose parameters the weights file cannot back (before allocating them).
Status check_budget(const JsonFields& settings, double params, uint64_t budget) {
  if (params <= static_cast<double>(budget)) return Status::Ok();
  return Status::Error(settings.where() + ": needs " + std::to_string(static_cast<unsigned long long>(params)) +
                       " parameters but the weights file holds only " + std::to_string(budget) + " more floats");
}

template <typename T>
Result<std::unique_ptr<Op>> as_op(Result<std::unique_ptr<T>> made) {
  if (!made.ok()) return made.status();
  return std::unique_ptr<Op>(std::move(made.value()));
}

// An op without settings: any settings given are unknown keys.
template <typename T>
Result<std::unique_ptr<Op>> create_plain(JsonFields& s, const OpCreateContext&) {
  NL_RETURN_IF_ERROR(s.finish());
  return as_op(T::create());
}

template <typename T>
ordered_json save_plain(const Op& op) {
  if (!dynamic_cast<const T*>(&op)) return nullptr;
  return ordered_json::object();
}

// ---- convolution and dense -----------------------------------------------------------

Result<std::unique_ptr<Op>> create_conv2d(JsonFields& s, const OpCreateContext& context) {
  Conv2DParams p;
  p.in_channels = s.integer("in_channels", 1, kMaxChannels, last_axis(context.input_shapes, 4));
  p.out_channels = s.integer("out_channels", 1, kMaxChannels);
  const auto kernel = s.pair("kernel", 1, kMaxExtent);
  const auto stride = s.pair("stride", 1, kMaxExtent, 1);
  const auto dilation = s.pair("dilation", 1, kMaxExtent, 1);
  const auto padding = s.padding("padding", kMaxExtent);
  p.groups = static_cast<int>(s.integer("groups", 1, kMaxChannels, 1));
  p.has_bias = s.boolean("bias", true);
  NL_RETURN_IF_ERROR(s.finish());
  p.kernel_h = static_cast<int>(kernel[0]), p.kernel_w = static_cast<int>(kernel[1]);
  p.stride_h = static_cast<int>(stride[0]), p.stride_w = static_cast<int>(stride[1]);
  p.dilation_h = static_cast<int>(dilation[0]), p.dilation_w = static_cast<int>(dilation[1]);
  p.pad_top = static_cast<int>(padding[0]), p.pad_left = static_cast<int>(padding[1]);
  p.pad_bottom = static_cast<int>(padding[2]), p.pad_right = static_cast<int>(padding[3]);
  const double params = static_cast<double>(p.out_channels) * static_cast<double>(kernel[0] * kernel[1]) *
                            static_cast<double>(p.in_channels / p.groups) +
                        (p.has_bias ? static_cast<double>(p.out_channels) : 0.0);
  NL_RETURN_IF_ERROR(check_budget(s, params, context.param_budget));
  return as_op(Conv2D::create(p));
}

ordered_json save_conv2d(const Op& op) {
  const auto* conv = dynamic_cast<const Conv2D*>(&op);
  if (!conv) return nullptr;
  const Conv2DParams& p = conv->settings();
  return {{"in_channels", p.in_channels},
          {"out_channels", p.out_channels},
          {"kernel", {p.kernel_h, p.kernel_w}},
          {"stride", {p.stride_h, p.stride_w}},
          {"dilation", {p.dilation_h, p.dilation_w}},
          {"padding", {p.pad_top, p.pad_left, p.pad_bottom, p.pad_right}},
          {"groups", p.groups},
          {"bias", p.has_bias}};
}

Result<std::unique_ptr<Op>> create_dense(JsonFields& s, const OpCreateContext& context) {
  const int64_t in = s.integer("in_features", 1, kMaxChannels, last_axis(context.input_shapes, 2));
  const int64_t out = s.integer("out_features", 1, kMaxChannels);
  const bool bias = s.boolean("bias", true);
  NL_RETURN_IF_ERROR(s.finish());
  const double params = static_cast<double>(in) * static_cast<double>(out) + (bias ? static_cast<double>(out) : 0.0);
  NL_RETURN_IF_ERROR(check_budget(s, params, context.param_budget));
  return as_op(Dense::create(in, out, bias));
}

ordered_json save_dense(const Op& op) {
  const auto* d = dynamic_cast<const Dense*>(&op);
  if (!d) return nullptr;
  return {{"in_features", d->in_features()}, {"out_features", d->out_features()}, {"bias", d->has_bias()}};
}

// ---- pooling -------------------------------------------------------------------------

// stride defaults to the kernel (as PyTorch's pooling layers).
Pool2DParams read_pool(JsonFields& s, bool average) {
  Pool2DParams p;
  const auto kernel = s.pair("kernel", 1, kMaxExtent);
  const auto stride = s.has("stride") ? s.pair("stride", 1, kMaxExtent) : kernel;
  const auto padding = s.padding("padding", kMaxExtent);
  p.ceil_mode = s.boolean("ceil_mode", false);
  if (average) p.count_include_pad = s.boolean("count_include_pad", true);
  p.kernel_h = static_cast<int>(kernel[0]), p.kernel_w = static_cast<int>(kernel[1]);
  p.stride_h = static_cast<int>(stride[0]), p.stride_w = static_cast<int>(stride[1]);
  p.pad_top = static_cast<int>(padding[0]), p.pad_left = static_cast<int>(padding[1]);
  p.pad_bottom = static_cast<int>(padding[2]), p.pad_right = static_cast<int>(padding[3]);
  return p;
}

ordered_json pool_json(const Pool2DParams& p, bool average) {
  ordered_json out = {{"kernel", {p.kernel_h, p.kernel_w}},
                      {"stride", {p.stride_h, p.stride_w}},
                      {"padding", {p.pad_top, p.pad_left, p.pad_bottom, p.pad_right}},
                      {"ceil_mode", p.ceil_mode}};
  if (average) out["count_include_pad"] = p.count_include_pad;
  return out;
}

Result<std::unique_ptr<Op>> create_max_pool2d(JsonFields& s, const OpCreateContext&) {
  const Pool2DParams p = read_pool(s, false);
  NL_RETURN_IF_ERROR(s.finish());
  return as_op(MaxPool2D::create(p));
}

ordered_json save_max_pool2d(const Op& op) {
  const auto* pool = dynamic_cast<const MaxPool2D*>(&op);
  return pool ? pool_json(pool->settings(), false) : nullptr;
}

Result<std::unique_ptr<Op>> create_avg_pool2d(JsonFields& s, const OpCreateContext&) {
  const Pool2DParams p = read_pool(s, true);
  NL_RETURN_IF_ERROR(s.finish());
  return as_op(AvgPool2D::create(p));
}

ordered_json save_avg_pool2d(const Op& op) {
  const auto* pool = dynamic_cast<const AvgPool2D*>(&op);
  return pool ? pool_json(pool->settings(), true) : nullptr;
}

// ---- normalisation and regularisation -----------------------------------------------

Result<std::unique_ptr<Op>> create_batch_norm(JsonFields& s, const OpCreateContext& context) {
  const auto inferred = context.input_shapes.empty() || context.input_shapes[0].rank() < 2
                            ? std::nullopt
                            : std::optional<int64_t>(context.input_shapes[0][context.input_shapes[0].rank() - 1]);
  const int64_t channels = s.integer("channels", 1, BatchNorm::kMaxChannels, inferred);
  const float eps = read_float(s, "eps", 1e-30, 1.0, 1e-5);
  const float momentum = read_float(s, "momentum", 0.0, 1.0, 0.1);
  NL_RETURN_IF_ERROR(s.finish());
  NL_RETURN_IF_ERROR(check_budget(s, 4.0 * static_cast<double>(channels), context.param_budget));
  return as_op(BatchNorm::create(channels, eps, momentum));
}

ordered_json save_batch_norm(const Op& op) {
  const auto* bn = dynamic_cast<const BatchNorm*>(&op);
  if (!bn) return nullptr;
  return {{"channels", bn->channels()}, {"eps", readable_float(bn->eps())}, {"momentum", readable_float(bn->momentum())}};
}

Status check_batch_norm_weights(const Op& op) {
  const auto& bn = dynamic_cast<const BatchNorm&>(op);
  for (int64_t c = 0; c < bn.running_var.elements(); ++c)
    if (bn.running_var[c] < 0.0f)
      return Status::Error("running_var[" + std::to_string(c) + "] is " + std::to_string(bn.running_var[c]) +
                           "; a variance cannot be negative");
  return Status::Ok();
}

Result<std::unique_ptr<Op>> create_dropout(JsonFields& s, const OpCreateContext&) {
  const float p = read_float(s, "p", 0.0, 1.0, 0.5);
  NL_RETURN_IF_ERROR(s.finish());
  return as_op(Dropout::create(p));
}

ordered_json save_dropout(const Op& op) {
  const auto* d = dynamic_cast<const Dropout*>(&op);
  if (!d) return nullptr;
  return {{"p", readable_float(d->p())}};
}

// ---- activations -----------------------------------------------------------------------

Result<std::unique_ptr<Op>> create_leaky_relu(JsonFields& s, const OpCreateContext&) {
  const float alpha = read_float(s, "alpha", -kMaxFloat, kMaxFloat, 0.01);
  NL_RETURN_IF_ERROR(s.finish());
  return as_op(LeakyReLU::create(alpha));
}

ordered_json save_leaky_relu(const Op& op) {
  const auto* r = dynamic_cast<const LeakyReLU*>(&op);
  if (!r) return nullptr;
  return {{"alpha", readable_float(r->alpha())}};
}

// A missing bound is infinite (JSON has no infinity).
Result<std::unique_ptr<Op>> create_clip(JsonFields& s, const OpCreateContext&) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  const float lo = s.has("min") ? read_float(s, "min", -kMaxFloat, kMaxFloat) : -kInf;
  const float hi = s.has("max") ? read_float(s, "max", -kMaxFloat, kMaxFloat) : kInf;
  NL_RETURN_IF_ERROR(s.finish());
  return as_op(Clip::create(lo, hi));
}

ordered_json save_clip(const Op& op) {
  const auto* c = dynamic_cast<const Clip*>(&op);
  if (!c) return nullptr;
  ordered_json out = ordered_json::object();
  if (std::isfinite(c->min_value())) out["min"] = readable_float(c->min_value());
  if (std::isfinite(c->max_value())) out["max"] = readable_float(c->max_value());
  return out;
}

Result<std::unique_ptr<Op>> create_hard_sigmoid(JsonFields& s, const OpCreateContext&) {
  const float alpha = read_float(s, "alpha", -kMaxFloat, kMaxFloat, 0.2);
  const float beta = read_float(s, "beta", -kMaxFloat, kMaxFloat, 0.5);
  NL_RETURN_IF_ERROR(s.finish());
  return as_op(HardSigmoid::create(alpha, beta));
}

ordered_json save_hard_sigmoid(const Op& op) {
  const auto* h = dynamic_cast<const HardSigmoid*>(&op);
  if (!h) return nullptr;
  return {{"alpha", readable_float(h->alpha())}, {"beta", readable_float(h->beta())}};
}

Result<std::unique_ptr<Op>> create_scale(JsonFields& s, const OpCreateContext&) {
  const float factor = read_float(s, "factor", -kMaxFloat, kMaxFloat);
  NL_RETURN_IF_ERROR(s.finish());
  return as_op(Scale::create(factor));
}

ordered_json save_scale(const Op& op) {
  const auto* sc = dynamic_cast<const Scale*>(&op);
  if (!sc) return nullptr;
  return {{"factor", readable_float(sc->factor())}};
}

// ---- the table: one line per op type --------------------------------------------------

const OpCodec kCodecs[] = {
    {"Conv2D", create_conv2d, save_conv2d},
    {"Dense", create_dense, save_dense},
    {"MaxPool2D", create_max_pool2d, save_max_pool2d},
    {"AvgPool2D", create_avg_pool2d, save_avg_pool2d},
    {"GlobalAvgPool", create_plain<GlobalAvgPool>, save_plain<GlobalAvgPool>},
    {"BatchNorm", create_batch_norm, save_batch_norm, check_batch_norm_weights},
    {"Dropout", create_dropout, save_dropout},
    {"ReLU", create_plain<ReLU>, save_plain<ReLU>},
    {"LeakyReLU", create_leaky_relu, save_leaky_relu},
    {"Clip", create_clip, save_clip},
    {"Sigmoid", create_plain<Sigmoid>, save_plain<Sigmoid>},
    {"Tanh", create_plain<Tanh>, save_plain<Tanh>},
    {"HardSigmoid", create_hard_sigmoid, save_hard_sigmoid},
    {"HardSwish", create_plain<HardSwish>, save_plain<HardSwish>},
    {"Softmax", create_plain<Softmax>, save_plain<Softmax>},
    {"Scale", create_scale, save_scale},
    {"Flatten", create_plain<Flatten>, save_plain<Flatten>},
    {"Add", create_plain<Add>, save_plain<Add>},
    {"Concat", create_plain<Concat>, save_plain<Concat>},
};

}  // namespace

const OpCodec* find_op_codec(std::string_view type) {
  for (const OpCodec& c : kCodecs)
    if (type == c.type) return &c;
  return nullptr;
}

std::string known_op_types() {
  std::string s;
  for (const OpCodec& c : kCodecs) s += (s.empty() ? "" : ", ") + std::string(c.type);
  return s;
}

}  // namespace nl
