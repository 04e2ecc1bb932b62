// ONNX models exported by PyTorch [onnx]: every case of
// tests/reference/export_onnx.py (the build runs it into
// ${NL_ONNX_REFERENCE_DIR}: torchvision's resnet18, vgg11_bn, mobilenet_v2,
// squeezenet1_1, alexnet, googlenet, densenet121, small CNNs, and the default
// models of assets/models rebuilt in PyTorch) is imported,
// run forward, and differentiated (the mean of one channel of one layer with
// respect to the input); the output and the input gradient are compared with
// PyTorch's float64 answers: max|a - b| / max|b| at most 1e-4 each.
#include <catch2/catch.hpp>

#include <cstdio>

#include "interpret/channel_gradient.h"
#include "kernels/thread_pool.h"
#include "model/onnx/onnx_import.h"
#include "nn/executor.h"
#include "onnx_reference_data.h"
#include "tensor/npy.h"

namespace {

constexpr double kMaxRelativeError = 1e-4;
// The wasm test module has a fixed 1 GiB heap: a model file and its weights must fit twice over.
constexpr int64_t kMaxWasmOnnxBytes = 300 << 20;

using nl::test::load_onnx_reference_npy;
using nl::test::onnx_reference_dir;
using nl::test::relative_error;

}  // namespace

TEST_CASE("ONNX import matches PyTorch on exported torchvision models and small CNNs", "[onnx][onnx_reference]") {
  const auto index = nl::test::load_onnx_reference_index();
  nl::ThreadPool pool(2);
  int compared = 0;
  for (const auto& c : index.at("cases")) {
    const std::string name = c.at("name");
#ifdef __EMSCRIPTEN__
    if (c.at("onnx_bytes").get<int64_t>() > kMaxWasmOnnxBytes) {
      std::printf("[onnx] %-14s skipped here: %lld MB does not fit the test module's 1 GiB heap twice\n", name.c_str(),
                  static_cast<long long>(c.at("onnx_bytes").get<int64_t>() >> 20));
      continue;
    }
#endif
    INFO("case " << name);
    nl::ImportConfig config;
    if (c.at("config").contains("height")) config.height = c.at("config").at("height").get<int64_t>();
    if (c.at("config").contains("width")) config.width = c.at("config").at("width").get<int64_t>();
    auto imported = nl::import_onnx_file(onnx_reference_dir() + "/" + c.at("onnx").get<std::string>(), config);
    REQUIRE(imported.ok());
    nl::Model& model = imported.value().model;
    const nl::OnnxImportReport& report = imported.value().report;

    const nl::Tensor input = nl::nchw_to_nhwc(load_onnx_reference_npy(c.at("input")));
    nl::Executor executor(&model.graph, &pool);
    REQUIRE(executor.forward(input).ok());
    const nl::Tensor& output = executor.value(model.graph.output());
    const nl::Tensor expected_output = load_onnx_reference_npy(c.at("output"));
    REQUIRE(output.shape() == expected_output.shape());
    const double output_error = relative_error(output, expected_output);

    const int layer = nl::find_layer(model, c.at("layer"));
    INFO("layer " << c.at("layer").get<std::string>());
    REQUIRE(layer > 0);
    // The engine's layer holds the PyTorch module's output (NHWC for NCHW).
    const auto& want = c.at("layer_shape");
    const nl::Shape& got = model.graph.node(layer).shape;
    if (want.size() == 4) CHECK((got.rank() == 4 && got[3] == want[1] && got[1] == want[2] && got[2] == want[3]));
    else CHECK((got.rank() == 2 && got[1] == want[1]));
    auto grad = nl::channel_mean_input_gradient(executor, input, layer, c.at("channel").get<int64_t>());
    REQUIRE(grad.ok());
    const double grad_error = relative_error(nl::nhwc_to_nchw(grad.value()), load_onnx_reference_npy(c.at("grad")));

    std::printf("[onnx] %-14s opset %2d  %4d ONNX -> %4d engine nodes  %9lld params  output err %.2e  grad err %.2e\n",
                name.c_str(), c.at("opset").get<int>(), report.onnx_nodes, report.engine_nodes - 1,
                static_cast<long long>(report.parameters), output_error, grad_error);
    CHECK(output_error <= kMaxRelativeError);
    CHECK(grad_error <= kMaxRelativeError);
    ++compared;
  }
  CHECK(compared > 0);
}
