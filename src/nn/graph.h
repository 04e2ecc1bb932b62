// Graph: a directed acyclic graph of ops. Nodes are stored in topological
// order by construction: a node's inputs must already exist when it is added,
// so residual and branching networks work and cycles cannot be expressed.
// Node 0 is the graph's single input (an image batch, NHWC).
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "nn/op.h"

namespace nl {

struct Node {
  std::string name;
  std::unique_ptr<Op> op;   // null for the input node
  std::vector<int> inputs;  // ids of earlier nodes
  Shape shape;              // output shape at the graph's declared batch size
};

class Graph {
 public:
  static constexpr int kMaxNodes = 100000;

  // Declares the input node; must be called first, once.
  Status set_input(std::string name, const Shape& shape);

  // Adds a node computing `op` over `inputs`; checks the shapes now and
  // returns the new node's id, or an error naming the op, node and shapes.
  Result<int> add(std::string name, std::unique_ptr<Op> op, std::vector<int> inputs);

  int size() const { return static_cast<int>(nodes_.size()); }
  const Node& node(int id) const { return nodes_[static_cast<size_t>(id)]; }
  Node& node(int id) { return nodes_[static_cast<size_t>(id)]; }
  // Id of the node with this name, or -1.
  int find(std::string_view name) const;
  // The node whose value is the model's output (the last added, unless set).
  int output() const { return output_ < 0 ? size() - 1 : output_; }
  void set_output(int id) { output_ = id; }

  // Output shapes of every node for a batch of `batch` inputs.
  Status infer_shapes(int64_t batch, std::vector<Shape>* shapes) const;

  // Every parameter of every op, named "node.param".
  std::vector<Param> params();

 private:
  std::vector<Node> nodes_;
  int output_ = -1;
};

}  // namespace nl
