#include "nn/graph.h"

namespace nl {

Status Graph::set_input(std::string name, const Shape& shape) {
  if (!nodes_.empty()) return Status::Error("graph: the input must be declared first, once");
  if (shape.rank() < 2) return Status::Error("graph: input '" + name + "' needs a batch dimension, got " + shape.str());
  for (int i = 0; i < shape.rank(); ++i)
    if (shape[i] <= 0) return Status::Error("graph: input '" + name + "' has a non-positive dimension " + shape.str());
  Node node;
  node.name = std::move(name);
  node.shape = shape;
  nodes_.push_back(std::move(node));
  return Status::Ok();
}

Result<int> Graph::add(std::string name, std::unique_ptr<Op> op, std::vector<int> inputs) {
  if (nodes_.empty()) return Status::Error("graph: declare the input before adding node '" + name + "'");
  if (size() >= kMaxNodes) return Status::Error("graph: more than " + std::to_string(kMaxNodes) + " nodes");
  if (!op) return Status::Error("graph: node '" + name + "' has no op");
  if (find(name) >= 0) return Status::Error("graph: duplicate node name '" + name + "'");
  std::vector<Shape> in_shapes;
  for (int id : inputs) {
    if (id < 0 || id >= size())
      return Status::Error(op->type() + " node '" + name + "': input id " + std::to_string(id) + " does not exist");
    in_shapes.push_back(nodes_[static_cast<size_t>(id)].shape);
  }
  Shape out;
  Status s = op->output_shape(in_shapes, &out);
  if (!s.ok()) {
    std::string shapes;
    for (const Shape& sh : in_shapes) shapes += (shapes.empty() ? "" : ", ") + sh.str();
    return Status::Error(op->type() + " node '" + name + "' (inputs " + shapes + "): " + s.message());
  }
  Node node;
  node.name = std::move(name);
  node.op = std::move(op);
  node.inputs = std::move(inputs);
  node.shape = out;
  nodes_.push_back(std::move(node));
  return size() - 1;
}

int Graph::find(std::string_view name) const {
  for (int i = 0; i < size(); ++i)
    if (nodes_[static_cast<size_t>(i)].name == name) return i;
  return -1;
}

Status Graph::infer_shapes(int64_t batch, std::vector<Shape>* shapes) const {
  if (nodes_.empty()) return Status::Error("graph: empty");
  if (batch <= 0) return Status::Error("graph: batch size must be positive");
  shapes->assign(nodes_.size(), Shape());
  Shape in = nodes_[0].shape;
  in[0] = batch;
  (*shapes)[0] = in;
  std::vector<Shape> in_shapes;
  for (size_t i = 1; i < nodes_.size(); ++i) {
    in_shapes.clear();
    for (int id : nodes_[i].inputs) in_shapes.push_back((*shapes)[static_cast<size_t>(id)]);
    Status s = nodes_[i].op->output_shape(in_shapes, &(*shapes)[i]);
    if (!s.ok()) return Status::Error(nodes_[i].op->type() + " node '" + nodes_[i].name + "': " + s.message());
  }
  return Status::Ok();
}

std::vector<Param> Graph::params() {
  std::vector<Param> all;
  for (Node& n : nodes_) {
    if (!n.op) continue;
    for (Param p : n.op->params()) {
      p.name = n.name + "." + p.name;
      all.push_back(p);
    }
  }
  return all;
}

}  // namespace nl
