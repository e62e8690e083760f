// Symbolic tensors, nodes, Input, and calling layers on symbolic tensors.
#include <nlohmann/json.hpp>

#include "soma/layers/input_layer.hpp"
#include "soma/layers/merge.hpp"
#include "soma/models/keras_tensor.hpp"

namespace soma {

KerasTensor::KerasTensor(std::shared_ptr<graph::Node> node, size_t index) : node_(std::move(node)), index_(index) {}

namespace {
const graph::Node& node_of(const KerasTensor& t) {
  if (!t.defined()) throw ValueError("KerasTensor: an empty symbolic tensor (made by no layer).");
  return *t.node();
}
}  // namespace

const Shape& KerasTensor::shape() const {
  return node_of(*this).output_shapes.at(index_);
}

layers::Layer& KerasTensor::layer() const {
  return *node_of(*this).layer;
}

std::string KerasTensor::name() const {
  const graph::Node& n = node_of(*this);
  return n.output_shapes.size() > 1 ? n.layer->name() + ":" + std::to_string(index_) : n.layer->name();
}

namespace graph {
std::vector<KerasTensor> connect(std::shared_ptr<layers::Layer> layer, std::vector<KerasTensor> inputs,
                                 layers::CallArguments arguments) {
  if (!layer) throw ValueError("graph: a null layer was called on symbolic tensors.");
  std::vector<Shape> shapes;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined()) {
      throw ValueError(layer->type() + " \"" + layer->name() + "\": input " + std::to_string(i) +
                       " is an empty symbolic tensor; pass the outputs of soma::Input or of other layers.");
    }
    shapes.push_back(inputs[i].shape());
  }
  if (!arguments.keywords.empty() && arguments.keywords.size() != inputs.size()) {
    throw ValueError(layer->type() + " \"" + layer->name() + "\": " + std::to_string(arguments.keywords.size()) +
                     " keywords for " + std::to_string(inputs.size()) + " inputs.");
  }
  auto node = std::make_shared<Node>();
  layer->build_node(shapes, arguments);  // the first call builds; a later one checks the shapes match
  node->output_shapes = layer->node_output_shapes(shapes, arguments);
  node->arguments = std::move(arguments);
  node->layer = layer;
  node->inputs = std::move(inputs);
  layer->add_inbound_node(node);
  std::vector<KerasTensor> outs;
  for (size_t i = 0; i < node->output_shapes.size(); ++i) outs.emplace_back(node, i);
  return outs;
}
}  // namespace graph

KerasTensor Input(const std::vector<int64_t>& shape, InputOptions options) {
  auto layer = std::make_shared<layers::InputLayer>(layers::InputLayerOptions{
      .shape = shape, .dtype = options.dtype, .batch_size = options.batch_size, .name = options.name});
  layer->build(Shape(shape));
  auto node = std::make_shared<graph::Node>();
  node->layer = layer;
  node->output_shapes = {Shape(shape)};
  layer->add_inbound_node(node);
  return KerasTensor(node, 0);
}

KerasTensor operator+(const KerasTensor& a, const KerasTensor& b) {
  return layers::Add()({a, b});
}
KerasTensor operator-(const KerasTensor& a, const KerasTensor& b) {
  return layers::Subtract()({a, b});
}
KerasTensor operator*(const KerasTensor& a, const KerasTensor& b) {
  return layers::Multiply()({a, b});
}

}  // namespace soma

namespace soma::layers {

namespace {
KerasTensor single(std::vector<KerasTensor> outs, const Layer& layer) {
  if (outs.size() != 1) {
    throw ValueError(layer.type() + " \"" + layer.name() + "\" returns " + std::to_string(outs.size()) +
                     " tensors; take them all with call_outputs().");
  }
  return outs.front();
}

}  // namespace

std::shared_ptr<Layer> Layer::self_in_graph() {
  auto self = weak_from_this().lock();
  if (!self) {
    throw ValueError(type() + " \"" + name() +
                     "\": a layer called on symbolic tensors must live in the graph. Call a temporary "
                     "(L::Dense({...})(x)), or make a layer you call more than once with "
                     "soma::shared_layer(...) (or std::make_shared).");
  }
  return self;
}

KerasTensor Layer::operator()(const KerasTensor& x) && {
  auto self = std::move(*this).move_to_shared();
  return single(graph::connect(self, {x}), *self);
}
KerasTensor Layer::operator()(const KerasTensor& x) & {
  return single(graph::connect(self_in_graph(), {x}), *this);
}
KerasTensor Layer::operator()(const std::vector<KerasTensor>& inputs) && {
  auto self = std::move(*this).move_to_shared();
  return single(graph::connect(self, inputs), *self);
}
KerasTensor Layer::operator()(const std::vector<KerasTensor>& inputs) & {
  return single(graph::connect(self_in_graph(), inputs), *this);
}
std::vector<KerasTensor> Layer::call_outputs(const std::vector<KerasTensor>& inputs) && {
  return graph::connect(std::move(*this).move_to_shared(), inputs);
}
std::vector<KerasTensor> Layer::call_outputs(const std::vector<KerasTensor>& inputs) & {
  return graph::connect(self_in_graph(), inputs);
}

KerasTensor Layer::output_at(size_t node_index) const {
  const auto nodes = inbound_nodes();
  if (node_index >= nodes.size()) {
    throw ValueError(who() + ": has " + std::to_string(nodes.size()) + " calls in graphs, no call " +
                     std::to_string(node_index) + ".");
  }
  if (nodes[node_index]->output_shapes.size() != 1) {
    throw ValueError(who() + ": its call returns " + std::to_string(nodes[node_index]->output_shapes.size()) +
                     " tensors; use inbound_nodes() to reach them.");
  }
  return KerasTensor(nodes[node_index], 0);
}

KerasTensor Layer::output() const {
  const auto nodes = inbound_nodes();
  if (nodes.size() != 1) {
    throw ValueError(who() + (nodes.empty() ? ": has never been called on symbolic tensors, so it has no output."
                                            : ": has been called " + std::to_string(nodes.size()) +
                                                  " times, so it has several outputs; use output_at(i)."));
  }
  return output_at(0);
}

InputLayer::InputLayer(InputLayerOptions o) : Layer("input_layer", o.name, {}), options_(std::move(o)) {
  for (int64_t d : options_.shape) {
    if (d <= 0) {
      throw ShapeError(who() + ": shape dimensions must be positive, received " + Shape(options_.shape).str() +
                       " (soma's shapes are fixed per sample).");
    }
  }
  if (options_.shape.size() >= Shape::kMaxRank) {
    throw ShapeError(who() + ": shape " + Shape(options_.shape).str() + " has more than " +
                     std::to_string(Shape::kMaxRank - 1) + " dimensions per sample.");
  }
  if (options_.dtype != "float32" && options_.dtype != "int32" && options_.dtype != "int64") {
    throw ValueError(who() + ": dtype must be float32, int32 or int64, received \"" + options_.dtype + "\".");
  }
  if (options_.batch_size < 0) throw ValueError(who() + ": batch_size must be >= 0.");
}

Config InputLayer::get_config() const {
  Config shape = Config::array();
  if (options_.batch_size > 0) {
    shape.push_back(options_.batch_size);
  } else {
    shape.push_back(nullptr);
  }
  for (int64_t d : options_.shape) shape.push_back(d);
  return Config{{"batch_shape", shape}, {"dtype", options_.dtype}, {"sparse", false}, {"name", name()}};
}

}  // namespace soma::layers
