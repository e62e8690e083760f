#pragma once
// keras.Sequential: a Model whose graph is a chain of layers, made when the model is built (from the
// first layer's input_shape, build(), or the first fit/predict).
//   soma::Sequential model;
//   model.add(L::Dense({.units = 512, .activation = "relu", .input_shape = {784}}));
//   model.add(L::Dense({.units = 10, .activation = "softmax"}));
#include <memory>
#include <string>
#include <type_traits>

#include "soma/models/model.hpp"

namespace soma {

class Sequential : public Model {
 public:
  SOMA_LAYER(Sequential)
  explicit Sequential(std::string name = "sequential");
  // A model that is a chain (load_model's result for a Sequential file); ValueError for a graph.
  Sequential(Model&& model);

  template <class L>
  requires std::derived_from<std::decay_t<L>, layers::Layer> Sequential& add(L&& layer) {
    return add(std::shared_ptr<layers::Layer>(std::make_shared<std::decay_t<L>>(std::forward<L>(layer))));
  }
  Sequential& add(std::unique_ptr<layers::Layer> layer) { return add(std::shared_ptr<layers::Layer>(std::move(layer))); }
  Sequential& add(std::shared_ptr<layers::Layer> layer);
  // Removes the last layer (Keras' pop()).
  void pop();

  // Creates every layer's weights for this per-sample input shape.
  void build(const Shape& input_shape);

  static Sequential from_config(const Config& config);

 private:
  using Model::build_multi;
};

}  // namespace soma
