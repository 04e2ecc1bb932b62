#include "nn/executor.h"

#include <chrono>

namespace nl {

namespace {

// Adds the time `run` takes to times[node] when times is non-null.
template <typename Run>
void timed(std::vector<double>* times, int node, Run&& run) {
  if (!times) {
    run();
    return;
  }
  const auto start = std::chrono::steady_clock::now();
  run();
  const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
  if (times->size() <= static_cast<size_t>(node)) times->resize(static_cast<size_t>(node) + 1, 0.0);
  (*times)[static_cast<size_t>(node)] += took.count();
}

}  // namespace

Executor::Executor(Graph* graph, ThreadPool* pool) : graph_(graph), pool_(pool) {}

Status Executor::forward(const Tensor& input, bool training, uint64_t seed) {
  return forward_until(input, graph_->size() - 1, training, seed);
}

Status Executor::forward_until(const Tensor& input, int last, bool training, uint64_t seed) {
  Graph& g = *graph_;
  if (g.size() == 0) return Status::Error("executor: empty graph");
  if (last < 0 || last >= g.size()) return Status::Error("executor: node " + std::to_string(last) + " does not exist");
  const Shape& declared = g.node(0).shape;
  const Shape& given = input.shape();
  bool match = given.rank() == declared.rank();
  for (int i = 1; match && i < declared.rank(); ++i) match = given[i] == declared[i];
  if (!match || given[0] <= 0)
    return Status::Error("executor: input shape " + given.str() + " does not fit the model's input " + declared.str() +
                         " (any batch size)");
  NL_RETURN_IF_ERROR(g.infer_shapes(given[0], &shapes_));

  training_ = training;
  seed_ = seed;
  values_.resize(static_cast<size_t>(g.size()));
  grads_.resize(static_cast<size_t>(g.size()));
  has_grad_.assign(static_cast<size_t>(g.size()), 0);
  values_[0] = input;
  OpContext ctx{pool_, training, seed};
  std::vector<const Tensor*> ins;
  for (int i = 1; i <= last; ++i) {
    Node& n = g.node(i);
    ins.clear();
    for (int id : n.inputs) ins.push_back(&values_[static_cast<size_t>(id)]);
    Tensor& out = values_[static_cast<size_t>(i)];
    out.resize(shapes_[static_cast<size_t>(i)]);
    ctx.seed = seed + static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ull;  // distinct stream per node
    timed(profile_ ? &profile_->forward_ms : nullptr, i, [&] {
      if (!backend_ || !backend_->forward_node(ctx, i, ins, out)) n.op->forward(ctx, ins, out);
    });
  }
  computed_until_ = last;
  return Status::Ok();
}

Status Executor::backward(const BackwardRequest& r) {
  Graph& g = *graph_;
  const int count = g.size();
  if (r.from < 0 || r.from > computed_until_) return Status::Error("executor: backward from a node that forward did not compute");
  if (!r.seed || r.seed->shape() != values_[static_cast<size_t>(r.from)].shape())
    return Status::Error("executor: the seed gradient must have the shape of node '" + g.node(r.from).name + "' " +
                         values_[static_cast<size_t>(r.from)].shape().str());
  const int target = r.stop_at < 0 ? 0 : r.stop_at;
  if (target > r.from) return Status::Error("executor: stop_at lies after the seeded node");

  // ancestor[i]: the objective depends on node i. below_target[i]: node i lies
  // on a path from the target, so its gradient is needed to reach the target.
  std::vector<char> ancestor(static_cast<size_t>(count), 0), from_target(static_cast<size_t>(count), 0);
  ancestor[static_cast<size_t>(r.from)] = 1;
  for (int i = r.from; i > 0; --i)
    if (ancestor[static_cast<size_t>(i)])
      for (int id : g.node(i).inputs) ancestor[static_cast<size_t>(id)] = 1;
  from_target[static_cast<size_t>(target)] = 1;
  for (int i = target + 1; i <= r.from; ++i)
    for (int id : g.node(i).inputs)
      if (from_target[static_cast<size_t>(id)]) from_target[static_cast<size_t>(i)] = 1;

  std::vector<char> need(static_cast<size_t>(count), 0);
  for (int i = 0; i <= r.from; ++i) {
    const size_t k = static_cast<size_t>(i);
    need[k] = ancestor[k] && (r.want_param_grads ? (i >= target || from_target[k]) : from_target[k]);
  }
  if (r.want_param_grads && target > 0)  // parameters below the stop node are not reached
    for (int i = 0; i < target; ++i) need[static_cast<size_t>(i)] = 0;

  has_grad_.assign(static_cast<size_t>(count), 0);
  for (int i = 0; i <= r.from; ++i) {
    const size_t k = static_cast<size_t>(i);
    if (!need[k]) continue;
    grads_[k].resize(values_[k].shape());
    has_grad_[k] = 1;
  }
  grads_[static_cast<size_t>(r.from)] = *r.seed;

  OpContext ctx{pool_, training_, seed_};
  std::vector<const Tensor*> ins;
  std::vector<Tensor*> in_grads;
  for (int i = r.from; i > target; --i) {
    const size_t k = static_cast<size_t>(i);
    if (!need[k]) continue;
    Node& n = g.node(i);
    ins.clear();
    in_grads.clear();
    bool any = false;
    for (int id : n.inputs) {
      ins.push_back(&values_[static_cast<size_t>(id)]);
      Tensor* dg = need[static_cast<size_t>(id)] ? &grads_[static_cast<size_t>(id)] : nullptr;
      in_grads.push_back(dg);
      any = any || dg;
    }
    const bool params = r.want_param_grads && !n.op->params().empty();
    if (!any && !params) continue;
    ctx.seed = seed_ + static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ull;
    timed(profile_ ? &profile_->backward_ms : nullptr, i,
          [&] { n.op->backward(ctx, ins, values_[k], grads_[k], in_grads, r.want_param_grads); });
  }
  return Status::Ok();
}

}  // namespace nl
