#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "soma/losses/loss.hpp"

namespace soma::losses {

std::unique_ptr<Loss> get(const std::string& name, LossOptions options) {
  std::string n = name;
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::tolower(c); });
  if (n == "mean_squared_error" || n == "mse") return std::make_unique<MeanSquaredError>(options);
  if (n == "mean_absolute_error" || n == "mae") return std::make_unique<MeanAbsoluteError>(options);
  if (n == "categorical_crossentropy") return std::make_unique<CategoricalCrossentropy>(options);
  if (n == "sparse_categorical_crossentropy") return std::make_unique<SparseCategoricalCrossentropy>(options);
  if (n == "binary_crossentropy") return std::make_unique<BinaryCrossentropy>(options);
  throw ValueError("losses::get: unknown loss \"" + name +
                   "\"; known losses are mean_squared_error (mse), mean_absolute_error (mae), "
                   "categorical_crossentropy, sparse_categorical_crossentropy, binary_crossentropy.");
}

Config Loss::get_config() const {
  return Config{{"from_logits", options_.from_logits}};
}

Config serialize(const Loss& loss) {
  return Config{{"class_name", loss.name()}, {"config", loss.get_config()}};
}

std::unique_ptr<Loss> deserialize(const Config& spec) {
  if (!spec.is_object() || !spec.contains("class_name") || !spec["class_name"].is_string()) {
    throw ValueError("losses::deserialize: expected {\"class_name\": ..., \"config\": {...}}, received " +
                     spec.dump().substr(0, 200) + ".");
  }
  LossOptions options;
  if (spec.contains("config")) {
    const Config& c = spec["config"];
    if (!c.is_object()) throw ValueError("losses::deserialize: \"config\" must be a JSON object.");
    for (const auto& item : c.items()) {
      if (item.key() != "from_logits" || !item.value().is_boolean()) {
        throw ValueError("losses::deserialize: unknown or mistyped argument \"" + item.key() +
                         "\"; a loss takes only from_logits (true or false).");
      }
      options.from_logits = item.value().get<bool>();
    }
  }
  return get(spec["class_name"].get<std::string>(), options);
}

}  // namespace soma::losses
