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

#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "kernels/thread_pool.h"
#include "nn/executor.h"
#include "nn/graph.h"
#include "nn/ops/conv2d.h"
#include "nn/ops/dense.h"
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

// Worst relative error per case and role (out, input grad, param grad), for the summary.
struct ErrorSummary {
  struct Row { double out = 0, input_grad = 0, param_grad = 0; int tensors = 0; };
  std::map<std::string, Row> rows;
  void record(const std::string& case_name, const std::string& what, double rel) {
    Row& r = rows[case_name];
    ++r.tensors;
    double* slot = what == "out" ? &r.out : what.rfind("grad/", 0) == 0 ? &r.param_grad : &r.input_grad;
    *slot = std::max(*slot, rel);
  }
  void print(const std::string& title) const {
    double worst = 0;
    std::string worst_case;
    for (const auto& [name, r] : rows) {
      const double w = std::max({r.out, r.input_grad, r.param_grad});
      if (w >= worst) { worst = w; worst_case = name; }
    }
    std::cout << "torch parity, " << title << ": " << rows.size() << " cases, worst relative error "
              << std::scientific << std::setprecision(2) << worst << " (" << worst_case << ")\n";
    if (!std::getenv("NL_REFERENCE_REPORT")) return;
    std::cout << "  " << std::left << std::setw(34) << "case" << std::right << std::setw(11) << "out"
              << std::setw(11) << "d input" << std::setw(11) << "d params" << std::setw(9) << "tensors" << "\n";
    for (const auto& [name, r] : rows)
      std::cout << "  " << std::left << std::setw(34) << name << std::right << std::setw(11) << r.out << std::setw(11)
                << r.input_grad << std::setw(11) << r.param_grad << std::setw(9) << r.tensors << "\n";
    std::cout << std::defaultfloat;
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

// Copies every "param/<prefix><name>" of the case into the matching engine
// parameter, and checks that none is left over on either side.
void load_params(const ReferenceCase& c, std::vector<nl::Param> params, const std::string& prefix) {
  std::set<std::string> unused;
  for (const std::string& n : c.names_with_prefix("param/")) unused.insert(n);
  for (nl::Param& p : params) {
    const std::string key = prefix + p.name;
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
void compare_params(const ReferenceCase& c, std::vector<nl::Param> params, const std::string& prefix,
                    ErrorSummary& summary, const std::string& variant) {
  std::set<std::string> expected_grads;
  for (const std::string& n : c.names_with_prefix("grad/")) expected_grads.insert(n);
  for (nl::Param& p : params) {
    const std::string key = prefix + p.name;
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

OpResult make_op(const ReferenceCase& c) {
  const std::string& k = c.kind;
  if (k == "conv2d") return make_conv2d(c);
  if (k == "dense") return upcast(nl::Dense::create(c.integer("in_features"), c.integer("out_features"), c.integer("has_bias") != 0));
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
void run_graph_case(const ReferenceCase& c, nl::Graph& graph, const std::string& param_prefix, nl::ThreadPool* pool,
                    const std::string& variant, ErrorSummary& summary) {
  const bool training = c.integer("training") != 0;
  load_params(c, graph.params(), param_prefix);
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
  compare_params(c, graph.params(), param_prefix, summary, variant);
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

// ---- 5. the networks ------------------------------------------------------------------------

using NetworkBuilder = nl::Status (*)(const ReferenceCase&, nl::Graph&);

const std::map<std::string, NetworkBuilder>& network_builders() {
  static const std::map<std::string, NetworkBuilder> builders = {};
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
