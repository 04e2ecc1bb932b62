// The model format: safetensors read from hand-written bytes and written back,
// a hand-written model.json whose forward pass is computed by hand, a save ->
// load round trip over every op type that reproduces the files byte for byte
// and the outputs exactly, and hostile files (truncated, wrong magic, header
// lengths and offsets beyond the data, overlapping offsets, wrong dtype, shape
// mismatch with the graph, malformed JSON, unknown op) each refused with a
// message naming the file and the problem.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "model/model_file.h"
#include "model/safetensors.h"
#include "nn/executor.h"
#include "tensor/file_bytes.h"
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
#include "temp_dir.h"

namespace {

using Bytes = std::vector<uint8_t>;
using nl::Shape;
using nl::Tensor;

std::string error_of(const nl::Status& s) { return s.ok() ? std::string("(no error)") : s.message(); }

// A safetensors file from a header text and float data, by hand.
Bytes safetensors_file(const std::string& header, const std::vector<float>& data, uint64_t claimed_length = 0) {
  const uint64_t n = claimed_length ? claimed_length : header.size();
  Bytes b;
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(n >> (8 * i)));
  b.insert(b.end(), header.begin(), header.end());
  const size_t at = b.size();
  b.resize(at + data.size() * 4);
  if (!data.empty()) std::memcpy(b.data() + at, data.data(), data.size() * 4);
  return b;
}

std::string entry(const std::string& name, const std::string& shape, uint64_t begin, uint64_t end,
                  const std::string& dtype = "F32") {
  return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" +
         std::to_string(begin) + "," + std::to_string(end) + "]}";
}

std::string st_error(const Bytes& bytes) { return error_of(nl::parse_safetensors(bytes, "w.st").status()); }

template <typename T>
std::unique_ptr<nl::Op> made(nl::Result<std::unique_ptr<T>> r) {
  REQUIRE(r.ok());
  return std::move(r.value());
}

// A graph using every op type the format knows, with deterministic weights.
nl::Model make_model_with_every_op() {
  nl::Model m;
  m.name = "every-op";
  m.description = "round-trip test";
  m.labels = {"a", "b", "c"};
  m.preprocessing.mean = {0.286f};
  m.preprocessing.std = {0.353f};
  m.preprocessing.invert = true;
  m.metadata_json = R"({"dataset":"none","accuracy":0.5})";
  nl::Graph& g = m.graph;
  REQUIRE(g.set_input("image", Shape{1, 8, 8, 1}).ok());
  auto add = [&](const char* name, std::unique_ptr<nl::Op> op, std::vector<int> inputs) {
    auto id = g.add(name, std::move(op), std::move(inputs));
    INFO(name << ": " << error_of(id.status()));
    REQUIRE(id.ok());
    return id.value();
  };
  nl::Conv2DParams c1;
  c1.in_channels = 1, c1.out_channels = 4, c1.kernel_h = c1.kernel_w = 3, c1.pad_top = c1.pad_left = 1;
  c1.pad_bottom = c1.pad_right = 1;
  const int conv1 = add("conv1", made(nl::Conv2D::create(c1)), {0});
  const int bn = add("bn1", made(nl::BatchNorm::create(4, 1e-3f, 0.05f)), {conv1});
  const int relu = add("relu1", made(nl::ReLU::create()), {bn});
  nl::Pool2DParams mp;  // 2x2, stride 2
  const int pool = add("pool1", made(nl::MaxPool2D::create(mp)), {relu});
  nl::Conv2DParams dw;
  dw.in_channels = dw.out_channels = dw.groups = 4, dw.kernel_h = 3, dw.kernel_w = 1, dw.has_bias = false;
  dw.pad_top = 1, dw.pad_bottom = 1, dw.stride_w = 1, dw.dilation_h = 1;
  const int depthwise = add("depthwise", made(nl::Conv2D::create(dw)), {pool});
  const int leaky = add("leaky", made(nl::LeakyReLU::create(0.1f)), {depthwise});
  const int sum = add("residual", made(nl::Add::create()), {pool, leaky});
  const int relu6 = add("relu6", made(nl::Clip::create_relu6()), {sum});
  const int hswish = add("hswish", made(nl::HardSwish::create()), {relu6});
  const int hsig = add("hsig", made(nl::HardSigmoid::create(1.0f / 6.0f, 0.5f)), {sum});
  const int sig = add("sig", made(nl::Sigmoid::create()), {sum});
  const int tanh = add("tanh", made(nl::Tanh::create()), {sum});
  const int half = add("half", made(nl::Scale::create(0.5f)), {tanh});
  const int floor = add("floor", made(nl::Clip::create(-0.25f, std::numeric_limits<float>::infinity())), {half});
  const int cat = add("cat", made(nl::Concat::create()), {hswish, hsig, sig, floor});
  nl::Pool2DParams ap;
  ap.kernel_h = ap.kernel_w = 3, ap.stride_h = ap.stride_w = 2, ap.pad_top = ap.pad_left = 1;
  ap.pad_bottom = ap.pad_right = 1, ap.ceil_mode = true, ap.count_include_pad = false;
  const int avg = add("avg", made(nl::AvgPool2D::create(ap)), {cat});
  const int flat = add("flat", made(nl::Flatten::create()), {avg});
  const int gap = add("gap", made(nl::GlobalAvgPool::create()), {cat});
  const int joined = add("joined", made(nl::Concat::create()), {flat, gap});
  const int drop = add("drop", made(nl::Dropout::create(0.25f)), {joined});
  const int64_t features = g.node(joined).shape[1];
  const int fc = add("fc", made(nl::Dense::create(features, 3)), {drop});
  add("probs", made(nl::Softmax::create()), {fc});
  g.set_output(fc);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (const nl::Param& p : g.params()) {
    for (int64_t i = 0; i < p.value->elements(); ++i) (*p.value)[i] = u(rng);
    if (p.name == "bn1.running_var")
      for (int64_t i = 0; i < p.value->elements(); ++i) (*p.value)[i] = 0.5f + std::abs((*p.value)[i]);
  }
  return m;
}

Tensor forward(nl::Model& m, const Tensor& x) {
  nl::Executor ex(&m.graph);
  REQUIRE(ex.forward(x).ok());
  return ex.value(m.graph.output());
}

// A hand-written model: one 2x2 convolution then Flatten, on a 2x2 grey input.
const char* kHandModel = R"({
  "format": "neuronlens-model",
  "version": 1,
  "name": "hand",
  "input": {"name": "pixels", "layout": "NHWC", "shape": [1, 2, 2, 1]},
  "preprocessing": {"colour": "grey", "scale": 0.00392156862745098, "mean": 0.5, "std": [0.25]},
  "labels": ["only"],
  "nodes": [
    {"name": "conv1", "op": "Conv2D", "inputs": ["pixels"], "settings": {"out_channels": 1, "kernel": 2}},
    {"name": "flat", "op": "Flatten", "inputs": ["conv1"]}
  ]
})";

// conv1.weight [1, 2, 2, 1] = 1, 2, 3, 4 (row-major: top-left, top-right,
// bottom-left, bottom-right); conv1.bias [1] = 0.5.
Bytes hand_weights() {
  return safetensors_file(std::string("{") + entry("conv1.weight", "[1,2,2,1]", 0, 16) + "," + entry("conv1.bias", "[1]", 16, 20) + "}",
                          {1, 2, 3, 4, 0.5f});
}

nl::Result<nl::Model> parse_texts(const std::string& model_json, const Bytes& weights) {
  return nl::parse_model(std::span(reinterpret_cast<const uint8_t*>(model_json.data()), model_json.size()), "model.json",
                         weights, "weights.safetensors");
}

std::string model_error(const std::string& model_json, const Bytes& weights = hand_weights()) {
  return error_of(parse_texts(model_json, weights).status());
}

// kHandModel with `from` replaced by `to` (which must occur).
std::string hand_model_with(const std::string& from, const std::string& to) {
  std::string s = kHandModel;
  const size_t at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

}  // namespace

// ---- safetensors ---------------------------------------------------------------------

TEST_CASE("safetensors: a hand-written file gives its tensors and metadata", "[model]") {
  const Bytes file = safetensors_file(std::string("{") + entry("b", "[2]", 0, 8) + "," + entry("a", "[1,1]", 8, 12) +
                                          ",\"__metadata__\":{\"format\":\"pt\"}}   ",
                                      {1.5f, -2.0f, 3.25f});
  auto parsed = nl::parse_safetensors(file, "w.st");
  REQUIRE(parsed.ok());
  const auto& t = parsed.value().tensors;
  REQUIRE(t.size() == 2);
  CHECK(t[0].name == "b");
  CHECK(t[0].tensor.shape() == Shape{2});
  CHECK(t[0].tensor[0] == 1.5f);
  CHECK(t[0].tensor[1] == -2.0f);
  CHECK(t[1].name == "a");
  CHECK(t[1].tensor.shape() == Shape{1, 1});
  CHECK(t[1].tensor[0] == 3.25f);
  REQUIRE(parsed.value().metadata.size() == 1);
  CHECK(parsed.value().metadata[0] == std::pair<std::string, std::string>("format", "pt"));

  // Scalars and empty tensors are legal.
  auto odd = nl::parse_safetensors(safetensors_file(std::string("{") + entry("s", "[]", 0, 4) + "," + entry("e", "[0,3]", 4, 4) + "}", {7}), "o");
  REQUIRE(odd.ok());
  CHECK(odd.value().tensors[0].tensor.shape().rank() == 0);  // tensors come in offset order
  CHECK(odd.value().tensors[0].tensor[0] == 7.0f);
  CHECK(odd.value().tensors[1].tensor.shape() == Shape{0, 3});
}

TEST_CASE("safetensors: writing then reading gives the same tensors, bit for bit", "[model]") {
  Tensor a(Shape{2, 3, 1, 2}), b(Shape{5}), empty(Shape{0, 4});
  for (int64_t i = 0; i < a.elements(); ++i) a[i] = std::ldexp(float(i) - 5.5f, int(i) - 6);
  for (int64_t i = 0; i < b.elements(); ++i) b[i] = -std::numeric_limits<float>::denorm_min() * float(i + 1);
  const nl::TensorToWrite tensors[] = {{"layer.weight", &a}, {"layer.bias", &b}, {"nothing", &empty}};
  auto bytes = nl::serialize_safetensors(tensors, {{"writer", "neuronlens"}});
  REQUIRE(bytes.ok());
  uint64_t header = 0;
  for (int i = 7; i >= 0; --i) header = header << 8 | bytes.value()[size_t(i)];
  CHECK(header % 8 == 0);  // data 8-byte aligned
  CHECK(bytes.value()[8] == '{');
  auto back = nl::parse_safetensors(bytes.value(), "rt");
  REQUIRE(back.ok());
  const auto& t = back.value().tensors;
  REQUIRE(t.size() == 3);
  CHECK(t[0].name == "layer.weight");
  CHECK(t[0].tensor.shape() == a.shape());
  CHECK(std::memcmp(t[0].tensor.data(), a.data(), size_t(a.elements()) * 4) == 0);
  CHECK(std::memcmp(t[1].tensor.data(), b.data(), size_t(b.elements()) * 4) == 0);
  CHECK(t[2].tensor.shape() == Shape{0, 4});
  CHECK(back.value().metadata[0].second == "neuronlens");

  nl::test::TempDir dir;
  REQUIRE(nl::write_safetensors(dir.file("w.safetensors"), tensors).ok());
  auto read = nl::read_safetensors(dir.file("w.safetensors"));
  REQUIRE(read.ok());
  CHECK(read.value().tensors[1].tensor[4] == b[4]);

  const nl::TensorToWrite duplicate[] = {{"x", &a}, {"x", &b}};
  CHECK_THAT(error_of(nl::serialize_safetensors(duplicate).status()), Catch::Contains("two tensors are named 'x'"));
  const nl::TensorToWrite reserved[] = {{"__metadata__", &a}};
  CHECK_THAT(error_of(nl::serialize_safetensors(reserved).status()), Catch::Contains("reserved"));
}

TEST_CASE("safetensors: hostile files are refused with a message naming the file and the problem", "[model]") {
  const std::string good_header = std::string("{") + entry("w", "[2,2]", 0, 16) + "}";
  const Bytes good = safetensors_file(good_header, {1, 2, 3, 4});
  REQUIRE(nl::parse_safetensors(good, "w.st").ok());
  // Every truncation of a valid file is refused.
  for (size_t n = 0; n < good.size(); ++n) REQUIRE_FALSE(nl::parse_safetensors(std::span(good.data(), n), "w.st").ok());

  CHECK_THAT(st_error({1, 2, 3}), Catch::Contains("w.st: truncated safetensors file"));
  CHECK_THAT(st_error(Bytes(good.begin(), good.end() - 1)), Catch::Contains("data_offsets [0, 16] outside the 15 data bytes"));
  // Header lengths beyond the file, including ones that would overflow an addition.
  CHECK_THAT(st_error(safetensors_file(good_header, {1, 2, 3, 4}, 1000)), Catch::Contains("the header length field says 1000"));
  CHECK_THAT(st_error(safetensors_file(good_header, {}, ~uint64_t{0})), Catch::Contains("header length field says 18446744073709551615"));
  CHECK_THAT(st_error(safetensors_file("[1,2]", {})), Catch::Contains("must start with '{'"));
  CHECK_THAT(st_error(Bytes{'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0}), Catch::Contains("header length field says"));
  CHECK_THAT(st_error(safetensors_file("{\"w\":{\"dtype\":\"F32\",", {})), Catch::Contains("malformed JSON header"));
  CHECK_THAT(st_error(safetensors_file(std::string("{") + entry("a", "[2]", 0, 8) + "," + entry("b", "[2]", 4, 12) + "}", {1, 2, 3})),
             Catch::Contains("tensors 'a' [0, 8) and 'b' [4, 12) overlap"));
  CHECK_THAT(st_error(safetensors_file(std::string("{") + entry("a", "[1]", 0, 4) + "," + entry("b", "[1]", 8, 12) + "}", {1, 2, 3})),
             Catch::Contains("data bytes [4, 8) belong to no tensor"));
  CHECK_THAT(st_error(safetensors_file(good_header, {1, 2, 3, 4, 5})), Catch::Contains("data bytes [16, 20) belong to no tensor"));
  CHECK_THAT(st_error(safetensors_file(std::string("{") + entry("w", "[2,2]", 0, 1u << 30) + "}", {1, 2, 3, 4})),
             Catch::Contains("data_offsets [0, 1073741824] outside the 16 data bytes"));
  CHECK_THAT(st_error(safetensors_file(std::string("{") + entry("w", "[0]", 8, 4) + "}", {1, 2})), Catch::Contains("outside the 8 data bytes"));
  CHECK_THAT(st_error(safetensors_file(std::string("{") + entry("w", "[2,2]", 0, 8, "F16") + "}", {1, 2})),
             Catch::Contains("tensor 'w' has dtype 'F16'; only F32 is supported"));
  CHECK_THAT(st_error(safetensors_file(std::string("{") + entry("w", "[2]", 0, 8, "Q4") + "}", {1, 2})),
             Catch::Contains("'Q4' (not a safetensors dtype)"));
  CHECK_THAT(st_error(safetensors_file(std::string("{") + entry("w", "[3,2]", 0, 16) + "}", {1, 2, 3, 4})),
             Catch::Contains("tensor 'w' has shape [3, 2] (F32, 24 bytes) but data_offsets [0, 16] span 16 bytes"));
  CHECK_THAT(st_error(safetensors_file(std::string("{") + entry("w", "[4294967296,4294967296,4294967296]", 0, 16) + "}", {1, 2, 3, 4})),
             Catch::Contains("more elements than any file can hold"));
  CHECK_THAT(st_error(safetensors_file(std::string("{") + entry("w", "[1,1,1,1,4]", 0, 16) + "}", {1, 2, 3, 4})),
             Catch::Contains("more than 4 dimensions"));
  CHECK_THAT(st_error(safetensors_file(std::string("{") + entry("w", "[-4]", 0, 16) + "}", {1, 2, 3, 4})),
             Catch::Contains("unexpected a negative number in a shape"));
  CHECK_THAT(st_error(safetensors_file(std::string("{") + entry("w", "[4.0]", 0, 16) + "}", {1, 2, 3, 4})),
             Catch::Contains("non-integer number"));
  CHECK_THAT(st_error(safetensors_file(std::string("{") + entry("w", "[4]", 0, 16) + "," + entry("w", "[4]", 0, 16) + "}", {1, 2, 3, 4})),
             Catch::Contains("duplicate tensor name 'w'"));
  CHECK_THAT(st_error(safetensors_file("{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F32\"}}", {})),
             Catch::Contains("unexpected or repeated key 'dtype'"));
  CHECK_THAT(st_error(safetensors_file("{\"w\":{\"dtype\":\"F32\",\"shape\":[]}}", {})),
             Catch::Contains("tensor 'w' has no \"data_offsets\""));
  CHECK_THAT(st_error(safetensors_file("{\"w\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0]}}", {})),
             Catch::Contains("data_offsets must hold 2 numbers"));
  CHECK_THAT(st_error(safetensors_file("{\"w\":[1]}", {})), Catch::Contains("as a tensor entry (must be an object)"));
  CHECK_THAT(st_error(safetensors_file("{\"__metadata__\":{\"k\":1}}", {})), Catch::Contains("as a __metadata__ value"));
  CHECK_THAT(st_error(safetensors_file("{\"w\":" + std::string(50000, '[') + "}", {})), Catch::Contains("unexpected an array"));
  CHECK_THAT(st_error(safetensors_file("{}x", {})), Catch::Contains("malformed JSON header"));
  CHECK(nl::parse_safetensors(safetensors_file("{}", {}), "empty").ok());  // no tensors is a valid file

  nl::test::TempDir dir;
  CHECK_THAT(error_of(nl::read_safetensors(dir.file("absent.safetensors")).status()), Catch::Contains("absent.safetensors: file not found"));
}

// ---- model.json -----------------------------------------------------------------------

TEST_CASE("model: a hand-written model.json loads and computes what the documentation says", "[model]") {
  auto loaded = parse_texts(kHandModel, hand_weights());
  INFO(error_of(loaded.status()));
  REQUIRE(loaded.ok());
  nl::Model& m = loaded.value();
  CHECK(m.name == "hand");
  CHECK(m.labels == std::vector<std::string>{"only"});
  CHECK(m.graph.node(0).name == "pixels");
  CHECK(m.graph.node(0).shape == Shape{1, 2, 2, 1});
  CHECK(m.graph.output() == 2);
  CHECK(m.preprocessing.colour == nl::Preprocessing::Colour::kGrey);
  CHECK_FALSE(m.preprocessing.invert);
  CHECK(m.preprocessing.mean == std::vector<float>{0.5f});
  CHECK(m.preprocessing.std == std::vector<float>{0.25f});
  CHECK(m.preprocessing.scale == 1.0f / 255.0f);
  // Defaults filled in: in_channels from the input, stride 1, no padding.
  const auto& conv = dynamic_cast<const nl::Conv2D&>(*m.graph.node(1).op);
  CHECK(conv.settings().in_channels == 1);
  CHECK(conv.settings().stride_h == 1);
  CHECK(conv.settings().has_bias);
  // y = 1*x00 + 2*x01 + 3*x10 + 4*x11 + 0.5
  Tensor x(Shape{1, 2, 2, 1});
  x[0] = 1, x[1] = 10, x[2] = 100, x[3] = 1000;
  CHECK(forward(m, x)[0] == 4321.5f);
}

TEST_CASE("model: save then load reproduces the files byte for byte and the outputs exactly", "[model]") {
  nl::Model original = make_model_with_every_op();
  auto files = nl::serialize_model(original);
  INFO(error_of(files.status()));
  REQUIRE(files.ok());
  CHECK(files.value().model_json.find("\"alpha\": 0.1\n") != std::string::npos);  // floats stay readable

  nl::test::TempDir dir;
  REQUIRE(nl::save_model(original, dir.path()).ok());
  auto loaded = nl::load_model(dir.path());
  INFO(error_of(loaded.status()));
  REQUIRE(loaded.ok());
  nl::Model& copy = loaded.value();

  auto again = nl::serialize_model(copy);
  REQUIRE(again.ok());
  CHECK(again.value().model_json == files.value().model_json);
  CHECK(again.value().weights == files.value().weights);

  CHECK(copy.name == original.name);
  CHECK(copy.description == original.description);
  CHECK(copy.labels == original.labels);
  CHECK(copy.preprocessing.invert);
  CHECK(copy.preprocessing.mean == original.preprocessing.mean);
  CHECK(copy.metadata_json == original.metadata_json);  // keys keep their order
  REQUIRE(copy.graph.size() == original.graph.size());
  CHECK(copy.graph.output() == original.graph.output());
  for (int id = 0; id < original.graph.size(); ++id) {
    const nl::Node& a = original.graph.node(id);
    const nl::Node& b = copy.graph.node(id);
    CHECK(a.name == b.name);
    CHECK(a.inputs == b.inputs);
    CHECK(a.shape == b.shape);
    if (id) CHECK(a.op->type() == b.op->type());
  }
  auto pa = original.graph.params();
  auto pb = copy.graph.params();
  REQUIRE(pa.size() == pb.size());
  for (size_t i = 0; i < pa.size(); ++i) {
    CHECK(pa[i].name == pb[i].name);
    REQUIRE(pa[i].value->shape() == pb[i].value->shape());
    CHECK(std::memcmp(pa[i].value->data(), pb[i].value->data(), size_t(pa[i].value->elements()) * 4) == 0);
  }
  Tensor x(Shape{3, 8, 8, 1});
  for (int64_t i = 0; i < x.elements(); ++i) x[i] = std::sin(0.37f * float(i));
  const Tensor ya = forward(original, x), yb = forward(copy, x);
  REQUIRE(ya.shape() == Shape{3, 3});
  for (int64_t i = 0; i < ya.elements(); ++i) CHECK(ya[i] == yb[i]);
}

TEST_CASE("model: hostile or inconsistent files are refused with a message naming the file", "[model]") {
  REQUIRE(parse_texts(kHandModel, hand_weights()).ok());
  // JSON itself.
  CHECK_THAT(model_error(std::string(kHandModel).substr(0, 200)), Catch::Contains("model.json: malformed JSON"));
  CHECK_THAT(model_error("{\"format\": \"neuronlens-model\", \"format\": \"x\"}"), Catch::Contains("model.json: duplicate key 'format'"));
  CHECK_THAT(model_error(std::string(100000, '[')), Catch::Contains("model.json: JSON nested deeper than 64 levels"));
  CHECK_THAT(model_error("[]"), Catch::Contains("model.json must be a JSON object"));
  // Header fields.
  CHECK_THAT(model_error(hand_model_with("\"neuronlens-model\"", "\"onnx\"")), Catch::Contains("'format' is 'onnx'"));
  CHECK_THAT(model_error(hand_model_with("\"version\": 1", "\"version\": 2")), Catch::Contains("format version 2 is not supported"));
  CHECK_THAT(model_error(hand_model_with("\"name\": \"hand\",", "\"name\": \"hand\", \"colour\": 1,")),
             Catch::Contains("model.json: unknown key 'colour'"));
  CHECK_THAT(model_error(hand_model_with("\"labels\": [\"only\"]", "\"labels\": [\"a\", \"b\"]")),
             Catch::Contains("model.json: 2 labels, but the output node 'flat' gives 1 values per image [1, 1]"));
  CHECK_THAT(model_error(hand_model_with("[1, 2, 2, 1]", "[1, 2, 2, 3]")),
             Catch::Contains("preprocessing 'colour' is \"grey\" (1 channel) but the input has 3"));
  CHECK_THAT(model_error(hand_model_with("[1, 2, 2, 1]", "[1, 100000, 2, 1]")), Catch::Contains("input shape [1, 100000, 2, 1] must be"));
  CHECK_THAT(model_error(hand_model_with("\"NHWC\"", "\"NCHW\"")), Catch::Contains("input layout 'NCHW' is not supported"));
  CHECK_THAT(model_error(hand_model_with("\"std\": [0.25]", "\"std\": [0]")), Catch::Contains("preprocessing: 'std' must be"));
  CHECK_THAT(model_error(hand_model_with("\"mean\": 0.5", "\"mean\": [0.5, 0.5]")), Catch::Contains("'mean' has 2 values"));
  // Nodes.
  CHECK_THAT(model_error(hand_model_with("\"op\": \"Flatten\"", "\"op\": \"Transformer\"")),
             Catch::Contains("model.json: node 'flat' has unknown op 'Transformer' (known: Conv2D, Dense,"));
  CHECK_THAT(model_error(hand_model_with("\"kernel\": 2", "\"kernel\": 2, \"strides\": 1")),
             Catch::Contains("model.json: node 'conv1' (Conv2D) settings: unknown key 'strides'"));
  CHECK_THAT(model_error(hand_model_with("\"kernel\": 2", "\"kernel\": [2, 2.5]")),
             Catch::Contains("'kernel' must be an integer or a pair of integers"));
  CHECK_THAT(model_error(hand_model_with("\"kernel\": 2", "\"kernel\": 2, \"dilation\": 2")),
             Catch::Contains("model.json: Conv2D node 'conv1'"));
  CHECK_THAT(model_error(hand_model_with("\"inputs\": [\"conv1\"]", "\"inputs\": [\"flat\"]")),
             Catch::Contains("node 'flat' (Flatten): input 'flat' is not the model input or an earlier node"));
  CHECK_THAT(model_error(hand_model_with("\"name\": \"flat\"", "\"name\": \"conv1\"")), Catch::Contains("two nodes are named 'conv1'"));
  CHECK_THAT(model_error(hand_model_with("\"labels\"", "\"output\": \"nowhere\", \"labels\"")),
             Catch::Contains("'output' names 'nowhere', which is not a node"));
  // A tiny model.json may not claim more parameters than the weights file backs
  // (the error comes before anything is allocated).
  CHECK_THAT(model_error(hand_model_with("\"out_channels\": 1, \"kernel\": 2", "\"out_channels\": 16000000, \"kernel\": 60000")),
             Catch::Contains("needs 57600000016000000 parameters but the weights file holds only 5 more floats"));
  // Weights against the graph.
  const std::string weights_for_3_channels =
      std::string("{") + entry("conv1.weight", "[1,2,2,3]", 0, 48) + "," + entry("conv1.bias", "[1]", 48, 52) + "}";
  CHECK_THAT(model_error(kHandModel, safetensors_file(weights_for_3_channels, std::vector<float>(13, 1.0f))),
             Catch::Contains("weights.safetensors: tensor 'conv1.weight' has shape [1, 2, 2, 3] but the graph expects [1, 2, 2, 1]"));
  CHECK_THAT(model_error(kHandModel, safetensors_file(std::string("{") + entry("conv1.weight", "[1,2,2,1]", 0, 16) + "," +
                                                         entry("conv1.b", "[1]", 16, 20) + "}", {1, 2, 3, 4, 5})),
             Catch::Contains("weights.safetensors: no tensor 'conv1.bias' (the graph expects one of shape [1])"));
  CHECK_THAT(model_error(kHandModel, safetensors_file(std::string("{") + entry("conv1.weight", "[1,2,2,1]", 0, 16) + "," +
                                                         entry("conv1.bias", "[1]", 16, 20) + "," + entry("extra", "[1]", 20, 24) + "}",
                                                     {1, 2, 3, 4, 5, 6})),
             Catch::Contains("weights.safetensors: tensor 'extra' is not a parameter of any node"));
  CHECK_THAT(model_error(kHandModel, safetensors_file(std::string("{") + entry("conv1.weight", "[1,2,2,1]", 0, 16) + "," +
                                                         entry("conv1.bias", "[1]", 16, 20) + "}", {1, 2, NAN, 4, 5})),
             Catch::Contains("weights.safetensors: tensor 'conv1.weight' holds a non-finite value (nan) at index 2"));
  CHECK_THAT(model_error(kHandModel, safetensors_file(std::string("{") + entry("conv1.weight", "[1,2,2,1]", 0, 8, "F64") + "}", {1, 2})),
             Catch::Contains("weights.safetensors: tensor 'conv1.weight' has dtype 'F64'"));
  CHECK_THAT(model_error(kHandModel, Bytes{1, 2}), Catch::Contains("weights.safetensors: truncated"));
}

TEST_CASE("model: folders, missing files, and weights names that leave the folder", "[model]") {
  nl::test::TempDir dir;
  CHECK_THAT(error_of(nl::load_model(dir.path()).status()), Catch::Contains("model.json: file not found"));
  dir.write("model.json", std::string(kHandModel));
  CHECK_THAT(error_of(nl::load_model(dir.path()).status()), Catch::Contains("weights.safetensors: file not found"));
  dir.write("weights.safetensors", hand_weights());
  REQUIRE(nl::load_model(dir.path()).ok());
  dir.write("model.json", hand_model_with("\"labels\"", "\"weights\": \"../../etc/passwd\", \"labels\""));
  CHECK_THAT(error_of(nl::load_model(dir.path()).status()), Catch::Contains("'weights' must be a file name in the model's folder"));
  dir.write("other.safetensors", hand_weights());
  dir.write("model.json", hand_model_with("\"labels\"", "\"weights\": \"other.safetensors\", \"labels\""));
  CHECK(nl::load_model(dir.path()).ok());
}

TEST_CASE("model: BatchNorm weights are checked beyond finiteness", "[model]") {
  nl::Model m = make_model_with_every_op();
  auto files = nl::serialize_model(m);
  REQUIRE(files.ok());
  for (const nl::Param& p : m.graph.params())
    if (p.name == "bn1.running_var") (*p.value)[2] = -1.0f;
  CHECK_THAT(error_of(nl::serialize_model(m).status()),
             Catch::Contains("node 'bn1' (BatchNorm): running_var[2] is -1.000000; a variance cannot be negative"));
}

TEST_CASE("model: the complete example of docs/MODEL_FORMAT.md loads with the weights it lists", "[model]") {
  auto doc = nl::read_file_bytes(std::string(NL_SOURCE_DIR) + "/docs/MODEL_FORMAT.md", 1 << 20);
  REQUIRE(doc.ok());
  const std::string text(doc.value().begin(), doc.value().end());
  const size_t begin = text.rfind("```json\n");
  REQUIRE(begin != std::string::npos);
  const size_t end = text.find("```", begin + 8);
  const std::string example = text.substr(begin + 8, end - begin - 8);
  // The shapes the document lists after the example.
  std::vector<std::pair<std::string, Shape>> listed = {
      {"conv1.weight", Shape{16, 3, 3, 1}}, {"conv1.bias", Shape{16}},      {"conv2.weight", Shape{32, 3, 3, 16}},
      {"conv2.bias", Shape{32}},            {"fc.weight", Shape{10, 1568}}, {"fc.bias", Shape{10}}};
  std::vector<Tensor> values;
  for (auto& [name, shape] : listed) values.emplace_back(shape);
  std::vector<nl::TensorToWrite> tensors;
  for (size_t i = 0; i < listed.size(); ++i) tensors.push_back({listed[i].first, &values[i]});
  auto weights = nl::serialize_safetensors(tensors);
  REQUIRE(weights.ok());
  auto model = parse_texts(example, weights.value());
  INFO(error_of(model.status()));
  REQUIRE(model.ok());
  CHECK(model.value().labels.size() == 10);
  CHECK(model.value().graph.node(model.value().graph.output()).shape == Shape{1, 10});
}
