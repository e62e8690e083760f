#pragma once
// Layers to and from their configs, as keras.layers.serialize / deserialize:
//   Config spec = layers::serialize(layer);        // {"class_name": "Dense", "config": {...}}
//   std::unique_ptr<Layer> copy = layers::deserialize(spec);
// Every soma layer is known by its Keras class name; custom layers join with register_layer.
#include <functional>
#include <memory>
#include <string>

#include "soma/core/config.hpp"
#include "soma/layers/layer.hpp"

namespace soma::layers {

Config serialize(const Layer& layer);
// Throws ValueError for an unknown class name, a config that is not an object, an unknown or mistyped
// argument, or any value the layer's constructor rejects.
std::unique_ptr<Layer> deserialize(const Config& spec);

using LayerFactory = std::function<std::unique_ptr<Layer>(const Config& config)>;
// Makes deserialize() (and so load_model) know `class_name`. Registering a known name replaces it.
void register_layer(const std::string& class_name, LayerFactory factory);

}  // namespace soma::layers
