#include "soma/models/sequential.hpp"

#include "soma/layers/input_layer.hpp"

namespace soma {

Sequential::Sequential(std::string name) : Model(std::move(name), true) {}

Sequential::Sequential(Model&& model) : Model(std::move(model)) {
  if (!is_sequential()) {
    throw ValueError(who() + ": is a functional model (a graph), not a Sequential; keep it as a soma::Model.");
  }
}

Sequential& Sequential::add(std::shared_ptr<layers::Layer> layer) {
  if (!layer) throw ValueError(who() + ": add() received a null layer.");
  for (const auto& l : chain_) {
    if (l->name() == layer->name()) {
      throw ValueError(who() + ": all layers must have unique names; a layer named \"" + layer->name() +
                       "\" is already in the model. Pass another .name.");
    }
  }
  if (layer->output_count() != 1) {
    throw ValueError(who() + ": all layers in a Sequential model should have a single output tensor; " +
                     layer->type() + " \"" + layer->name() + "\" returns " + std::to_string(layer->output_count()) +
                     " (return_state = true). Call the layer itself (call() returns its output and states).");
  }
  if (!chain_.empty() && !built() && layer->declared_input_shape()) {
    throw ValueError(who() + ": only the first layer may declare input_shape; " + layer->type() + " \"" +
                     layer->name() + "\" is layer " + std::to_string(chain_.size() + 1) + ".");
  }
  if (built()) {
    // Layers added to a built model are built at once for what the model outputs so far.
    const Shape in = output_shape();
    if (layer->declared_input_shape() && *layer->declared_input_shape() != in) {
      throw ShapeError(who() + ": " + layer->type() + " \"" + layer->name() + "\" declares input_shape " +
                       layer->declared_input_shape()->with_batch(-1).str() + " but the model outputs " +
                       in.with_batch(-1).str() + ".");
    }
    layer->build(in);
    const Shape first = input_shape();
    chain_.push_back(std::move(layer));
    build_chain(first);
    return *this;
  }
  chain_.push_back(std::move(layer));
  // As Keras does: a first layer with input_shape builds the model right away, so summary() works.
  if (chain_.size() == 1 && chain_.front()->declared_input_shape()) build(*chain_.front()->declared_input_shape());
  return *this;
}

void Sequential::pop() {
  if (chain_.empty()) throw ValueError(who() + ": pop() on a model with no layers.");
  chain_.pop_back();
  if (built() && !chain_.empty()) build_chain(input_shape());
}

void Sequential::build(const Shape& input_shape) {
  if (chain_.empty()) throw StateError(who() + ": cannot build a model with no layers; add() some first.");
  if (built()) {
    if (input_shape != this->input_shape()) {
      throw ShapeError(who() + ": expected input of shape " + this->input_shape().with_batch(-1).str() +
                       ", received shape " + input_shape.with_batch(-1).str() + ".");
    }
    return;
  }
  build_chain(input_shape);
}

void Model::build_chain(const Shape& input_shape) {
  if (chain_.empty()) throw StateError(who() + ": cannot build a model with no layers; add() some first.");
  const auto& declared = chain_.front()->declared_input_shape();
  if (declared && *declared != input_shape) {
    throw ShapeError(who() + ": expected input of shape " + declared->with_batch(-1).str() + ", received shape " +
                     input_shape.with_batch(-1).str() + ".");
  }
  // The graph of a chain: Input -> layer 1 -> ... -> layer n, the input named after the model.
  KerasTensor t = Input(input_shape.to_vector(), {.name = name() + "_input"});
  const KerasTensor input = t;
  for (const auto& layer : chain_) t = graph::connect(layer, {t}).at(0);
  set_graph({input}, {t});
}

}  // namespace soma
