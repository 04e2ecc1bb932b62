// PyTorch parity [torch]: every case of the reference data written by
// tests/reference/make_reference.py (the build runs it into
// ${CMAKE_BINARY_DIR}/reference) is rebuilt in the engine, run forward and
// backward from the same upstream gradient, and the output, every input
// gradient and every parameter gradient are compared with PyTorch's float64
// answer: relative error max|a - b| / max|b| at most kMaxRelativeError per tensor.
//
// Sections:
//   1. locating the data (a missing directory fails, saying how to make it)
//   2. comparing and recording errors
//   3. engine ops for single op cases, by kind
//   4. running a case: single-input ops and networks through Graph + Executor,
//      multi-input ops (Add, Concat) through the Op interface directly
//   5. the networks (VGG-style, ResNet basic blocks, depthwise-separable)
//   6. the test cases
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "kernels/thread_pool.h"
#include "nn/executor.h"
#include "nn/graph.h"
#include "nn/loss.h"
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
#include "net_builder.h"
#include "reference_data.h"

namespace {

using nl::test::ReferenceCase;

constexpr double kMaxRelativeError = 1e-4;

// ---- 1. locating the data -----------------------------------------------------------------

std::string reference_dir() {
#ifndef __EMSCRIPTEN__
  // Natively an environment variable may point elsewhere (Node's environment does not reach wasm).
  if (const char* dir = std::getenv("NL_REFERENCE_DIR"); dir && *dir) return dir;
#endif
  return NL_REFERENCE_DIR;
}

std::string how_to_generate() {
  return std::string("Generate the PyTorch reference data with:\n  ") + NL_REFERENCE_COMMAND +
         "\n(the build does this itself when /usr/bin/python3 can import torch: python3-torch from Debian)";
}

std::vector<std::string> load_index() {
  std::vector<std::string> names;
  nl::Status s = nl::test::read_reference_index(reference_dir(), &names);
  if (!s.ok()) FAIL(s.message() << "\n" << how_to_generate());
  return names;
}

ReferenceCase load_case(const std::string& name) {
  ReferenceCase c;
  nl::Status s = nl::test::read_reference_case(reference_dir(), name, &c);
  if (!s.ok()) FAIL(s.message() << "\n" << how_to_generate());
  return c;
}

// ---- 2. comparing and recording errors ---------------------------------------------------

// Worst relative error per case and role (output, input gradients, parameter
// gradients and updated buffers), over every variant, for the printed summary.
struct ErrorSummary {
  struct Row {
    double worst[3] = {-1, -1, -1};  // out, d input, d params; -1: none compared
    int checks = 0;
  };
  std::map<std::string, Row> rows;

  void record(const std::string& case_name, const std::string& what, double rel) {
    Row& r = rows[case_name];
    ++r.checks;
    const int role = what == "out" ? 0 : what.rfind("in", 0) == 0 ? 1 : 2;
    r.worst[role] = std::max(r.worst[role], rel);
  }
  // One line always; the per-case table when NL_REFERENCE_REPORT is set (natively).
  void print(const std::string& title) const {
    double worst = 0;
    std::string worst_case;
    for (const auto& [name, r] : rows)
      for (double w : r.worst)
        if (w >= worst) { worst = w; worst_case = name; }
    std::ostringstream s;
    s << "torch parity, " << title << ": " << rows.size() << " cases, worst relative error " << std::scientific
      << std::setprecision(2) << worst << " (" << worst_case << "), limit " << kMaxRelativeError << "\n";
    if (std::getenv("NL_REFERENCE_REPORT")) {
      s << "  " << std::left << std::setw(32) << "case" << std::right << std::setw(10) << "out" << std::setw(10)
        << "d input" << std::setw(10) << "d params" << std::setw(8) << "checks" << "\n";
      for (const auto& [name, r] : rows) {
        s << "  " << std::left << std::setw(32) << name << std::right;
        for (double w : r.worst) {
          if (w < 0) s << std::setw(10) << "-";
          else s << std::setw(10) << w;
        }
        s << std::setw(8) << r.checks << "\n";
      }
    }
    std::cout << s.str() << std::flush;
  }
};

// Compares one engine tensor with the reference tensor `what` of the case.
void expect_close(const ReferenceCase& c, const std::string& what, const nl::Tensor& actual, ErrorSummary& summary,
                  const std::string& variant) {
  const nl::Tensor* expected = c.find(what);
  if (!expected) {
    FAIL_CHECK(c.name << ": the reference has no tensor '" << what << "'");
    return;
  }
  nl::test::TensorComparison cmp = nl::test::compare_tensors(actual, *expected);
  summary.record(c.name, what, cmp.relative_error);
  INFO(c.name << " [" << variant << "] " << what << ": relative error " << cmp.relative_error << " (limit "
              << kMaxRelativeError << ")\n    " << cmp.detail);
  CHECK(cmp.relative_error <= kMaxRelativeError);
}

// The reference tensor `what`, reshaped to `shape` when only unit dimensions differ.
nl::Tensor reference_as(const ReferenceCase& c, const std::string& what, const nl::Shape& shape) {
  const nl::Tensor* t = c.find(what);
  if (!t) FAIL(c.name << ": the reference has no tensor '" << what << "'");
  nl::Tensor copy = *t;
  if (copy.shape() != shape) {
    REQUIRE(copy.elements() == shape.elements());
    copy.reshape(shape);
  }
  return copy;
}

// The reference's name for an engine parameter: Graph::params() gives
// "<node>.<param>"; single op cases are written without the node ("weight"),
// so their node's prefix ("op.") is removed.
std::string reference_key(const std::string& engine_name, const std::string& strip) {
  return engine_name.rfind(strip, 0) == 0 ? engine_name.substr(strip.size()) : engine_name;
}

// Copies every "param/<name>" of the case into the matching engine
// parameter, and checks that none is left over on either side.
void load_params(const ReferenceCase& c, std::vector<nl::Param> params, const std::string& strip) {
  std::set<std::string> unused;
  for (const std::string& n : c.names_with_prefix("param/")) unused.insert(n);
  for (nl::Param& p : params) {
    const std::string key = reference_key(p.name, strip);
    const nl::Tensor* t = c.find("param/" + key);
    if (!t) FAIL(c.name << ": engine parameter '" << key << "' " << p.value->shape().str() << " has no reference value");
    INFO(c.name << ": parameter '" << key << "'");
    REQUIRE(t->elements() == p.value->elements());
    for (int64_t i = 0; i < t->elements(); ++i) (*p.value)[i] = (*t)[i];
    unused.erase(key);
  }
  for (const std::string& n : unused) FAIL_CHECK(c.name << ": reference parameter '" << n << "' has no engine counterpart");
}

// Compares parameter gradients (and, after a training forward, updated buffers).
void compare_params(const ReferenceCase& c, std::vector<nl::Param> params, const std::string& strip,
                    ErrorSummary& summary, const std::string& variant) {
  std::set<std::string> expected_grads;
  for (const std::string& n : c.names_with_prefix("grad/")) expected_grads.insert(n);
  for (nl::Param& p : params) {
    const std::string key = reference_key(p.name, strip);
    if (p.grad) {
      expected_grads.erase(key);
      expect_close(c, "grad/" + key, *p.grad, summary, variant);
    } else if (c.find("after/" + key)) {
      expect_close(c, "after/" + key, *p.value, summary, variant);
    }
  }
  for (const std::string& n : expected_grads) FAIL_CHECK(c.name << ": the engine gave no gradient for '" << n << "'");
}

// ---- 3. engine ops for single op cases, by kind -------------------------------------------

using OpResult = nl::Result<std::unique_ptr<nl::Op>>;

template <typename T>
OpResult upcast(nl::Result<std::unique_ptr<T>> r) {
  if (!r.ok()) return r.status();
  return std::unique_ptr<nl::Op>(std::move(r.value()));
}

OpResult make_conv2d(const ReferenceCase& c) {
  nl::Conv2DParams p;
  p.in_channels = c.integer("in_channels");
  p.out_channels = c.integer("out_channels");
  p.kernel_h = c.integer("kernel_h");
  p.kernel_w = c.integer("kernel_w");
  p.stride_h = c.integer("stride_h");
  p.stride_w = c.integer("stride_w");
  p.dilation_h = c.integer("dilation_h");
  p.dilation_w = c.integer("dilation_w");
  p.pad_top = c.integer("pad_top");
  p.pad_left = c.integer("pad_left");
  p.pad_bottom = c.integer("pad_bottom");
  p.pad_right = c.integer("pad_right");
  p.groups = c.integer("groups");
  p.has_bias = c.integer("has_bias") != 0;
  return upcast(nl::Conv2D::create(p));
}

nl::Pool2DParams pool_params(const ReferenceCase& c) {
  nl::Pool2DParams p;
  p.kernel_h = c.integer("kernel_h");
  p.kernel_w = c.integer("kernel_w");
  p.stride_h = c.integer("stride_h");
  p.stride_w = c.integer("stride_w");
  p.pad_top = c.integer("pad_top");
  p.pad_left = c.integer("pad_left");
  p.pad_bottom = c.integer("pad_bottom");
  p.pad_right = c.integer("pad_right");
  p.ceil_mode = c.integer("ceil_mode") != 0;
  p.count_include_pad = c.integer("count_include_pad") != 0;
  return p;
}

float attr(const ReferenceCase& c, const char* key) { return static_cast<float>(c.number(key)); }

OpResult make_op(const ReferenceCase& c) {
  const std::string& k = c.kind;
  if (k == "conv2d") return make_conv2d(c);
  if (k == "dense") return upcast(nl::Dense::create(c.integer("in_features"), c.integer("out_features"), c.integer("has_bias") != 0));
  if (k == "relu") return upcast(nl::ReLU::create());
  if (k == "clip") return upcast(nl::Clip::create(attr(c, "min"), attr(c, "max")));
  if (k == "leaky_relu") return upcast(nl::LeakyReLU::create(attr(c, "alpha")));
  if (k == "sigmoid") return upcast(nl::Sigmoid::create());
  if (k == "tanh") return upcast(nl::Tanh::create());
  if (k == "hard_sigmoid") return upcast(nl::HardSigmoid::create(attr(c, "alpha"), attr(c, "beta")));
  if (k == "hard_swish") return upcast(nl::HardSwish::create());
  if (k == "max_pool2d") return upcast(nl::MaxPool2D::create(pool_params(c)));
  if (k == "avg_pool2d") return upcast(nl::AvgPool2D::create(pool_params(c)));
  if (k == "global_avg_pool") return upcast(nl::GlobalAvgPool::create());
  if (k == "batch_norm") return upcast(nl::BatchNorm::create(c.integer("channels"), attr(c, "epsilon"), attr(c, "momentum")));
  if (k == "add") return upcast(nl::Add::create());
  if (k == "scale") return upcast(nl::Scale::create(attr(c, "factor")));
  if (k == "concat") {
    if (c.integer("axis") != 3) return nl::Status::Error("Concat joins the last (channel) axis only");
    return upcast(nl::Concat::create());
  }
  if (k == "flatten") return upcast(nl::Flatten::create());
  if (k == "dropout") return upcast(nl::Dropout::create(attr(c, "rate")));
  if (k == "softmax") return upcast(nl::Softmax::create());
  return nl::Status::Error("no engine builder for reference kind '" + k + "'");
}

bool is_network(const ReferenceCase& c) { return c.kind.rfind("net_", 0) == 0; }

// ---- 4. running a case ------------------------------------------------------------------------

struct Variant {
  std::string name;
  int threads;  // 0: no pool
};
const Variant kVariants[] = {{"no pool", 0}, {"2 threads", 2}};

// Runs `graph` (input node 0, output node graph.output()) forward and backward
// with the case's data and compares everything.
void run_graph_case(const ReferenceCase& c, nl::Graph& graph, const std::string& strip, nl::ThreadPool* pool,
                    const std::string& variant, ErrorSummary& summary) {
  const bool training = c.integer("training") != 0;
  load_params(c, graph.params(), strip);
  nl::Executor ex(&graph, pool);
  const nl::Tensor* in = c.find("in0");
  REQUIRE(in);
  nl::Status s = ex.forward(*in, training, 1);
  INFO(c.name << " [" << variant << "]");
  REQUIRE(s.ok());
  const int out = graph.output();
  expect_close(c, "out", ex.value(out), summary, variant);

  for (int i = 1; i < graph.size(); ++i) graph.node(i).op->zero_param_grads();
  nl::Tensor seed = reference_as(c, "out_grad", ex.value(out).shape());
  nl::BackwardRequest request;
  request.from = out;
  request.seed = &seed;
  request.want_param_grads = true;
  s = ex.backward(request);
  INFO(s.message());
  REQUIRE(s.ok());
  REQUIRE(ex.has_grad(0));
  expect_close(c, "in0_grad", ex.grad(0), summary, variant);
  compare_params(c, graph.params(), strip, summary, variant);
}

void run_single_op_case(const ReferenceCase& c, nl::ThreadPool* pool, const std::string& variant, ErrorSummary& summary) {
  OpResult op = make_op(c);
  if (!op.ok()) {
    FAIL_CHECK(c.name << ": " << op.status().message());
    return;
  }
  const nl::Tensor* in = c.find("in0");
  REQUIRE(in);
  nl::Graph graph;
  REQUIRE(graph.set_input("x", in->shape()).ok());
  auto id = graph.add("op", std::move(op.value()), {0});
  INFO(id.status().message());
  REQUIRE(id.ok());
  run_graph_case(c, graph, "op.", pool, variant, summary);
}

// Ops with several inputs: the Graph has a single input node, so these run
// through the Op interface directly, as the executor would call them.
void run_multi_input_case(const ReferenceCase& c, nl::ThreadPool* pool, const std::string& variant,
                          ErrorSummary& summary) {
  OpResult made = make_op(c);
  if (!made.ok()) {
    FAIL_CHECK(c.name << ": " << made.status().message());
    return;
  }
  nl::Op& op = *made.value();
  std::vector<const nl::Tensor*> ins;
  std::vector<nl::Shape> shapes;
  for (int i = 0; c.find("in" + std::to_string(i)); ++i) {
    ins.push_back(c.find("in" + std::to_string(i)));
    shapes.push_back(ins.back()->shape());
  }
  nl::Shape out_shape;
  nl::Status s = op.output_shape(shapes, &out_shape);
  INFO(c.name << ": " << s.message());
  REQUIRE(s.ok());
  nl::OpContext ctx{pool, c.integer("training") != 0, 1};
  nl::Tensor out(out_shape);
  op.forward(ctx, ins, out);
  expect_close(c, "out", out, summary, variant);
  nl::Tensor seed = reference_as(c, "out_grad", out_shape);
  std::vector<nl::Tensor> grads;
  for (const nl::Shape& sh : shapes) grads.emplace_back(sh);
  std::vector<nl::Tensor*> grad_ptrs;
  for (nl::Tensor& g : grads) grad_ptrs.push_back(&g);
  op.backward(ctx, ins, out, seed, grad_ptrs, true);
  for (size_t i = 0; i < grads.size(); ++i) expect_close(c, "in" + std::to_string(i) + "_grad", grads[i], summary, variant);
}

// The loss is a free function (nn/loss.h), not an op: the reference seeds a
// random upstream gradient g on the scalar loss, so d/d logits = g * d loss / d logits.
void run_loss_case(const ReferenceCase& c, ErrorSummary& summary, const std::string& variant) {
  std::vector<int> labels;
  std::stringstream list(c.string("labels"));
  for (std::string item; std::getline(list, item, ',');) labels.push_back(std::stoi(item));
  const nl::Tensor* logits = c.find("in0");
  const nl::Tensor* upstream = c.find("out_grad");
  REQUIRE(logits);
  REQUIRE(upstream);
  nl::Tensor grad;
  nl::Result<float> loss = nl::softmax_cross_entropy(*logits, labels, &grad);
  INFO(c.name << ": " << loss.status().message());
  REQUIRE(loss.ok());
  nl::Tensor out(nl::Shape{1});
  out[0] = loss.value();
  expect_close(c, "out", out, summary, variant);
  for (int64_t i = 0; i < grad.elements(); ++i) grad[i] *= (*upstream)[0];
  expect_close(c, "in0_grad", grad, summary, variant);
}

// ---- 5. the networks ------------------------------------------------------------------------

using nl::test::NetBuilder;

// input [N, 16, 16, 3] -> conv 3x3 (bias), ReLU -> conv, BN, ReLU -> max pool -> conv, BN, ReLU
// -> max pool -> [N, 4, 4, 16] -> flatten 256 -> dense 32, ReLU -> dense 10
nl::Status build_vgg(const ReferenceCase&, nl::Graph& g) {
  NetBuilder b(g);
  int x = b.relu("relu1", b.conv("conv1", 0, 3, 8, 3, 1, 1, 1, true));
  x = b.relu("relu2", b.bn("bn2", b.conv("conv2", x, 8, 8, 3, 1, 1), 8));
  x = b.max_pool_2x2("pool1", x);
  x = b.relu("relu3", b.bn("bn3", b.conv("conv3", x, 8, 16, 3, 1, 1), 16));
  x = b.max_pool_2x2("pool2", x);
  x = b.add("flatten", nl::Flatten::create(), {x});
  x = b.relu("fc1_relu", b.dense("fc1", x, 256, 32));
  b.dense("fc2", x, 32, 10);
  return b.status();
}

// stem (conv, BN, ReLU) -> basic block with identity shortcut -> basic block
// with a strided 1x1 projection shortcut (8 -> 16 channels) -> global average pool -> dense 10
nl::Status build_resnet(const ReferenceCase&, nl::Graph& g) {
  NetBuilder b(g);
  int x = b.relu("stem_relu", b.bn("stem_bn", b.conv("stem", 0, 3, 8, 3, 1, 1), 8));
  int y = b.relu("b1_relu1", b.bn("b1_bn1", b.conv("b1_conv1", x, 8, 8, 3, 1, 1), 8));
  y = b.bn("b1_bn2", b.conv("b1_conv2", y, 8, 8, 3, 1, 1), 8);
  x = b.relu("b1_relu", b.add("b1_add", nl::Add::create(), {y, x}));
  y = b.relu("b2_relu1", b.bn("b2_bn1", b.conv("b2_conv1", x, 8, 16, 3, 2, 1), 16));
  y = b.bn("b2_bn2", b.conv("b2_conv2", y, 16, 16, 3, 1, 1), 16);
  int shortcut = b.bn("b2_proj_bn", b.conv("b2_proj", x, 8, 16, 1, 2, 0), 16);
  x = b.relu("b2_relu", b.add("b2_add", nl::Add::create(), {y, shortcut}));
  x = b.add("pool", nl::GlobalAvgPool::create(), {x});
  b.dense("fc", x, 16, 10);
  return b.status();
}

// stem (conv stride 2, BN, x4, ReLU6) -> depthwise 3x3, BN, x4, ReLU6 ->
// pointwise 1x1 8 -> 16, BN, x4, ReLU6 -> global average pool -> dense 10
// (the x4 Scale makes ReLU6 clip at 6 somewhere)
nl::Status build_dwsep(const ReferenceCase&, nl::Graph& g) {
  NetBuilder b(g);
  auto bn_scale_relu6 = [&](const std::string& conv_name, int conv, int64_t channels) {
    int y = b.bn(conv_name + "_bn", conv, channels);
    y = b.add(conv_name + "_scale", nl::Scale::create(4.0f), {y});
    return b.add(conv_name + "_relu6", nl::Clip::create_relu6(), {y});
  };
  int x = bn_scale_relu6("stem", b.conv("stem", 0, 3, 8, 3, 2, 1), 8);
  x = bn_scale_relu6("dw", b.conv("dw", x, 8, 8, 3, 1, 1, 8), 8);
  x = bn_scale_relu6("pw", b.conv("pw", x, 8, 16, 1, 1, 0), 16);
  x = b.add("pool", nl::GlobalAvgPool::create(), {x});
  b.dense("fc", x, 16, 10);
  return b.status();
}

using NetworkBuilder = nl::Status (*)(const ReferenceCase&, nl::Graph&);

const std::map<std::string, NetworkBuilder>& network_builders() {
  static const std::map<std::string, NetworkBuilder> builders = {
      {"net_vgg", build_vgg}, {"net_resnet", build_resnet}, {"net_dwsep", build_dwsep}};
  return builders;
}

void run_network_case(const ReferenceCase& c, nl::ThreadPool* pool, const std::string& variant, ErrorSummary& summary) {
  auto it = network_builders().find(c.kind);
  if (it == network_builders().end()) {
    FAIL_CHECK(c.name << ": no engine builder for network kind '" << c.kind << "'");
    return;
  }
  const nl::Tensor* in = c.find("in0");
  REQUIRE(in);
  nl::Graph graph;
  REQUIRE(graph.set_input("image", in->shape()).ok());
  nl::Status s = it->second(c, graph);
  INFO(c.name << ": " << s.message());
  REQUIRE(s.ok());
  run_graph_case(c, graph, "", pool, variant, summary);
}

// ---- 6. the test cases --------------------------------------------------------------------------

void run_cases(bool networks, const std::string& title) {
  std::vector<std::string> names = load_index();
  ErrorSummary summary;
  int ran = 0;
  for (const Variant& v : kVariants) {
    std::unique_ptr<nl::ThreadPool> pool;
    if (v.threads > 0) pool = std::make_unique<nl::ThreadPool>(v.threads);
    for (const std::string& name : names) {
      ReferenceCase c = load_case(name);
      if (is_network(c) != networks) continue;
      ++ran;
      if (networks) run_network_case(c, pool.get(), v.name, summary);
      else if (c.kind == "softmax_cross_entropy") run_loss_case(c, summary, v.name);
      else if (c.find("in1")) run_multi_input_case(c, pool.get(), v.name, summary);
      else run_single_op_case(c, pool.get(), v.name, summary);
    }
  }
  CHECK(ran > 0);
  summary.print(title);
}

}  // namespace

TEST_CASE("PyTorch reference data is present and readable", "[torch]") {
  std::vector<std::string> names = load_index();
  for (const std::string& name : names) {
    ReferenceCase c = load_case(name);
    INFO(name);
    CHECK(c.find("in0"));
    CHECK(c.find("out"));
    CHECK(c.find("out_grad"));
  }
}

TEST_CASE("single ops match PyTorch: outputs, input and parameter gradients", "[torch]") {
  run_cases(false, "ops");
}

TEST_CASE("whole networks match PyTorch: outputs, input and parameter gradients", "[torch]") {
  run_cases(true, "networks");
}

TEST_CASE("the reference reader rejects damaged files with a reason", "[torch]") {
  std::vector<std::string> names = load_index();
  const std::string source = reference_dir() + "/" + names.front() + ".nlref";
  std::ifstream in(source, std::ios::binary);
  REQUIRE(in);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string dir = reference_dir();
  const std::string damaged = "damaged_for_reader_test";
  auto try_bytes = [&](const std::string& content) {
    {
      std::ofstream out(dir + "/" + damaged + ".nlref", std::ios::binary | std::ios::trunc);
      out.write(content.data(), static_cast<std::streamsize>(content.size()));
    }
    ReferenceCase c;
    return nl::test::read_reference_case(dir, damaged, &c);
  };
  REQUIRE(try_bytes(bytes).ok());
  for (size_t cut : {size_t{0}, size_t{5}, size_t{12}, bytes.size() / 2, bytes.size() - 1}) {
    nl::Status s = try_bytes(bytes.substr(0, cut));
    INFO("cut at " << cut);
    CHECK_FALSE(s.ok());
    CHECK(s.message().find(damaged) != std::string::npos);
  }
  std::string bad_magic = bytes;
  bad_magic[0] = 'X';
  CHECK(try_bytes(bad_magic).message().find("magic") != std::string::npos);
  CHECK(try_bytes(bytes + "junk").message().find("trailing") != std::string::npos);
  std::remove((dir + "/" + damaged + ".nlref").c_str());
}
