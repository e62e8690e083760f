#pragma once
// The activation functions known by name, as in keras.activations.
#include <string>
#include <string_view>
#include <vector>

namespace soma::activations {

enum class Kind { linear, relu, sigmoid, tanh, softmax, elu, leaky_relu, gelu, swish, softplus, selu };

struct Activation {
  Kind kind = Kind::linear;
  // elu's alpha, leaky_relu's negative slope; unused by the others.
  float alpha = 0.0f;
  std::string name = "linear";
};

// Looks an activation up by its Keras name ("relu", "softmax", "leaky_relu", "silu" for swish, ...).
// An empty name or "linear" is the identity. Unknown names throw ValueError listing the known ones.
Activation get(std::string_view name);
std::vector<std::string> names();

}  // namespace soma::activations
