// neuronWeightNorms(node): the L2 norm of each output channel's weights in the
// op that computes the node (Conv2D or Dense), to rank neurons "by weight
// norm" for ablation; statisticsStatus(): which layers have statistics.
#include <emscripten/bind.h>

#include <cmath>

#include "interpret/ablation.h"
#include "web_api/session.h"
#include "web_api/web_result.h"

namespace nl::web {
namespace {

val neuron_weight_norms(int node) {
  return guarded("weight norms", [&] {
    Session& s = session();
    NL_RETURN_IF_ERROR_VAL(s.check_node(node));
    auto producer = channel_producer(s.model->graph, node);
    if (!producer.ok()) return error_result(producer.status().message());
    Op* op = s.model->graph.node(producer.value()).op.get();
    for (const Param& p : op->params()) {
      if (p.name != "weight") continue;
      const int64_t out = p.value->shape()[0], per = p.value->elements() / out;
      std::vector<float> norms(static_cast<size_t>(out));
      for (int64_t o = 0; o < out; ++o) {
        double sum = 0;
        for (int64_t i = 0; i < per; ++i) sum += static_cast<double>((*p.value)[o * per + i]) * (*p.value)[o * per + i];
        norms[static_cast<size_t>(o)] = static_cast<float>(std::sqrt(sum));
      }
      val result = ok_result();
      result.set("norms", float_array(norms));
      return result;
    }
    return error_result("weight norms: the op computing this layer has no weights");
  });
}

val statistics_status() {
  val result = ok_result();
  val nodes = val::array();
  for (const auto& [node, stats] : session().statistics) nodes.call<void>("push", node);
  result.set("nodes", nodes);
  return result;
}

}  // namespace

EMSCRIPTEN_BINDINGS(neuronlens_analysis) {
  emscripten::function("neuronWeightNorms", &neuron_weight_norms);
  emscripten::function("statisticsStatus", &statistics_status);
}

}  // namespace nl::web
