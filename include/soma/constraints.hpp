#pragma once
// keras.constraints: projections applied to a weight right after each optimizer update in fit().
//   L::Dense({.units = 64, .kernel_constraint = soma::constraints::MaxNorm(3)})
//   L::Conv2D({..., .kernel_constraint = soma::constraints::MaxNorm(2, {0, 1, 2})})
//   L::Dense({.units = 64, .kernel_constraint = "non_neg"})
// Norms are L2 norms over `axis` of the weight (Keras: axis 0 of a Dense kernel (in, units) is each
// unit's incoming weight vector), with Keras' epsilon 1e-7 in the denominators.
#include <string>
#include <vector>

#include "soma/core/tensor.hpp"

namespace soma::constraints {

// A constraint as data, so option structs stay copyable and it can be written to a model file: `name` is
// the Keras identifier ("max_norm", "non_neg", "unit_norm", "min_max_norm"; empty: none), the numbers
// are the Keras arguments (those a kind does not use keep their defaults and are ignored).
struct Constraint {
  std::string name;
  float max_value = 0.0f;
  float min_value = 0.0f;
  float rate = 1.0f;
  std::vector<int> axis = {0};

  Constraint() = default;
  // A Keras name with Keras' defaults ("max_norm" is MaxNorm(2)); Keras' class names ("MaxNorm") also
  // work. Unknown names throw ValueError.
  Constraint(const char* identifier);         // NOLINT(google-explicit-constructor): "max_norm" in options
  Constraint(const std::string& identifier);  // NOLINT(google-explicit-constructor)

  bool active() const { return !name.empty(); }
  // Throws ValueError for an unknown name, bad numbers, or an axis outside a weight of this rank; `who`
  // opens the message ("Dense \"dense\": kernel_constraint"). Layers call it at construction.
  void check(int weight_rank, const std::string& who) const;
  // Projects w in place.
  void apply(Tensor& w) const;
};

// Keras' epsilon (keras.backend.epsilon()).
inline constexpr float kEpsilon = 1e-7f;

// w * clip(norm, 0, max_value) / (epsilon + norm).
Constraint MaxNorm(float max_value = 2.0f, std::vector<int> axis = {0});
// w * (w >= 0).
Constraint NonNeg();
// w / (epsilon + norm).
Constraint UnitNorm(std::vector<int> axis = {0});
// w * (rate * clip(norm, min_value, max_value) + (1 - rate) * norm) / (epsilon + norm).
Constraint MinMaxNorm(float min_value = 0.0f, float max_value = 1.0f, float rate = 1.0f,
                      std::vector<int> axis = {0});

}  // namespace soma::constraints
