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
    out.resize_for_overwrite(shapes_[static_cast<size_t>(i)]);  // forward writes every element (op.h)
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
  if (backend_) backend_->before_backward();

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
  if (!r.want_stop_at_grad && target < r.from) need[static_cast<size_t>(target)] = 0;

  const bool keep = r.keep_intermediate_grads;
  if (keep) {
    spare_grads_.clear();
    has_grad_.assign(static_cast<size_t>(count), 0);
    for (int i = 0; i <= r.from; ++i) {
      const size_t k = static_cast<size_t>(i);
      has_grad_[k] = need[k];
      if (need[k]) grads_[k].resize(values_[k].shape());
    }
  } else {
    // Gradients appear when their first consumer runs and go once passed on.
    for (int i = 0; i < count; ++i) release_grad(i);
    allocate_grad(r.from);
  }
  grads_[static_cast<size_t>(r.from)] = *r.seed;

  OpContext ctx{pool_, training_, seed_};
  std::vector<const Tensor*> ins;
  std::vector<Tensor*> in_grads;
  for (int i = r.from; i > target; --i) {
    const size_t k = static_cast<size_t>(i);
    if (!need[k]) continue;
    if (!has_grad_[k]) allocate_grad(i);  // no consumer reached it: its gradient is zero
    Node& n = g.node(i);
    ins.clear();
    in_grads.clear();
    bool any = false;
    for (int id : n.inputs) {
      ins.push_back(&values_[static_cast<size_t>(id)]);
      const bool wanted = need[static_cast<size_t>(id)] != 0;
      if (wanted && !has_grad_[static_cast<size_t>(id)]) allocate_grad(id);
      in_grads.push_back(wanted ? &grads_[static_cast<size_t>(id)] : nullptr);
      any = any || wanted;
    }
    const bool params = r.want_param_grads && !n.op->params().empty();
    if (any || params) {
      ctx.seed = seed_ + static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ull;
      timed(profile_ ? &profile_->backward_ms : nullptr, i,
            [&] { n.op->backward(ctx, ins, values_[k], grads_[k], in_grads, r.want_param_grads); });
    }
    // Every consumer of node i comes after it, so its gradient is complete and now passed on.
    if (!keep) release_grad(i);
  }
  return Status::Ok();
}

void Executor::allocate_grad(int node) {
  const size_t k = static_cast<size_t>(node);
  const Shape& shape = values_[k].shape();
  // The smallest spare that holds the gradient, so large buffers stay free for large gradients.
  size_t best = spare_grads_.size();
  for (size_t s = 0; s < spare_grads_.size(); ++s)
    if (spare_grads_[s].capacity() >= shape.elements() &&
        (best == spare_grads_.size() || spare_grads_[s].capacity() < spare_grads_[best].capacity()))
      best = s;
  // None holds it: grow the largest spare instead of keeping one more buffer.
  // Gradients grow toward the input, so spares too small now would wait idle
  // until the next pass (ResNet-18's input-gradient step kept 10.8 MB of
  // spares, now 7.2 MB).
  if (best == spare_grads_.size())
    for (size_t s = 0; s < spare_grads_.size(); ++s)
      if (best == spare_grads_.size() || spare_grads_[s].capacity() > spare_grads_[best].capacity()) best = s;
  if (best < spare_grads_.size()) {
    grads_[k] = std::move(spare_grads_[best]);
    spare_grads_[best] = std::move(spare_grads_.back());
    spare_grads_.pop_back();
  }
  grads_[k].resize(shape);
  has_grad_[k] = 1;
}

void Executor::release_grad(int node) {
  const size_t k = static_cast<size_t>(node);
  has_grad_[k] = 0;
  if (grads_[k].capacity() == 0) return;
  spare_grads_.push_back(std::move(grads_[k]));
  grads_[k] = Tensor();
}

}  // namespace nl
