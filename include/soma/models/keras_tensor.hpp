#pragma once
// Symbolic tensors of the functional API, as keras.Input and KerasTensor:
//   auto x = soma::Input({28, 28, 1}, {.name = "image"});
//   auto y = L::Dense({.units = 10, .activation = "softmax"})(L::Flatten()(x));
//   soma::Model model({x}, {y}, "classifier");
// Calling a layer on symbolic tensors builds it for their shapes and adds a node to the graph; no data
// flows until the model runs (docs/functional.md).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "soma/core/shape.hpp"
#include "soma/layers/call_arguments.hpp"

namespace soma {

namespace layers {
class Layer;
}

namespace graph {
struct Node;
}

// One output of a node: what the layer that made it will compute. Shapes are per sample (no batch axis).
class KerasTensor {
 public:
  KerasTensor() = default;
  KerasTensor(std::shared_ptr<graph::Node> node, size_t index);
  const Shape& shape() const;
  // "dense_1", or "dense_1:1" for a second output: how errors and summaries name it.
  std::string name() const;
  // The layer whose call made this tensor (an InputLayer for an Input).
  layers::Layer& layer() const;
  const std::shared_ptr<graph::Node>& node() const { return node_; }
  size_t index() const { return index_; }
  bool defined() const { return node_ != nullptr; }
  bool operator==(const KerasTensor& o) const { return node_ == o.node_ && index_ == o.index_; }

 private:
  std::shared_ptr<graph::Node> node_;
  size_t index_ = 0;
};

namespace graph {
// A call of a layer in a graph: its inputs (outputs of earlier nodes) and its outputs' shapes. A layer
// called twice has two nodes over the same weights. Nodes own their layers; a layer knows its nodes
// weakly (Layer::output()).
struct Node {
  std::shared_ptr<layers::Layer> layer;
  std::vector<KerasTensor> inputs;
  std::vector<Shape> output_shapes;
  layers::CallArguments arguments;  // keyword arguments of this call, if any
};

// Adds a node calling `layer` on `inputs` (building the layer for their shapes on its first call) and
// returns its outputs.
std::vector<KerasTensor> connect(std::shared_ptr<layers::Layer> layer, std::vector<KerasTensor> inputs,
                                 layers::CallArguments arguments = layers::CallArguments{});
}  // namespace graph

struct InputOptions {
  std::string name = "";
  // "float32", or "int64" for indices (an Embedding's input).
  std::string dtype = "float32";
  // A fixed batch size (stateful recurrent layers); 0: any.
  int64_t batch_size = 0;
};

// keras.Input: a symbolic tensor of per-sample `shape` made by an InputLayer.
KerasTensor Input(const std::vector<int64_t>& shape, InputOptions options = {});

// Keras 3's operators on symbolic tensors: the same nodes as the merge layers (x + y is Add()([x, y])).
KerasTensor operator+(const KerasTensor& a, const KerasTensor& b);
KerasTensor operator-(const KerasTensor& a, const KerasTensor& b);
KerasTensor operator*(const KerasTensor& a, const KerasTensor& b);

}  // namespace soma
