// Recipe architecture -> Graph; naming and initialisation in architecture.h.
#include "train/architecture.h"

#include <cmath>

#include "nn/ops/avg_pool2d.h"
#include "nn/ops/batch_norm.h"
#include "nn/ops/conv2d.h"
#include "nn/ops/dense.h"
#include "nn/ops/dropout.h"
#include "nn/ops/flatten.h"
#include "nn/ops/global_avg_pool.h"
#include "nn/ops/max_pool2d.h"
#include "nn/ops/relu.h"
#include "train/random.h"

namespace nl {

namespace {

constexpr uint64_t kInitStream = 0x1A17;  // stream_seed purpose tag: weight initialisation

void fill_normal(Tensor& t, double stddev, Rng& rng) {
  for (int64_t i = 0; i < t.elements(); ++i) t[i] = static_cast<float>(rng.normal() * stddev);
}

void fill_uniform(Tensor& t, double bound, Rng& rng) {
  for (int64_t i = 0; i < t.elements(); ++i) t[i] = static_cast<float>(rng.uniform(-bound, bound));
}

template <typename OpT>
Result<int> add_node(Graph* graph, const std::string& name, Result<std::unique_ptr<OpT>> op, int input) {
  if (!op.ok()) return Status::Error("architecture: node '" + name + "': " + op.status().message());
  return graph->add(name, std::unique_ptr<Op>(std::move(op.value())), {input});
}

}  // namespace

Status build_architecture(const Recipe& recipe, const Shape& input, int64_t classes, uint64_t seed, Graph* graph) {
  if (input.rank() != 4) return Status::Error("architecture: the input must be [1, H, W, C], got " + input.str());
  NL_RETURN_IF_ERROR(graph->set_input("input", input));
  int current = 0;
  int convs = 0, denses = 0, pools = 0, dropouts = 0;
  int dense_total = 0;
  for (const LayerSpec& l : recipe.layers) dense_total += l.type == LayerSpec::Type::dense;

  auto shape_of = [&](int id) { return graph->node(id).shape; };
  auto step = [&](Result<int> added) -> Status {
    if (!added.ok()) return added.status();
    current = added.value();
    return Status::Ok();
  };
  auto add_norm_and_relu = [&](const LayerSpec& l, const std::string& base, int64_t channels) -> Status {
    if (l.batchnorm)
      NL_RETURN_IF_ERROR(step(add_node(graph, base + "_bn",
                                       BatchNorm::create(channels, recipe.batchnorm_eps, recipe.batchnorm_momentum), current)));
    if (l.relu) NL_RETURN_IF_ERROR(step(add_node(graph, base + "_relu", ReLU::create(), current)));
    return Status::Ok();
  };

  for (size_t index = 0; index < recipe.layers.size(); ++index) {
    const LayerSpec& l = recipe.layers[index];
    Rng rng(stream_seed({seed, kInitStream, index}));
    const Shape in = shape_of(current);
    switch (l.type) {
      case LayerSpec::Type::conv: {
        if (in.rank() != 4) return Status::Error("architecture[" + std::to_string(index) + "]: conv needs an image input, got " + in.str());
        const std::string name = "conv" + std::to_string(++convs);
        Conv2DParams p;
        p.in_channels = in.c();
        p.out_channels = l.units;
        p.kernel_h = p.kernel_w = l.kernel;
        p.stride_h = p.stride_w = l.stride;
        const int pad = l.padding < 0 ? l.kernel / 2 : l.padding;
        p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = pad;
        p.has_bias = !l.batchnorm;
        auto conv = Conv2D::create(p);
        if (conv.ok()) {
          fill_normal(conv.value()->weight, std::sqrt(2.0 / static_cast<double>(l.kernel * l.kernel * in.c())), rng);
        }
        NL_RETURN_IF_ERROR(step(add_node(graph, name, std::move(conv), current)));
        NL_RETURN_IF_ERROR(add_norm_and_relu(l, name, l.units));
        break;
      }
      case LayerSpec::Type::maxpool:
      case LayerSpec::Type::avgpool: {
        Pool2DParams p;
        p.kernel_h = p.kernel_w = l.kernel;
        p.stride_h = p.stride_w = l.stride;
        const std::string name = "pool" + std::to_string(++pools);
        if (l.type == LayerSpec::Type::maxpool) NL_RETURN_IF_ERROR(step(add_node(graph, name, MaxPool2D::create(p), current)));
        else NL_RETURN_IF_ERROR(step(add_node(graph, name, AvgPool2D::create(p), current)));
        break;
      }
      case LayerSpec::Type::global_avgpool:
        NL_RETURN_IF_ERROR(step(add_node(graph, "global_avgpool", GlobalAvgPool::create(), current)));
        break;
      case LayerSpec::Type::flatten:
        NL_RETURN_IF_ERROR(step(add_node(graph, "flatten", Flatten::create(), current)));
        break;
      case LayerSpec::Type::dropout:
        NL_RETURN_IF_ERROR(step(add_node(graph, "dropout" + std::to_string(++dropouts), Dropout::create(l.rate), current)));
        break;
      case LayerSpec::Type::dense: {
        if (in.rank() != 2)
          return Status::Error("architecture[" + std::to_string(index) + "]: dense needs a [N, features] input, got " +
                               in.str() + " (add a flatten or global_avgpool layer first)");
        const bool last = ++denses == dense_total;
        if (last && index + 1 != recipe.layers.size())
          return Status::Error("architecture: the last dense layer must be the last layer");
        if (last && l.units != classes)
          return Status::Error("architecture: the last dense layer has " + std::to_string(l.units) +
                               " units but the data has " + std::to_string(classes) + " classes");
        if (last && (l.batchnorm || l.relu))
          return Status::Error("architecture: the last dense layer gives the logits: no batchnorm or activation");
        const std::string name = last ? "logits" : "fc" + std::to_string(denses);
        auto dense = Dense::create(in[1], l.units, !l.batchnorm);
        if (dense.ok()) {
          const double fan_in = static_cast<double>(in[1]);
          if (last) {
            fill_uniform(dense.value()->weight, 1.0 / std::sqrt(fan_in), rng);
            fill_uniform(dense.value()->bias, 1.0 / std::sqrt(fan_in), rng);
          } else {
            fill_normal(dense.value()->weight, std::sqrt(2.0 / fan_in), rng);
          }
        }
        NL_RETURN_IF_ERROR(step(add_node(graph, name, std::move(dense), current)));
        NL_RETURN_IF_ERROR(add_norm_and_relu(l, name, l.units));
        break;
      }
    }
  }
  graph->set_output(current);
  return Status::Ok();
}

}  // namespace nl
