// Whole-model benchmarks for `tools/bench peers`: NeuronLens's side of the
// comparison with PyTorch, TensorFlow.js and ONNX Runtime Web, on the models,
// weights and inputs tools/peers/export_models.py wrote (one folder per model:
// model.onnx, spec.json, input_b1.npy, input_b64.npy).
//   peer_models  per model and thread count, the workloads
//                  forward_b1, forward_b64  logits of a batch
//                  grad_b1                  d mean(y[:, k]) / d input, y = the last conv stage
//                  train_b64                one SGD step (lr 0.01) on softmax cross-entropy,
//                                           labels i % classes (native builds only)
//                natively each forward and gradient also runs with the forward pass
//                through XNNPACK (engine "neuronlens-xnnpack"; backward through the ops)
//   peer_rss     ResNet-18's input-gradient step alone, for the process's peak
//                resident memory against the weights and activations it must hold
// Each result is one JSON line: engine, platform, model, workload, threads, runs,
// median_ms, min_ms, flops, output (the .npy written for the cross-check).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench.h"
#include "interpret/channel_gradient.h"
#include "kernels/thread_pool.h"
#include "model/onnx/onnx_import.h"
#include "nn/loss.h"
#include "nn/optimizer.h"
#include "tensor/npy.h"
#if NL_XNNPACK
#include "backends/xnnpack_forward.h"
#endif
#if !defined(__EMSCRIPTEN__)
#include <sys/resource.h>
#endif

namespace nl::bench {
namespace {

#if defined(__EMSCRIPTEN__)
constexpr const char* kPlatform = "wasm";
#else
constexpr const char* kPlatform = "native";
#endif
constexpr float kLearningRate = 0.01f;
constexpr double kWarmupSeconds = 1.0;

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> items;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) items.push_back(item);
  return items;
}

bool wanted(const std::string& list, const std::string& item) {
  if (list.empty()) return true;
  const auto items = split(list);
  return std::find(items.begin(), items.end(), item) != items.end();
}

// One model as export_models.py wrote it, imported from its ONNX file.
struct PeerModel {
  std::string name, folder;
  nlohmann::json spec;
  Model model;
  int target = -1;  // the last conv stage's node
};

Result<PeerModel> open_peer_model(const std::string& folder, const std::string& name) {
  PeerModel m;
  m.name = name;
  m.folder = folder;
  std::ifstream in(folder + "/spec.json");
  if (!in) return Status::Error("peer_models: " + folder + "/spec.json is missing (run tools/bench peers)");
  try {
    in >> m.spec;
  } catch (const std::exception& e) {
    return Status::Error("peer_models: " + folder + "/spec.json: " + e.what());
  }
  auto config = import_config_preset(m.spec.value("preset", "grey28"));
  if (!config.ok()) return config.status();
  auto model = open_model(folder + "/model.onnx", config.value());
  if (!model.ok()) return model.status();
  m.model = std::move(model.value());
  m.target = find_layer(m.model, m.spec["grad_target_onnx"].get<std::string>());
  if (m.target <= 0) return Status::Error("peer_models: " + name + ": no layer " + m.spec["grad_target_onnx"].dump());
  std::error_code ignored;
  std::filesystem::create_directories(folder + "/out", ignored);  // the outputs for the cross-check
  return m;
}

Result<Tensor> read_input(const PeerModel& m, int batch) {
  auto x = read_npy(m.folder + "/input_b" + std::to_string(batch) + ".npy");
  if (!x.ok()) return x.status();
  return nchw_to_nhwc(x.value());
}

struct Timing {
  double median_ms = 0, min_ms = 0;
};

Timing time_runs(const std::function<void()>& fn, const Options& o) {
  using Clock = std::chrono::steady_clock;
  // Warm-up: at least o.warmup runs and at least 1 s, so that V8 has tiered the wasm code up
  // (its baseline compiler runs first) and caches and allocations have settled.
  const auto warm_start = Clock::now();
  for (int i = 0; i < o.warmup || std::chrono::duration<double>(Clock::now() - warm_start).count() < kWarmupSeconds; ++i)
    fn();
  std::vector<double> ms;
  for (int i = 0; i < o.runs; ++i) {
    const auto start = Clock::now();
    fn();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  const size_t n = ms.size();
  return {n % 2 ? ms[n / 2] : 0.5 * (ms[n / 2 - 1] + ms[n / 2]), ms.front()};
}

void print_model_result(const std::string& engine, const PeerModel& m, const std::string& workload, int threads,
                        const Options& o, const Timing& t, double flops, const std::string& output) {
  std::printf(
      "{\"engine\": \"%s\", \"platform\": \"%s\", \"model\": \"%s\", \"workload\": \"%s\", \"threads\": %d, "
      "\"runs\": %d, \"median_ms\": %.4f, \"min_ms\": %.4f, \"flops\": %.0f, \"output\": \"%s\"}\n",
      engine.c_str(), kPlatform, m.name.c_str(), workload.c_str(), threads, o.runs, t.median_ms, t.min_ms, flops,
      output.c_str());
  std::fflush(stdout);
}

std::string output_path(const PeerModel& m, const std::string& engine, int threads, const std::string& workload) {
  return m.folder + "/out/" + engine + "_t" + std::to_string(threads) + "_" + workload + ".npy";
}

void warn(const Status& s) { std::fprintf(stderr, "peer_models: %s\n", s.message().c_str()); }

// forward_bB and grad_b1 through `executor` (with whatever forward backend it has).
// With --profile: times fn's runs node by node (after time_runs has warmed it up)
// and prints, on stderr, the nodes taking at least 1% of the total, slowest first.
void print_profile(const std::string& label, Executor& ex, const std::function<void()>& fn, const Options& o) {
  if (!o.profile) return;
  ExecutorProfile profile;
  ex.set_profile(&profile);
  for (int i = 0; i < o.runs; ++i) fn();
  ex.set_profile(nullptr);
  const Graph& g = ex.graph();
  struct Row {
    double ms;
    int node;
    const char* pass;
  };
  std::vector<Row> rows;
  double total = 0;
  for (auto [times, pass] : {std::pair{&profile.forward_ms, "forward"}, std::pair{&profile.backward_ms, "backward"}})
    for (size_t i = 0; i < times->size(); ++i) {
      rows.push_back({(*times)[i] / o.runs, static_cast<int>(i), pass});
      total += (*times)[i] / o.runs;
    }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.ms > b.ms; });
  std::fprintf(stderr, "profile %s: %.3f ms per run in the nodes\n", label.c_str(), total);
  for (const Row& r : rows)
    if (r.ms >= 0.01 * total)
      std::fprintf(stderr, "  %8.3f ms %5.1f%%  %-8s %s %s\n", r.ms, 100 * r.ms / total, r.pass,
                   g.node(r.node).name.c_str(), ex.value(r.node).shape().str().c_str());
  // Totals per op type and pass, so the many small nodes below 1% show up too.
  std::map<std::string, std::pair<double, int>> by_type;
  for (const Row& r : rows) {
    const Node& node = g.node(r.node);
    auto& entry = by_type[std::string(r.pass) + " " + (node.op ? node.op->type() : std::string("input"))];
    entry.first += r.ms;
    ++entry.second;
  }
  std::fprintf(stderr, "  by op type:");
  for (const auto& [type, entry] : by_type)
    if (entry.first > 0) std::fprintf(stderr, " %s %.3f ms (%d nodes);", type.c_str(), entry.first, entry.second);
  std::fprintf(stderr, "\n");
}

void run_inference(const std::string& engine, PeerModel& m, Executor& ex, int threads, const Options& o) {
  const double flops_per_image = m.spec["flops_per_image"].get<double>();
  for (int batch : {1, 64}) {
    const std::string workload = "forward_b" + std::to_string(batch);
    if (!wanted(o.workloads, workload)) continue;
    auto x = read_input(m, batch);
    if (!x.ok()) { warn(x.status()); continue; }
    const Status first = ex.forward(x.value());
    if (!first.ok()) { warn(first); continue; }
    const std::string out = output_path(m, engine, threads, workload);
    const Status written = write_npy(out, ex.value(m.model.graph.output()));
    if (!written.ok()) warn(written);
    const Timing t = time_runs([&] { (void)ex.forward(x.value()); }, o);
    print_model_result(engine, m, workload, threads, o, t, flops_per_image * batch, out);
    print_profile(engine + " " + m.name + " " + workload + " " + std::to_string(threads) + "T", ex,
                  [&] { (void)ex.forward(x.value()); }, o);
  }
  if (wanted(o.workloads, "grad_b1")) {
    auto x = read_input(m, 1);
    if (!x.ok()) { warn(x.status()); return; }
    const int64_t channel = m.spec["grad_channel"].get<int64_t>();
    auto g = channel_mean_input_gradient(ex, x.value(), m.target, channel);
    if (!g.ok()) { warn(g.status()); return; }
    const std::string out = output_path(m, engine, threads, "grad_b1");
    const Status written = write_npy(out, nhwc_to_nchw(g.value()));
    if (!written.ok()) warn(written);
    const Timing t = time_runs([&] { (void)channel_mean_input_gradient(ex, x.value(), m.target, channel); }, o);
    print_model_result(engine, m, "grad_b1", threads, o, t, 2.0 * m.spec["flops_to_target_per_image"].get<double>(),
                       out);
    print_profile(engine + " " + m.name + " grad_b1 " + std::to_string(threads) + "T", ex,
                  [&] { (void)channel_mean_input_gradient(ex, x.value(), m.target, channel); }, o);
  }
}

#if !defined(__EMSCRIPTEN__)
// train_b64: zero the gradients, forward in training mode, loss, backward, SGD (native only).
void run_training(PeerModel& m, ThreadPool& pool, int threads, const Options& o) {
  if (!wanted(o.workloads, "train_b64")) return;
  // A fresh copy of the weights, so that the timed steps do not change the model others read.
  auto fresh = open_peer_model(m.folder, m.name);
  if (!fresh.ok()) { warn(fresh.status()); return; }
  Graph& g = fresh.value().model.graph;
  auto sgd = Sgd::create({});
  if (!sgd.ok()) { warn(sgd.status()); return; }
  Tensor* first_conv_grad = nullptr;
  for (int i = 1; i < g.size(); ++i) {
    g.node(i).op->zero_param_grads();
    for (const Param& p : g.node(i).op->params()) {
      if (!p.grad) continue;
      if (!first_conv_grad && p.name == "weight" && g.node(i).op->type() == "Conv2D") first_conv_grad = p.grad;
      (void)sgd.value()->add({g.node(i).name + "." + p.name, p.value, p.grad, true});
    }
  }
  auto x = read_input(m, 64);
  if (!x.ok()) { warn(x.status()); return; }
  const int64_t classes = m.spec["classes"].get<int64_t>();
  std::vector<int> labels(64);
  for (int i = 0; i < 64; ++i) labels[static_cast<size_t>(i)] = static_cast<int>(i % classes);
  Executor ex(&g, &pool);
  Tensor logits_grad;
  const int output = g.output();
  float loss = 0;
  auto step = [&] {
    for (int i = 1; i < g.size(); ++i) g.node(i).op->zero_param_grads();
    (void)ex.forward_until(x.value(), output, /*training=*/true);
    auto l = softmax_cross_entropy(ex.value(output), labels, &logits_grad);
    loss = l.ok() ? l.value() : -1.0f;
    BackwardRequest request;
    request.from = output;
    request.seed = &logits_grad;
    request.want_param_grads = true;
    request.keep_intermediate_grads = false;
    request.want_stop_at_grad = false;  // the input's gradient is not needed
    (void)ex.backward(request);
    (void)sgd.value()->step(kLearningRate);
  };
  step();
  double norm = 0;
  if (first_conv_grad)
    for (int64_t i = 0; i < first_conv_grad->elements(); ++i) norm += double((*first_conv_grad)[i]) * (*first_conv_grad)[i];
  Tensor check(Shape{2});
  check[0] = loss;
  check[1] = static_cast<float>(std::sqrt(norm));
  const std::string out = output_path(m, std::string("neuronlens-") + kPlatform, threads, "train_b64");
  const Status written = write_npy(out, check);
  if (!written.ok()) warn(written);
  const Timing t = time_runs(step, o);
  print_model_result(std::string("neuronlens-") + kPlatform, m, "train_b64", threads, o, t,
                     3.0 * m.spec["flops_per_image"].get<double>() * 64, out);
  if (o.profile) {
    // The nodes, then what the step spends outside them (zeroing, loss, SGD), by total time.
    print_profile("neuronlens-" + std::string(kPlatform) + " " + m.name + " train_b64 " + std::to_string(threads) + "T",
                  ex, step, o);
    const Timing zero = time_runs([&] { for (int i = 1; i < g.size(); ++i) g.node(i).op->zero_param_grads(); }, o);
    const Timing loss_only = time_runs([&] { (void)softmax_cross_entropy(ex.value(output), labels, &logits_grad); }, o);
    const Timing update = time_runs([&] { (void)sgd.value()->step(0.0f); }, o);
    std::fprintf(stderr, "  outside the nodes: zero grads %.3f ms, loss %.3f ms, SGD step %.3f ms\n", zero.median_ms,
                 loss_only.median_ms, update.median_ms);
  }
}
#endif

std::vector<std::string> model_names(const Options& o) {
  if (!o.models.empty()) return split(o.models);
  return {"cnn_a", "resnet18", "fashion_vgg"};
}

void run_peer_models(const Options& o) {
  if (o.models_dir.empty()) {
    std::fprintf(stderr, "peer_models: needs --models-dir (tools/bench peers sets it)\n");
    return;
  }
  for (const std::string& name : model_names(o)) {
    const std::string folder = o.models_dir + "/" + name;
    auto m = open_peer_model(folder, name);
    if (!m.ok()) { warn(m.status()); continue; }
    for (int threads : o.threads) {
      ThreadPool pool(threads);
      if (pool.threads() != threads) continue;  // a single-threaded build: skip, not mislabel
      {
        Executor ex(&m.value().model.graph, &pool);
        run_inference(std::string("neuronlens-") + kPlatform, m.value(), ex, threads, o);
      }
#if NL_XNNPACK
      for (bool fuse : {true, false}) {
        // Forward: ReLUs fused into their producers (only logits matter); gradient: not fused,
        // so every value the backward pass reads is the one the ops would produce.
        auto xnn = XnnpackForward::create(m.value().model.graph, {.threads = threads, .fuse_activations = fuse});
        if (!xnn.ok()) { warn(xnn.status()); break; }
        Executor ex(&m.value().model.graph, &pool);
        ex.set_forward_backend(xnn.value().get());
        Options only = o;
        only.workloads = fuse ? (wanted(o.workloads, "forward_b1") ? "forward_b1," : "") +
                                    std::string(wanted(o.workloads, "forward_b64") ? "forward_b64" : "")
                              : (wanted(o.workloads, "grad_b1") ? "grad_b1" : "");
        if (only.workloads.empty()) continue;
        run_inference("neuronlens-xnnpack", m.value(), ex, threads, only);
      }
#endif
#if !defined(__EMSCRIPTEN__)
      run_training(m.value(), pool, threads, o);
#endif
    }
  }
}

// Peak RSS of ResNet-18's gradient step (native only), in a process that does nothing else.
void run_peer_rss(const Options& o) {
#if defined(__EMSCRIPTEN__)
  std::fprintf(stderr, "peer_rss: native only\n");
#else
  if (o.models_dir.empty()) {
    std::fprintf(stderr, "peer_rss: needs --models-dir\n");
    return;
  }
  rusage before{};
  getrusage(RUSAGE_SELF, &before);
  auto m = open_peer_model(o.models_dir + "/resnet18", "resnet18");
  if (!m.ok()) { warn(m.status()); return; }
  auto x = read_input(m.value(), 1);
  if (!x.ok()) { warn(x.status()); return; }
  const int threads = o.threads.empty() ? 1 : o.threads.front();
  ThreadPool pool(threads);
  Executor ex(&m.value().model.graph, &pool);
  const int64_t channel = m.value().spec["grad_channel"].get<int64_t>();
  // Reset the high-water mark after loading (the import's file buffer is not the step's), then step.
  { std::ofstream clear("/proc/self/clear_refs"); clear << "5"; }
  for (int i = 0; i < 3; ++i) (void)channel_mean_input_gradient(ex, x.value(), m.value().target, channel);
  double step_peak_bytes = 0;
  {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
      if (line.rfind("VmHWM:", 0) == 0) step_peak_bytes = 1024.0 * std::atof(line.c_str() + 6);
  }
  rusage after{};
  getrusage(RUSAGE_SELF, &after);
  // What the step must hold: the weights, and every value up to the target (the backward pass reads them).
  Graph& g = m.value().model.graph;
  double weight_bytes = 0, activation_bytes = 0;
  for (const Param& p : g.params()) weight_bytes += 4.0 * static_cast<double>(p.value->elements());
  for (int i = 0; i <= m.value().target; ++i) activation_bytes += 4.0 * static_cast<double>(ex.value(i).elements());
  std::printf(
      "{\"engine\": \"neuronlens-native\", \"platform\": \"native\", \"model\": \"resnet18\", \"workload\": "
      "\"rss_grad_b1\", \"threads\": %d, \"peak_rss_bytes\": %.0f, \"step_peak_rss_bytes\": %.0f, "
      "\"rss_before_model_bytes\": %.0f, \"weight_bytes\": %.0f, \"activation_bytes\": %.0f}\n",
      threads, 1024.0 * static_cast<double>(after.ru_maxrss), step_peak_bytes, 1024.0 * static_cast<double>(before.ru_maxrss), weight_bytes,
      activation_bytes);
  std::fflush(stdout);
#endif
}

Registrar models_registrar("peer_models", run_peer_models);
Registrar rss_registrar("peer_rss", run_peer_rss);

}  // namespace
}  // namespace nl::bench
