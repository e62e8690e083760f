#pragma once
// Options structs to and from configs: an options struct with nlohmann to_json/from_json (usually the
// NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT list next to it) becomes a Keras-style config and back,
// with ValueErrors that name the class and the argument. Layers, optimizers and schedules share it.
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "soma/core/config.hpp"
#include "soma/core/error.hpp"

namespace soma::detail {

// A layer's config: its options, with the name it actually got (automatic names included).
template <class Options>
Config options_config(const Options& options, const std::string& name) {
  Config c = options;
  c["name"] = name;
  return c;
}

// The options a config describes. Keys the options do not have and values of the wrong JSON type throw
// ValueError naming the layer class; missing keys keep their defaults, as omitted Keras arguments do.
template <class Options>
Options options_from_config(const Config& config, const std::string& class_name,
                            const std::vector<std::string>& extra_keys = {}) {
  if (!config.is_object()) {
    throw ValueError(
        fmt::format("{} config: expected a JSON object, received {}.", class_name, config.type_name()));
  }
  const Config known = Options{};
  for (const auto& [key, value] : config.items()) {
    if (!known.contains(key) && std::find(extra_keys.begin(), extra_keys.end(), key) == extra_keys.end()) {
      std::vector<std::string> names = extra_keys;
      for (const auto& item : known.items()) names.push_back(item.key());
      throw ValueError(fmt::format("{} config: unknown argument \"{}\". Known arguments: {}.", class_name,
                                   key, fmt::join(names, ", ")));
    }
  }
  Config own = config;
  for (const auto& key : extra_keys) own.erase(key);
  try {
    return own.get<Options>();
  } catch (const nlohmann::json::exception& e) {
    // Name the argument: the first key that fails on its own.
    for (const auto& [key, value] : own.items()) {
      Config probe = known;
      probe[key] = value;
      try {
        (void)probe.get<Options>();
      } catch (const nlohmann::json::exception&) {
        throw ValueError(fmt::format("{} config: argument \"{}\" has the wrong type ({}): {}", class_name,
                                     key, value.type_name(), e.what()));
      }
    }
    throw ValueError(fmt::format("{} config: {}", class_name, e.what()));
  }
}

}  // namespace soma::detail
