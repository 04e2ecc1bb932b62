// The default models through ONNX and back [onnx]: export_onnx.py rebuilds
// each trained model of assets/models in PyTorch from its model.json and
// weights.safetensors and exports it to ONNX (cases with "native_model" in
// index.json). onnx_reference_test.cpp compares the imported model with
// PyTorch (1e-4); this test closes the round trip: the imported model, given
// the native model's name, preprocessing and labels as its import config,
// must compute what the model loaded natively from assets/models computes
// (logits and the input gradient of the reference layer's channel, within
// 1e-5 relative error) and keep its preprocessing and labels.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <set>
#include <string>

#include "interpret/channel_gradient.h"
#include "kernels/thread_pool.h"
#include "model/model_file.h"
#include "model/onnx/onnx_import.h"
#include "nn/executor.h"
#include "onnx_reference_data.h"
#include "tensor/npy.h"

namespace {

constexpr double kMaxRoundTripError = 1e-5;

struct Run {
  nl::Tensor output, grad;  // grad NHWC, like the input
};

Run run(nl::Model& model, const nl::Tensor& input, int layer, int64_t channel, nl::ThreadPool* pool) {
  nl::Executor executor(&model.graph, pool);
  Run r;
  REQUIRE(executor.forward(input).ok());
  r.output = executor.value(model.graph.output());
  auto grad = nl::channel_mean_input_gradient(executor, input, layer, channel);
  REQUIRE(grad.ok());
  r.grad = grad.value();
  return r;
}

}  // namespace

TEST_CASE("The default models exported to ONNX import back to the native models", "[onnx][onnx_reference]") {
  const auto index = nl::test::load_onnx_reference_index();
  nl::ThreadPool pool(2);
  std::set<std::string> compared;
  for (const auto& c : index.at("cases")) {
    if (!c.contains("native_model")) continue;
    const std::string name = c.at("name");
    INFO("case " << name);
    compared.insert(c.at("native_model").get<std::string>());
    auto native = nl::load_model(std::string(NL_SOURCE_DIR) + "/" + c.at("native_model").get<std::string>());
    REQUIRE(native.ok());
    nl::Model& native_model = native.value();

    nl::ImportConfig config;
    config.name = native_model.name;
    config.preprocessing = native_model.preprocessing;
    config.labels = native_model.labels;
    auto imported = nl::import_onnx_file(nl::test::onnx_reference_dir() + "/" + c.at("onnx").get<std::string>(), config);
    REQUIRE(imported.ok());
    nl::Model& imported_model = imported.value().model;
    CHECK(imported_model.name == native_model.name);
    CHECK(imported_model.labels == native_model.labels);
    const nl::Preprocessing& a = imported_model.preprocessing;
    const nl::Preprocessing& b = native_model.preprocessing;
    CHECK((a.colour == b.colour && a.invert == b.invert && a.scale == b.scale && a.mean == b.mean && a.std == b.std));
    CHECK(imported_model.graph.node(0).shape == native_model.graph.node(0).shape);

    const int native_layer = nl::find_layer(native_model, c.at("native_layer"));
    const int imported_layer = nl::find_layer(imported_model, c.at("layer"));
    REQUIRE(native_layer > 0);
    REQUIRE(imported_layer > 0);
    CHECK(imported_model.graph.node(imported_layer).shape == native_model.graph.node(native_layer).shape);

    const nl::Tensor input = nl::nchw_to_nhwc(nl::test::load_onnx_reference_npy(c.at("input")));
    const int64_t channel = c.at("channel").get<int64_t>();
    const Run from_onnx = run(imported_model, input, imported_layer, channel, &pool);
    const Run from_folder = run(native_model, input, native_layer, channel, &pool);
    REQUIRE(from_onnx.output.shape() == from_folder.output.shape());
    const double output_error = nl::test::relative_error(from_onnx.output, from_folder.output);
    const double grad_error = nl::test::relative_error(from_onnx.grad, from_folder.grad);
    // The native model against PyTorch too: the reference holds for both ends of the trip.
    const nl::Tensor pytorch_output = nl::test::load_onnx_reference_npy(c.at("output"));
    const nl::Tensor pytorch_grad = nl::test::load_onnx_reference_npy(c.at("grad"));
    const double native_output_error = nl::test::relative_error(from_folder.output, pytorch_output);
    const double native_grad_error = nl::test::relative_error(nl::nhwc_to_nchw(from_folder.grad), pytorch_grad);

    std::printf("[onnx] %-14s imported vs native: output err %.2e  grad err %.2e;  native vs PyTorch: output err "
                "%.2e  grad err %.2e\n",
                name.c_str(), output_error, grad_error, native_output_error, native_grad_error);
    CHECK(output_error <= kMaxRoundTripError);
    CHECK(grad_error <= kMaxRoundTripError);
    CHECK(native_output_error <= 1e-4);
    CHECK(native_grad_error <= 1e-4);
  }
  // Every default model has its case (DEFAULT_MODELS in export_onnx.py).
  std::set<std::string> default_models;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(NL_SOURCE_DIR) + "/assets/models"))
    if (std::filesystem::exists(entry.path() / "model.json"))
      default_models.insert("assets/models/" + entry.path().filename().string());
  CHECK(!default_models.empty());
  CHECK(compared == default_models);
}
