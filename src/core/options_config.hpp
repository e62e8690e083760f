#pragma once
// Options structs to and from configs: an options struct with nlohmann to_json/from_json (usually the
// NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT list next to it) becomes a Keras-style config and back,
// with ValueErrors that name the class and the argument. Layers, optimizers and schedules share it.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
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

// A config value for a message: its JSON, cut to 40 characters.
inline std::string config_value_text(const Config& value) {
  std::string text = value.dump();
  return text.size() <= 40 ? text : text.substr(0, 40) + "...";
}

// The plural, for lists: "a list of integers".
inline std::string config_kinds(const Config& like) {
  if (like.is_number_integer()) return "integers";
  if (like.is_number_float()) return "numbers";
  if (like.is_boolean()) return "true/false values";
  if (like.is_string()) return "strings";
  if (like.is_array()) return "lists";
  return "objects";
}

// What a field whose default serialises as `like` takes, for "argument "x" must be <this>".
inline std::string config_kind(const Config& like) {
  switch (like.type()) {
    case Config::value_t::number_integer:
    case Config::value_t::number_unsigned:
      return "an integer";
    case Config::value_t::number_float:
      return "a number";
    case Config::value_t::boolean:
      return "true or false";
    case Config::value_t::string:
      return "a string";
    case Config::value_t::array:
      return like.empty() ? "a list" : "a list of " + config_kinds(like.front());
    case Config::value_t::object:
      return "an object";
    default:  // an optional argument whose default is null (None): its type is not known from the default
      return "null or a value of another type (this one has the wrong type)";
  }
}

// Two JSON integers with the same value; nlohmann's own == casts unsigned to signed (2^64 - 1 == -1).
inline bool same_integer(const Config& a, const Config& b) {
  if (a.is_number_unsigned() == b.is_number_unsigned()) return a == b;
  const Config& u = a.is_number_unsigned() ? a : b;
  const Config& i = a.is_number_unsigned() ? b : a;
  return i.get<int64_t>() >= 0 && static_cast<uint64_t>(i.get<int64_t>()) == u.get<uint64_t>();
}

// nlohmann converts numbers silently (4294967297 into an int is 1, 2.5 into an int is 2, 1e300 into a
// float is inf). Comparing what was given with what the options hold after the conversion catches every
// such narrowing: `back` is the options turned back into JSON. `path` names the argument in errors.
inline void check_not_narrowed(const std::string& who, const std::string& path, const Config& given,
                               const Config& back) {
  auto fail = [&](const std::string& problem) {
    throw ValueError(fmt::format("{} config: argument \"{}\" {}, received {}.", who, path, problem,
                                 config_value_text(given)));
  };
  if (given.is_number_float() && !std::isfinite(given.get<double>())) fail("must be a finite number");
  if (back.is_number_integer()) {
    if (!given.is_number_integer()) fail("must be an integer");
    if (!same_integer(given, back)) fail("is out of range");
  } else if (back.is_number_float()) {
    if (given.is_number() && !std::isfinite(back.get<double>())) fail("is out of the range of float32");
  } else if (back.is_array() && given.is_array() && back.size() == given.size()) {
    for (size_t i = 0; i < given.size(); ++i) {
      check_not_narrowed(who, fmt::format("{}[{}]", path, i), given[i], back[i]);
    }
  } else if (back.is_object() && given.is_object()) {
    for (const auto& [key, value] : given.items()) {
      if (back.contains(key)) check_not_narrowed(who, path + "." + key, value, back[key]);
    }
  }
}

inline void replace_floats(Config& c) {
  if (c.is_number_float()) {
    c = 0.5;
  } else if (c.is_structured()) {
    for (auto& child : c) replace_floats(child);
  }
}

inline void check_integer_positions(const std::string& who, const std::string& path, const Config& given,
                                    const Config& back) {
  if (back.is_number_integer() && given.is_number_float()) {
    throw ValueError(fmt::format("{} config: argument \"{}\" must be an integer, received {}.", who, path,
                                 config_value_text(given)));
  }
  if (back.is_array() && given.is_array() && back.size() == given.size()) {
    for (size_t i = 0; i < given.size(); ++i) {
      check_integer_positions(who, fmt::format("{}[{}]", path, i), given[i], back[i]);
    }
  } else if (back.is_object() && given.is_object()) {
    for (const auto& [key, value] : given.items()) {
      if (back.contains(key)) check_integer_positions(who, path + "." + key, value, back[key]);
    }
  }
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
  // A float converted to an integer field is undefined behaviour when out of range (1e300 into int64), so
  // floats where integers belong are refused before the real conversion. Which positions hold integers
  // is found by converting, key by key (another key of the wrong type must not hide this one), a copy
  // whose floats are all 0.5, which converts safely to any number type.
  for (const auto& [key, value] : own.items()) {
    Config safe = value;
    replace_floats(safe);
    Config probe = known;
    probe[key] = std::move(safe);
    std::optional<Config> back;
    try {
      back = Config(probe.get<Options>());
    } catch (const std::exception&) {
      // Wrong types and bad values are reported by the conversion below, with the real values.
    }
    if (back && back->contains(key)) check_integer_positions(class_name, key, value, (*back)[key]);
  }
  Options options;
  try {
    options = own.get<Options>();
  } catch (const nlohmann::json::exception& e) {
    // Name the argument: the first key that fails on its own.
    for (const auto& [key, value] : own.items()) {
      Config probe = known;
      probe[key] = value;
      try {
        (void)probe.get<Options>();
      } catch (const nlohmann::json::exception&) {
        throw ValueError(fmt::format("{} config: argument \"{}\" must be {}, received {} {}.", class_name,
                                     key, config_kind(known[key]), value.type_name(),
                                     config_value_text(value)));
      }
    }
    throw ValueError(fmt::format("{} config: the arguments do not fit together ({}).", class_name, e.what()));
  }
  const Config back = options;
  for (const auto& [key, value] : own.items()) {
    if (back.contains(key)) check_not_narrowed(class_name, key, value, back[key]);
  }
  return options;
}

}  // namespace soma::detail
