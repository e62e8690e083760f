// Optimizers to and from configs, and the named state slots save/load uses. The JSON form of each options
// struct is listed once here; tests/optimizers/serialization_test.cpp round-trips every field.
#include <fmt/format.h>

#include <algorithm>

#include "soma/core/error.hpp"
#include "soma/optimizers/adam.hpp"
#include "soma/optimizers/optimizer.hpp"
#include "soma/optimizers/rmsprop.hpp"
#include "soma/optimizers/sgd.hpp"

namespace soma::optimizers {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SGDOptions, learning_rate, momentum, nesterov, decay,
                                                clipnorm, clipvalue)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AdamOptions, learning_rate, beta_1, beta_2, epsilon, amsgrad,
                                                decay, clipnorm, clipvalue)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RMSpropOptions, learning_rate, rho, momentum, epsilon,
                                                centered, decay, clipnorm, clipvalue)

Config SGD::get_config() const {
  return options();
}
Config Adam::get_config() const {
  return options();
}
Config RMSprop::get_config() const {
  return options();
}

std::vector<Optimizer::Slot> SGD::slots() {
  return {{"velocity", &velocity_}};
}
std::vector<Optimizer::Slot> Adam::slots() {
  return {{"m", &m_}, {"v", &v_}, {"vhat", &vhat_}};
}
std::vector<Optimizer::Slot> RMSprop::slots() {
  return {{"rms", &rms_}, {"mg", &mg_}, {"momentum", &momentum_}};
}

namespace {

// The options a config describes; unknown keys and mistyped values throw ValueError.
template <class Options>
Options options_from(const Config& config, const std::string& class_name) {
  if (!config.is_object()) {
    throw ValueError(
        fmt::format("{} config: expected a JSON object, received {}.", class_name, config.type_name()));
  }
  const Config known = Options{};
  for (const auto& item : config.items()) {
    if (!known.contains(item.key())) {
      std::vector<std::string> names;
      for (const auto& k : known.items()) names.push_back(k.key());
      throw ValueError(fmt::format("{} config: unknown argument \"{}\". Known arguments: {}.", class_name,
                                   item.key(), fmt::join(names, ", ")));
    }
  }
  try {
    return config.get<Options>();
  } catch (const nlohmann::json::exception& e) {
    throw ValueError(fmt::format("{} config: {}", class_name, e.what()));
  }
}

}  // namespace

Config serialize(const Optimizer& optimizer) {
  return Config{{"class_name", optimizer.name()}, {"config", optimizer.get_config()}};
}

std::unique_ptr<Optimizer> deserialize(const Config& spec) {
  if (!spec.is_object() || !spec.contains("class_name") || !spec["class_name"].is_string()) {
    throw ValueError("optimizers::deserialize: expected {\"class_name\": ..., \"config\": {...}}, received " +
                     spec.dump().substr(0, 200) + ".");
  }
  const auto class_name = spec["class_name"].get<std::string>();
  const Config config = spec.contains("config") ? spec["config"] : Config::object();
  if (class_name == "SGD") return std::make_unique<SGD>(options_from<SGDOptions>(config, class_name));
  if (class_name == "Adam") return std::make_unique<Adam>(options_from<AdamOptions>(config, class_name));
  if (class_name == "RMSprop")
    return std::make_unique<RMSprop>(options_from<RMSpropOptions>(config, class_name));
  throw ValueError("optimizers::deserialize: unknown optimizer class \"" + class_name +
                   "\". Known: Adam, RMSprop, SGD.");
}

std::vector<std::pair<std::string, Tensor>> Optimizer::state() {
  std::vector<std::pair<std::string, Tensor>> out;
  if (!built_) return out;
  for (const Slot& slot : slots()) {
    for (size_t i = 0; i < slot.tensors->size(); ++i) {
      out.emplace_back(slot.name + "/" + std::to_string(i), (*slot.tensors)[i]);
    }
  }
  return out;
}

void Optimizer::set_state(std::span<autograd::Variable* const> params, int64_t iterations,
                          const std::vector<std::pair<std::string, Tensor>>& saved) {
  auto fail = [&](const std::string& what) {
    built_ = false;
    iterations_ = 0;
    throw ValueError(name() + ": cannot restore the optimizer state: " + what + ".");
  };
  if (iterations < 0) fail("iterations is negative (" + std::to_string(iterations) + ")");
  build(params);
  built_ = true;
  size_t used = 0;
  std::vector<std::pair<Tensor*, const Tensor*>> copies;
  for (const Slot& slot : slots()) {
    for (size_t i = 0; i < slot.tensors->size(); ++i) {
      const std::string key = slot.name + "/" + std::to_string(i);
      const auto it =
          std::find_if(saved.begin(), saved.end(), [&](const auto& kv) { return kv.first == key; });
      if (it == saved.end()) fail("\"" + key + "\" is missing (was the model saved with other options?)");
      Tensor& dst = (*slot.tensors)[i];
      if (it->second.shape() != dst.shape() || it->second.dtype() != dst.dtype()) {
        fail("\"" + key + "\" has shape " + it->second.shape().str() + ", the parameter needs " +
             dst.shape().str());
      }
      copies.emplace_back(&dst, &it->second);
      ++used;
    }
  }
  if (used != saved.size()) {
    for (const auto& [key, value] : saved) {
      bool found = false;
      for (const auto& c : copies) found = found || c.second == &value;
      if (!found) fail("\"" + key + "\" is not state this optimizer has (was it saved with other options?)");
    }
  }
  for (auto& [dst, src] : copies) dst->copy_from(*src);
  iterations_ = iterations;
}

}  // namespace soma::optimizers
