// ONNX import [onnx]: models built byte by byte (tests/onnx_builder.h) whose
// answers are computed here in NCHW with plain loops, so the NCHW -> NHWC
// conversion, the flatten permutation and the folds are checked against an
// independent answer; and hostile files: truncated, corrupt varints, lengths
// past the end, not ONNX at all, cycles, unsupported ops, huge dimensions,
// dynamic shapes, each a clear error (the suite also runs under ASan/UBSan),
// plus a seeded mutation fuzzer over a valid model.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "model/onnx/onnx_import.h"
#include "model/onnx/protobuf_wire.h"
#include "nn/executor.h"
#include "onnx_builder.h"
#include "tensor/npy.h"

namespace {

namespace ox = nl::test::onnx;
using nl::ImportConfig;

std::vector<float> random_values(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-scale, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

// ---- a model with a known answer ---------------------------------------------------------------
// input [N, 3, 4, 3] -> Conv(2 outputs, 3x3, pads top 1, right 1) -> Mul by a per-channel
// constant, Add a per-channel constant (both folded) -> Relu -> Flatten ([N, 2*3*2] in C, H, W
// order) -> Gemm(transB, 5 outputs) -> output [N, 5].
struct TinyModel {
  static constexpr int kC = 3, kH = 4, kW = 3, kO = 2, kK = 3, kOH = 3, kOW = 2, kClasses = 5;
  std::vector<float> w = random_values(kO * kC * kK * kK, 1);
  std::vector<float> b = random_values(kO, 2);
  std::vector<float> mul = {1.5f, -0.5f}, add = {0.25f, 0.1f};
  std::vector<float> fc = random_values(kClasses * kO * kOH * kOW, 3);
  std::vector<float> fc_bias = random_values(kClasses, 4);

  std::vector<uint8_t> bytes(int64_t opset = 13, bool raw = true) const {
    std::vector<ox::Message> nodes = {
        ox::node("Conv", {"input", "w", "b"}, {"conv_out"}, "conv",
                 {ox::attr_ints("kernel_shape", {3, 3}), ox::attr_ints("pads", {1, 0, 0, 1})}),
        ox::node("Mul", {"conv_out", "mul"}, {"mul_out"}, "mul"),
        ox::node("Add", {"add", "mul_out"}, {"add_out"}, "add"),
        ox::node("Relu", {"add_out"}, {"relu_out"}, "relu"),
        ox::node("Flatten", {"relu_out"}, {"flat"}, "flatten", {ox::attr_int("axis", 1)}),
        ox::node("Gemm", {"flat", "fc", "fc_bias"}, {"logits"}, "fc", {ox::attr_int("transB", 1)}),
    };
    std::vector<ox::Message> inits = {
        ox::tensor("w", {kO, kC, kK, kK}, w, raw), ox::tensor("b", {kO}, b, raw),
        ox::tensor("mul", {1, kO, 1, 1}, mul, raw), ox::tensor("add", {kO, 1, 1}, add, raw),
        ox::tensor("fc", {kClasses, kO * kOH * kOW}, fc, raw), ox::tensor("fc_bias", {kClasses}, fc_bias, raw)};
    return ox::model(ox::graph(nodes, inits, {ox::value_info("input", {-1, kC, kH, kW})},
                               {ox::value_info("logits", {-1, kClasses})}),
                     opset);
  }

  // The answer, in NCHW with plain loops.
  std::vector<double> expected(const std::vector<float>& x, int n_images) const {
    std::vector<double> out;
    for (int n = 0; n < n_images; ++n) {
      std::vector<double> feat;  // C, H, W order
      for (int o = 0; o < kO; ++o)
        for (int oh = 0; oh < kOH; ++oh)
          for (int ow = 0; ow < kOW; ++ow) {
            double s = b[o];
            for (int c = 0; c < kC; ++c)
              for (int kh = 0; kh < kK; ++kh)
                for (int kw = 0; kw < kK; ++kw) {
                  const int ih = oh + kh - 1, iw = ow + kw;  // pad top 1, left 0
                  if (ih < 0 || ih >= kH || iw < 0 || iw >= kW) continue;
                  s += double(w[((o * kC + c) * kK + kh) * kK + kw]) * x[((n * kC + c) * kH + ih) * kW + iw];
                }
            feat.push_back(std::max(0.0, s * mul[o] + add[o]));
          }
      for (int k = 0; k < kClasses; ++k) {
        double s = fc_bias[k];
        for (size_t j = 0; j < feat.size(); ++j) s += double(fc[k * feat.size() + j]) * feat[j];
        out.push_back(s);
      }
    }
    return out;
  }
};

nl::Result<nl::OnnxImport> import_bytes(const std::vector<uint8_t>& bytes, const ImportConfig& config = {}) {
  return nl::import_onnx(bytes, config, "test.onnx");
}

// Imports, expecting an error that contains every fragment.
void expect_error(const std::vector<uint8_t>& bytes, const std::vector<std::string>& fragments,
                  const ImportConfig& config = {}) {
  auto r = import_bytes(bytes, config);
  REQUIRE_FALSE(r.ok());
  INFO(r.status().message());
  for (const auto& f : fragments) CHECK(r.status().message().find(f) != std::string::npos);
}

double max_relative_error(const nl::Tensor& a, const std::vector<double>& b) {
  double diff = 0.0, scale = 0.0;
  for (size_t i = 0; i < b.size(); ++i) {
    diff = std::max(diff, std::fabs(a[static_cast<int64_t>(i)] - b[i]));
    scale = std::max(scale, std::fabs(b[i]));
  }
  return diff / scale;
}

nl::Tensor run(nl::Model& model, const nl::Tensor& nchw) {
  nl::Executor executor(&model.graph);
  REQUIRE(executor.forward(nl::nchw_to_nhwc(nchw)).ok());
  return executor.value(model.graph.output());
}

nl::Tensor nchw_input(int n, const std::vector<float>& values) {
  nl::Tensor x(nl::Shape{n, TinyModel::kC, TinyModel::kH, TinyModel::kW});
  std::copy(values.begin(), values.end(), x.data());
  return x;
}

}  // namespace

TEST_CASE("ONNX import: a small model computes the hand-computed answer", "[onnx]") {
  TinyModel tiny;
  const int batch = 2;
  const std::vector<float> x = random_values(batch * TinyModel::kC * TinyModel::kH * TinyModel::kW, 5);
  for (bool raw : {true, false})
    for (int64_t opset : {7, 11, 13, 17}) {
      INFO("raw_data " << raw << ", opset " << opset);
      auto imported = import_bytes(tiny.bytes(opset, raw));
      REQUIRE(imported.ok());
      nl::OnnxImport& r = imported.value();
      CHECK(r.report.folded_affines == 2);  // Mul and Add merged into the conv
      CHECK(r.model.graph.size() == 5);     // input, conv, relu, flatten, dense
      CHECK(r.model.labels.size() == 5);
      CHECK(max_relative_error(run(r.model, nchw_input(batch, x)), tiny.expected(x, batch)) < 1e-5);
      // ONNX tensor names reach the engine nodes holding them.
      CHECK(nl::find_layer(r.model, "relu_out") == r.model.graph.find("relu"));
      CHECK(nl::find_layer(r.model, "add_out") == r.model.graph.find("conv"));
      CHECK(nl::find_layer(r.model, "nothing") == -1);
    }
}

TEST_CASE("ONNX import: a global pool read by a convolution stays 4-D; names never collide", "[onnx]") {
  // input [1, 3, 4, 4] -> GlobalAveragePool -> Conv 1x1 (3 -> 2) -> Flatten -> [1, 2]; the conv's
  // node is named like the input, so it gets another name.
  const std::vector<float> w = random_values(6, 12), b = random_values(2, 13), x = random_values(48, 14);
  auto imported = import_bytes(ox::model(ox::graph(
      {ox::node("GlobalAveragePool", {"x"}, {"p"}, "gap"), ox::node("Conv", {"p", "w", "b"}, {"c"}, "x"),
       ox::node("Flatten", {"c"}, {"y"}, "flat")},
      {ox::tensor("w", {2, 3, 1, 1}, w), ox::tensor("b", {2}, b)}, {ox::value_info("x", {1, 3, 4, 4})},
      {ox::value_info("y", {1, 2})})));
  REQUIRE(imported.ok());
  nl::Model& m = imported.value().model;
  CHECK(m.graph.node(1).op->type() == "AvgPool2D");
  CHECK(m.graph.node(2).name != "x");
  nl::Tensor input(nl::Shape{1, 3, 4, 4});
  std::copy(x.begin(), x.end(), input.data());
  std::vector<double> expected;
  for (int o = 0; o < 2; ++o) {
    double s = b[o];
    for (int c = 0; c < 3; ++c) {
      double mean = 0.0;
      for (int i = 0; i < 16; ++i) mean += x[c * 16 + i] / 16.0;
      s += w[o * 3 + c] * mean;
    }
    expected.push_back(s);
  }
  CHECK(max_relative_error(run(m, input), expected) < 1e-5);
}

TEST_CASE("ONNX import: an imported model saves and loads in the model format", "[onnx]") {
  TinyModel tiny;
  auto imported = import_bytes(tiny.bytes());
  REQUIRE(imported.ok());
  auto files = nl::serialize_model(imported.value().model);
  REQUIRE(files.ok());
  const auto& json = files.value().model_json;
  auto loaded = nl::parse_model(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(json.data()), json.size()),
                                "model.json", files.value().weights, "weights.safetensors");
  REQUIRE(loaded.ok());
  const std::vector<float> x = random_values(TinyModel::kC * TinyModel::kH * TinyModel::kW, 6);
  CHECK(max_relative_error(run(loaded.value(), nchw_input(1, x)), tiny.expected(x, 1)) < 1e-5);
  CHECK(nl::find_layer(loaded.value(), "relu_out") == loaded.value().graph.find("relu"));
}

TEST_CASE("ONNX import: config presets and sidecar JSON", "[onnx]") {
  auto grey = nl::import_config_preset("grey28");
  REQUIRE(grey.ok());
  CHECK(grey.value().labels.size() == 10);
  CHECK(*grey.value().height == 28);
  auto imagenet = nl::import_config_preset("imagenet");
  REQUIRE(imagenet.ok());
  if (!nl::imagenet_class_names().empty()) {
    // From torchvision's metadata, generated at build time.
    REQUIRE(imagenet.value().labels.size() == 1000);
    CHECK(imagenet.value().labels[0] == "tench");
    CHECK(imagenet.value().labels[999] == "toilet tissue");
  }
  CHECK_FALSE(nl::import_config_preset("cifar").ok());

  const std::string text = R"({"name": "tiny", "input": {"height": 4, "width": 3},
    "preprocessing": {"colour": "rgb", "mean": [0.5, 0.5, 0.5], "std": [0.25]},
    "labels": ["a", "b", "c", "d", "e"]})";
  auto config = nl::parse_import_config(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()),
                                        "tiny.json");
  REQUIRE(config.ok());
  auto imported = import_bytes(TinyModel().bytes(), config.value());
  REQUIRE(imported.ok());
  CHECK(imported.value().model.name == "tiny");
  CHECK(imported.value().model.labels[4] == "e");
  CHECK(imported.value().model.preprocessing.mean.size() == 3);

  const std::string misspelt = R"({"input": {"heigth": 4}})";
  auto bad = nl::parse_import_config(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(misspelt.data()), misspelt.size()), "bad.json");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("heigth") != std::string::npos);

  ImportConfig wrong_labels;
  wrong_labels.labels = {"only", "three", "labels"};
  expect_error(TinyModel().bytes(), {"3 labels", "5 outputs"}, wrong_labels);
  ImportConfig wrong_size;
  wrong_size.height = 5;
  expect_error(TinyModel().bytes(), {"height 4", "config says 5"}, wrong_size);
}

// ---- the wire format -------------------------------------------------------------------------------

TEST_CASE("protobuf wire reader: varints and bounds", "[onnx]") {
  uint64_t v = 0;
  const uint8_t one[] = {0x01};
  CHECK(nl::pb::decode_varint(one, &v) == 1);
  CHECK(v == 1);
  const uint8_t big[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  CHECK(nl::pb::decode_varint(big, &v) == 10);
  CHECK(v == UINT64_MAX);
  const uint8_t overflow[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
  CHECK(nl::pb::decode_varint(overflow, &v) == 0);
  const uint8_t eleven[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
  CHECK(nl::pb::decode_varint(eleven, &v) == 0);
  const uint8_t truncated[] = {0x80, 0x80};
  CHECK(nl::pb::decode_varint(truncated, &v) == 0);

  nl::pb::Field f;
  {
    const uint8_t bytes[] = {0x3a, 0x05, 'a', 'b'};  // field 7, length 5, 2 bytes follow
    nl::pb::WireReader r(bytes);
    nl::Status s = r.next(&f);
    REQUIRE_FALSE(s.ok());
    CHECK(s.message().find("claims 5 bytes but only 2 remain") != std::string::npos);
  }
  {
    const uint8_t bytes[] = {0x08, 0x80, 0x80};  // field 1 varint, truncated
    nl::pb::WireReader r(bytes);
    nl::Status s = r.next(&f);
    REQUIRE_FALSE(s.ok());
    CHECK(s.message().find("ends inside a varint") != std::string::npos);
  }
  {
    const uint8_t bytes[] = {0x0b, 0x0c};  // field 1, start group
    nl::pb::WireReader r(bytes);
    CHECK_FALSE(r.next(&f).ok());
  }
  {
    const uint8_t bytes[] = {0x07};  // field 0
    nl::pb::WireReader r(bytes);
    CHECK_FALSE(r.next(&f).ok());
  }
  {
    const uint8_t bytes[] = {0x0d, 0x01, 0x02};  // fixed32 with 2 bytes left
    nl::pb::WireReader r(bytes);
    CHECK_FALSE(r.next(&f).ok());
  }
  {
    // A packed varint list whose last varint is cut off.
    const uint8_t bytes[] = {0x0a, 0x02, 0x01, 0x80};
    nl::pb::WireReader r(bytes);
    REQUIRE(r.next(&f).ok());
    std::vector<int64_t> values;
    CHECK_FALSE(nl::pb::append_varints(f, &values, 100, "test").ok());
    std::vector<uint32_t> fixed;
    CHECK_FALSE(nl::pb::append_fixed32(f, &fixed, 100, "test").ok());  // 2 bytes: not a whole float
  }
}

// ---- hostile files -----------------------------------------------------------------------------------

TEST_CASE("ONNX import: truncated files are errors at every length", "[onnx]") {
  const std::vector<uint8_t> bytes = TinyModel().bytes();
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto r = import_bytes(std::vector<uint8_t>(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n)));
    INFO("prefix of " << n << " bytes");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("test.onnx: ") == 0);
  }
}

TEST_CASE("ONNX import: files that are not ONNX", "[onnx]") {
  expect_error({}, {"empty"});
  expect_error({0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d}, {"ONNX", "PNG"});
  const std::string json = R"({"format": "neuronlens-model"})";
  expect_error(std::vector<uint8_t>(json.begin(), json.end()), {"ONNX", "JSON"});
  nl::Tensor t(nl::Shape{2, 2});
  expect_error(nl::encode_npy(t), {"ONNX"});
  std::mt19937 rng(11);
  for (int i = 0; i < 200; ++i) {
    std::vector<uint8_t> noise(1 + rng() % 300);
    for (auto& b : noise) b = static_cast<uint8_t>(rng());
    CHECK_FALSE(import_bytes(noise).ok());
  }
  // A valid protobuf message that is not a model: no graph.
  ox::Message other;
  other.int_field(1, 7).string_field(2, "x");
  expect_error(other.bytes, {"no graph"});
}

TEST_CASE("ONNX import: corrupt varints and lengths past the end", "[onnx]") {
  std::vector<uint8_t> bytes = TinyModel().bytes();
  // The ModelProto starts with ir_version (field 1, varint): make it an 11-byte varint.
  std::vector<uint8_t> overlong = {0x08};
  for (int i = 0; i < 10; ++i) overlong.push_back(0xff);
  overlong.push_back(0x01);
  expect_error(overlong, {"varint"});
  // The graph field (7) claims more bytes than the file has.
  ox::Message m;
  m.int_field(1, 7);
  m.key(7, 2);
  m.varint(1u << 30);
  m.bytes.push_back(0);
  expect_error(m.bytes, {"claims 1073741824 bytes"});
  // A length inside the graph pointing past its end: bump a nested length byte.
  std::vector<uint8_t> nested = bytes;
  for (size_t i = 0; i + 1 < nested.size(); ++i)
    if (nested[i] == 0x0a && nested[i + 1] > 8 && nested[i + 1] < 0x80) {  // a node (field 1, bytes) in the graph
      nested[i + 1] = 0x7f;
      break;
    }
  CHECK_FALSE(import_bytes(nested).ok());
}

TEST_CASE("ONNX import: graphs with cycles, dangling or doubly written tensors", "[onnx]") {
  const auto in = ox::value_info("x", {1, 1, 2, 2});
  const auto out = ox::value_info("b", {1, 1, 2, 2});
  expect_error(ox::model(ox::graph({ox::node("Add", {"x", "a"}, {"b"}, "first"), ox::node("Relu", {"b"}, {"a"}, "second")},
                                   {}, {in}, {out})),
               {"cycle", "first", "second"});
  expect_error(ox::model(ox::graph({ox::node("Relu", {"ghost"}, {"b"}, "r")}, {}, {in}, {out})), {"ghost", "no node writes"});
  expect_error(ox::model(ox::graph({ox::node("Relu", {"x"}, {"b"}, "r1"), ox::node("Relu", {"x"}, {"b"}, "r2")}, {}, {in}, {out})),
               {"more than one node"});
  expect_error(ox::model(ox::graph({ox::node("Relu", {"x"}, {"c"}, "r")}, {}, {in}, {out})), {"'b'", "written by no node"});
}

TEST_CASE("ONNX import: unsupported ops and opsets name the op, the node and the opset", "[onnx]") {
  const auto in = ox::value_info("x", {1, 3, 8, 8});
  const auto out = ox::value_info("y", {1, 3, 16, 16});
  expect_error(ox::model(ox::graph({ox::node("Resize", {"x"}, {"y"}, "upsample1")}, {}, {in}, {out}), 13),
               {"'upsample1'", "Resize", "opset 13", "supported: Conv"});
  ox::Message custom = ox::node("Relu", {"x"}, {"y"}, "custom1");
  custom.string_field(7, "com.microsoft");
  expect_error(ox::model(ox::graph({custom}, {}, {in}, {out})), {"custom1", "com.microsoft"});
  expect_error(TinyModel().bytes(6), {"opset 6", "7 to 17"});
  expect_error(TinyModel().bytes(18), {"opset 18"});
  // Mul of two computed tensors (squeeze-and-excitation) is not supported.
  expect_error(ox::model(ox::graph({ox::node("Relu", {"x"}, {"r"}, "r"), ox::node("Mul", {"x", "r"}, {"y"}, "se_mul")}, {},
                                   {in}, {out})),
               {"se_mul", "Mul of two computed tensors"});
}

TEST_CASE("ONNX import: inputs it cannot take", "[onnx]") {
  const auto out = ox::value_info("y", {1, 3});
  const auto relu = ox::node("Relu", {"x"}, {"y"}, "r");
  expect_error(ox::model(ox::graph({relu}, {}, {ox::value_info("x", {1, 3, 8, 8}), ox::value_info("z", {1, 3, 8, 8})}, {out})),
               {"2 inputs", "'x'", "'z'"});
  expect_error(ox::model(ox::graph({relu}, {}, {ox::value_info("x", {1, 3})}, {out})), {"N x C x H x W"});
  expect_error(ox::model(ox::graph({relu}, {}, {ox::value_info("x", {1, 3, 8, 8}, 7)}, {out})), {"INT64"});
  expect_error(ox::model(ox::graph({relu}, {}, {ox::value_info("x", {1, 5, 8, 8})}, {out})), {"5 channels"});
  // Dynamic height and width: an error naming the dimension, fixed by the config.
  const auto dynamic = ox::model(ox::graph({ox::node("GlobalAveragePool", {"x"}, {"p"}, "gap"),
                                            ox::node("Flatten", {"p"}, {"y"}, "flat")},
                                           {}, {ox::value_info("x", {-1, 3, -1, -1})}, {out}));
  expect_error(dynamic, {"dynamic height", "config"});
  ImportConfig sized;
  sized.height = 10;
  sized.width = 12;
  auto r = import_bytes(dynamic, sized);
  REQUIRE(r.ok());
  CHECK(r.value().model.graph.node(0).shape == nl::Shape({1, 10, 12, 3}));
}

TEST_CASE("ONNX import: huge dimensions are refused before allocating", "[onnx]") {
  const auto in = ox::value_info("x", {1, 3, 8, 8});
  const auto out = ox::value_info("y", {1, 3});
  // A weight claiming 2^40 elements (with no data).
  ox::Message huge;
  for (int64_t d : {int64_t{1} << 20, int64_t{1} << 20, int64_t{1}, int64_t{1}}) huge.int_field(1, d);
  huge.int_field(2, 1).string_field(8, "w");
  expect_error(ox::model(ox::graph({ox::node("Conv", {"x", "w"}, {"y"}, "c")}, {huge}, {in}, {out})), {"'w'", "elements"});
  // Dimensions whose product overflows 64 bits.
  ox::Message overflow;
  for (int i = 0; i < 4; ++i) overflow.int_field(1, int64_t{1} << 40);
  overflow.int_field(2, 1).string_field(8, "w");
  expect_error(ox::model(ox::graph({ox::node("Conv", {"x", "w"}, {"y"}, "c")}, {overflow}, {in}, {out})), {"elements"});
  // Data shorter than the dims say.
  ox::Message short_data;
  for (int64_t d : {1000, 1000}) short_data.int_field(1, d);
  short_data.int_field(2, 1).bytes_field(9, "abcd", 4).string_field(8, "w");
  expect_error(ox::model(ox::graph({ox::node("Flatten", {"x"}, {"f"}, "flat"), ox::node("MatMul", {"f", "w"}, {"y"}, "m")},
                                   {short_data}, {in}, {out})),
               {"should hold 1000000 values"});
  // An input larger than the engine takes.
  expect_error(ox::model(ox::graph({ox::node("Relu", {"x"}, {"y"}, "r")}, {}, {ox::value_info("x", {1, 3, 100000, 100000})}, {out})),
               {"largest input"});
  // Small weights, but an activation of 8192 x 8192 x 64 values: refused when the node is added.
  const auto big_in = ox::value_info("x", {1, 3, 8192, 8192});
  expect_error(ox::model(ox::graph({ox::node("Conv", {"x", "w"}, {"c"}, "wide"), ox::node("GlobalAveragePool", {"c"}, {"p"}, "gap"),
                                    ox::node("Flatten", {"p"}, {"y"}, "flat")},
                                   {ox::tensor("w", {64, 3, 1, 1}, random_values(64 * 3, 9))}, {big_in}, {out})),
               {"'wide'", "limit"});
  // A Reshape to an enormous constant shape.
  expect_error(ox::model(ox::graph({ox::node("ConstantOfShape", {"s"}, {"y"}, "fill")},
                                   {ox::int64_tensor("s", {2}, {int64_t{1} << 31, int64_t{1} << 31})},
                                   {ox::value_info("x", {1, 3, 8, 8})}, {out})),
               {"fill", "too large"});
}

TEST_CASE("ONNX import: nodes missing inputs or outputs", "[onnx]") {
  const auto in = ox::value_info("x", {1, 3, 4, 4});
  const auto out = ox::value_info("y", {1, 48});
  expect_error(ox::model(ox::graph({ox::node("Flatten", {}, {"y"}, "flat")}, {}, {in}, {out})), {"'flat'", "input 0 is missing"});
  expect_error(ox::model(ox::graph({ox::node("Conv", {"x"}, {"y"}, "conv")}, {}, {in}, {out})), {"'conv'", "2 inputs"});
  expect_error(ox::model(ox::graph({ox::node("Pad", {"x"}, {"y"}, "pad")}, {}, {in}, {out}), 13), {"'pad'", "input 1"});
  expect_error(ox::model(ox::graph({ox::node("Add", {"x", ""}, {"y"}, "add")}, {}, {in}, {out})), {"'add'", "missing"});
}

TEST_CASE("ONNX import: external data and odd attributes are errors", "[onnx]") {
  const auto in = ox::value_info("x", {1, 3, 4, 4});
  const auto out = ox::value_info("y", {1, 2});
  ox::Message external;
  for (int64_t d : {2, 48}) external.int_field(1, d);
  external.int_field(2, 1).string_field(8, "w").int_field(14, 1);
  expect_error(ox::model(ox::graph({ox::node("Flatten", {"x"}, {"f"}, "flat"), ox::node("MatMul", {"f", "w"}, {"y"}, "m")},
                                   {external}, {in}, {out})),
               {"external"});
  // Conv with a kernel_shape that disagrees with its weight.
  expect_error(ox::model(ox::graph({ox::node("Conv", {"x", "w"}, {"y"}, "c", {ox::attr_ints("kernel_shape", {5, 5})})},
                                   {ox::tensor("w", {2, 3, 3, 3}, random_values(54, 1))}, {in}, {out})),
               {"kernel_shape"});
  // Pad with reflection.
  expect_error(ox::model(ox::graph({ox::node("Pad", {"x", "p"}, {"y"}, "pad", {ox::attr_string("mode", "reflect")})},
                                   {ox::int64_tensor("p", {8}, {0, 0, 1, 1, 0, 0, 1, 1})}, {in}, {out})),
               {"reflect"});
}

TEST_CASE("ONNX import: a seeded mutation fuzzer finds no crash", "[onnx]") {
  const std::vector<uint8_t> valid = TinyModel().bytes();
  std::mt19937 rng(2024);
  int imported = 0;
  const std::vector<float> x = random_values(TinyModel::kC * TinyModel::kH * TinyModel::kW, 8);
  for (int round = 0; round < 3000; ++round) {
    std::vector<uint8_t> bytes = valid;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !bytes.empty(); ++e) {
      const size_t at = rng() % bytes.size();
      switch (rng() % 5) {
        case 0: bytes[at] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
        case 1: bytes[at] = static_cast<uint8_t>(rng()); break;
        case 2: bytes.resize(at); break;
        case 3: bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(at), static_cast<uint8_t>(rng())); break;
        case 4: bytes[at] = 0xff; break;  // a varint that goes on
      }
    }
    auto r = import_bytes(bytes);
    if (!r.ok()) {
      CHECK_FALSE(r.status().message().empty());
      continue;
    }
    ++imported;
    // Whatever imported must also run.
    nl::Model& m = r.value().model;
    const nl::Shape& s = m.graph.node(0).shape;
    nl::Tensor input(nl::Shape{1, s.h(), s.w(), s.c()});
    if (input.elements() <= (1 << 20)) {
      nl::Executor executor(&m.graph);
      CHECK(executor.forward(input).ok());
    }
  }
  INFO(imported << " of 3000 mutated files still imported");
  CHECK(imported < 3000);
}
