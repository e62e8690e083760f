#pragma once
// The activation functions known by name, as in keras.activations.
#include <string>
#include <string_view>
#include <vector>

namespace soma::activations {

enum class Kind {
  linear, relu, sigmoid, tanh, softmax, elu, leaky_relu, gelu, swish, softplus, selu,
  // Keras 3 hard_sigmoid is relu6(x + 3) / 6 (slope 1/6); Keras 2 files mean clip(0.2 x + 0.5, 0, 1): the
  // slope is `alpha` ("hard_sigmoid" 1/6, "hard_sigmoid_keras2" 0.2).
  hard_sigmoid, softsign, hard_silu, relu6, mish, log_softmax, exponential
};

struct Activation {
  Kind kind = Kind::linear;
  // elu's alpha, leaky_relu's negative slope, hard_sigmoid's slope; unused by the others.
  float alpha = 0.0f;
  std::string name = "linear";
};

// Looks an activation up by its Keras name ("relu", "softmax", "leaky_relu", "silu" for swish, ...).
// An empty name or "linear" is the identity. Unknown names throw ValueError listing the known ones.
Activation get(std::string_view name);
std::vector<std::string> names();
// keras.activations.elu(x, alpha) and leaky_relu(x, negative_slope) with a chosen parameter (by name they
// take Keras' defaults, 1 and 0.2).
Activation elu(float alpha = 1.0f);
Activation leaky_relu(float negative_slope = 0.2f);

}  // namespace soma::activations
