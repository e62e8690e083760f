#include "soma/activations.hpp"

#include "soma/core/error.hpp"

namespace soma::activations {

namespace {
struct Known {
  const char* name;
  Kind kind;
  float alpha;
};
// Defaults as keras.activations: elu alpha 1, leaky_relu negative_slope 0.2.
constexpr Known kKnown[] = {
    {"linear", Kind::linear, 0.0f},   {"relu", Kind::relu, 0.0f},       {"sigmoid", Kind::sigmoid, 0.0f},
    {"tanh", Kind::tanh, 0.0f},       {"softmax", Kind::softmax, 0.0f}, {"elu", Kind::elu, 1.0f},
    {"leaky_relu", Kind::leaky_relu, 0.2f}, {"gelu", Kind::gelu, 0.0f}, {"swish", Kind::swish, 0.0f},
    {"silu", Kind::swish, 0.0f},      {"softplus", Kind::softplus, 0.0f}, {"selu", Kind::selu, 0.0f},
    {"hard_sigmoid", Kind::hard_sigmoid, 1.0f / 6.0f}, {"hard_sigmoid_keras2", Kind::hard_sigmoid, 0.2f},
    {"softsign", Kind::softsign, 0.0f}, {"hard_silu", Kind::hard_silu, 0.0f}, {"hard_swish", Kind::hard_silu, 0.0f},
    {"relu6", Kind::relu6, 0.0f},     {"mish", Kind::mish, 0.0f},
    {"exponential", Kind::exponential, 0.0f}, {"log_softmax", Kind::log_softmax, 0.0f},
};
}  // namespace

Activation get(std::string_view name) {
  if (name.empty()) return {};
  for (const Known& k : kKnown)
    if (name == k.name) return {k.kind, k.alpha, k.name};
  std::string list;
  for (const auto& n : names()) list += (list.empty() ? "" : ", ") + n;
  throw ValueError("activations::get: unknown activation \"" + std::string(name) + "\"; known activations are " +
                   list + ".");
}

Activation elu(float alpha) {
  return {Kind::elu, alpha, "elu"};
}

Activation leaky_relu(float negative_slope) {
  return {Kind::leaky_relu, negative_slope, "leaky_relu"};
}

std::vector<std::string> names() {
  std::vector<std::string> out;
  for (const Known& k : kKnown) out.emplace_back(k.name);
  return out;
}

}  // namespace soma::activations
