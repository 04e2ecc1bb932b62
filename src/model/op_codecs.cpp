// Settings of each op in model.json (documented in docs/MODEL_FORMAT.md).
#include "model/op_codecs.h"

#include "nn/ops/conv2d.h"
#include "nn/ops/dense.h"

namespace nl {

namespace {

using ordered_json = nlohmann::ordered_json;

// Limits on integer settings before they are narrowed to int; each op's
// create() then checks its own rules.
constexpr int64_t kMaxChannels = int64_t{1} << 24;
constexpr int64_t kMaxExtent = int64_t{1} << 16;

// Channels of the last axis of the first input, to default in_channels/in_features.
std::optional<int64_t> last_axis(std::span<const Shape> inputs, int rank) {
  if (inputs.empty() || inputs[0].rank() != rank) return std::nullopt;
  return inputs[0][rank - 1];
}

template <typename T>
Result<std::unique_ptr<Op>> as_op(Result<std::unique_ptr<T>> made) {
  if (!made.ok()) return made.status();
  return std::unique_ptr<Op>(std::move(made.value()));
}

// ---- Conv2D --------------------------------------------------------------------
Result<std::unique_ptr<Op>> create_conv2d(JsonFields& s, std::span<const Shape> inputs) {
  Conv2DParams p;
  p.in_channels = s.integer("in_channels", 1, kMaxChannels, last_axis(inputs, 4));
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

// ---- Dense ---------------------------------------------------------------------
Result<std::unique_ptr<Op>> create_dense(JsonFields& s, std::span<const Shape> inputs) {
  const int64_t in = s.integer("in_features", 1, kMaxChannels, last_axis(inputs, 2));
  const int64_t out = s.integer("out_features", 1, kMaxChannels);
  const bool bias = s.boolean("bias", true);
  NL_RETURN_IF_ERROR(s.finish());
  return as_op(Dense::create(in, out, bias));
}

ordered_json save_dense(const Op& op) {
  const auto* d = dynamic_cast<const Dense*>(&op);
  if (!d) return nullptr;
  return {{"in_features", d->in_features()}, {"out_features", d->out_features()}, {"bias", d->has_bias()}};
}

// ---- the table -------------------------------------------------------------------
const OpCodec kCodecs[] = {
    {"Conv2D", create_conv2d, save_conv2d},
    {"Dense", create_dense, save_dense},
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
