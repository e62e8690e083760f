#include "io/keras/keras_weights.hpp"

#include <fmt/format.h>

#include <map>

#include "soma/core/error.hpp"

namespace soma::io::keras {

namespace {
std::string layer_of(const std::string& name) {
  return name.substr(0, name.find('/'));
}
}  // namespace

void assign_weights(Model& model, std::vector<Variable> variables, const std::string& source) {
  auto fail = [&](const std::string& problem) { throw IOError(fmt::format("load_model: {} {}.", source, problem)); };
  for (auto& v : variables) {
    if (v.name.ends_with(":0")) v.name.resize(v.name.size() - 2);
  }
  const std::vector<autograd::Variable*> weights = model.weights();
  std::vector<const Tensor*> chosen(weights.size(), nullptr);
  std::vector<bool> used(variables.size(), false);
  std::map<std::string, size_t> by_name;
  for (size_t i = 0; i < variables.size(); ++i) {
    if (!by_name.emplace(variables[i].name, i).second) fail("holds the variable \"" + variables[i].name + "\" twice");
  }
  // Layers whose weights all match by name take them so; the others take their layer's variables in order.
  std::map<std::string, std::vector<size_t>> soma_of_layer, file_of_layer;
  for (size_t i = 0; i < weights.size(); ++i) soma_of_layer[layer_of(weights[i]->name)].push_back(i);
  for (size_t i = 0; i < variables.size(); ++i) file_of_layer[layer_of(variables[i].name)].push_back(i);
  for (const auto& [layer, indices] : soma_of_layer) {
    bool by_names = true;
    for (size_t i : indices) by_names = by_names && by_name.count(weights[i]->name);
    const auto& in_file = file_of_layer[layer];
    if (!by_names && in_file.size() != indices.size()) {
      fail(fmt::format("holds {} variables for layer \"{}\", whose soma counterpart has {} ({})", in_file.size(), layer,
                       indices.size(), weights[indices.front()]->name));
    }
    for (size_t k = 0; k < indices.size(); ++k) {
      const size_t i = indices[k];
      const size_t f = by_names ? by_name.at(weights[i]->name) : in_file[k];
      if (used[f]) fail("uses the variable \"" + variables[f].name + "\" twice");
      used[f] = true;
      if (variables[f].value.shape() != weights[i]->value.shape()) {
        fail(fmt::format("holds \"{}\" of shape {} where the model's \"{}\" has shape {}", variables[f].name,
                         variables[f].value.shape().str(), weights[i]->name, weights[i]->value.shape().str()));
      }
      chosen[i] = &variables[f].value;
    }
  }
  for (size_t f = 0; f < variables.size(); ++f) {
    if (!used[f]) fail("holds a variable \"" + variables[f].name + "\" that no layer of its model has");
  }
  std::vector<Tensor> values;
  values.reserve(weights.size());
  for (const Tensor* t : chosen) values.push_back(*t);
  model.set_weights(values);
}

}  // namespace soma::io::keras
