#include "io/keras/keras_weights.hpp"

#include <fmt/format.h>

#include <functional>
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
  std::map<std::string, size_t> by_name;
  std::map<std::string, std::vector<size_t>> file_of_layer;  // by the first part of the name
  for (size_t i = 0; i < variables.size(); ++i) {
    if (!by_name.emplace(variables[i].name, i).second) fail("holds the variable \"" + variables[i].name + "\" twice");
    file_of_layer[layer_of(variables[i].name)].push_back(i);
  }
  std::vector<bool> used(variables.size(), false);
  std::map<const autograd::Variable*, const Tensor*> chosen;
  // The file names a layer's variables after the layer (a wrapper's after the wrapper); a nested model's
  // after its own layers. A layer whose weights all match by name takes them so, else in order.
  std::function<void(Model&)> visit = [&](Model& m) {
    for (layers::Layer* layer : m.layers()) {
      if (auto* inner = dynamic_cast<Model*>(layer)) {
        visit(*inner);
        continue;
      }
      const std::vector<autograd::Variable*> weights = layer->weights();
      if (weights.empty()) continue;
      bool by_names = true;
      for (auto* w : weights) by_names = by_names && by_name.count(w->name);
      const auto& in_file = file_of_layer[layer->name()];
      if (!by_names && in_file.size() != weights.size()) {
        fail(fmt::format("holds {} variables for layer \"{}\", whose soma counterpart has {}", in_file.size(),
                         layer->name(), weights.size()));
      }
      for (size_t k = 0; k < weights.size(); ++k) {
        const size_t f = by_names ? by_name.at(weights[k]->name) : in_file[k];
        if (used[f]) fail("uses the variable \"" + variables[f].name + "\" twice");
        used[f] = true;
        if (variables[f].value.shape() != weights[k]->value.shape()) {
          fail(fmt::format("holds \"{}\" of shape {} where the model's \"{}\" has shape {}", variables[f].name,
                           variables[f].value.shape().str(), weights[k]->name, weights[k]->value.shape().str()));
        }
        chosen[weights[k]] = &variables[f].value;
      }
    }
  };
  visit(model);
  for (size_t f = 0; f < variables.size(); ++f) {
    if (!used[f]) fail("holds a variable \"" + variables[f].name + "\" that no layer of its model has");
  }
  std::vector<Tensor> values;
  for (auto* w : model.weights()) {
    auto it = chosen.find(w);
    if (it == chosen.end()) fail("holds no value for the weight \"" + w->name + "\"");
    values.push_back(*it->second);
  }
  model.set_weights(values);
}

}  // namespace soma::io::keras
