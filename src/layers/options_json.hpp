#pragma once
// The JSON form of every layer's options struct: a layer's config is its options, field by field, under
// the Keras argument names the fields already carry. One list per struct below; a field missing from its
// list would not be saved, which the round-trip tests in tests/layers/config_test.cpp catch.
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "soma/core/config.hpp"
#include "soma/core/error.hpp"
#include "soma/layers/convolutional.hpp"
#include "soma/layers/core_layers.hpp"
#include "soma/layers/dense.hpp"
#include "soma/layers/embedding.hpp"
#include "soma/layers/normalization.hpp"
#include "soma/layers/pooling.hpp"
#include "soma/layers/recurrent.hpp"
#include "soma/layers/wrappers.hpp"
#include "soma/regularizers.hpp"

namespace soma::regularizers {
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Regularizer, l1, l2)
}  // namespace soma::regularizers

namespace soma::layers {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DenseOptions, units, activation, use_bias, kernel_initializer,
                                                bias_initializer, kernel_regularizer, bias_regularizer,
                                                input_shape, input_dim, name, dtype)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ActivationOptions, activation, input_shape, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(FlattenOptions, input_shape, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ReshapeOptions, target_shape, input_shape, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DropoutOptions, rate, input_shape, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Conv2DOptions, filters, kernel_size, strides, padding,
                                                dilation_rate, activation, use_bias, kernel_initializer,
                                                bias_initializer, kernel_regularizer, bias_regularizer,
                                                input_shape, name, dtype)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Conv1DOptions, filters, kernel_size, strides, padding,
                                                dilation_rate, activation, use_bias, kernel_initializer,
                                                bias_initializer, kernel_regularizer, bias_regularizer,
                                                input_shape, name, dtype)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Pooling2DOptions, pool_size, strides, padding, input_shape,
                                                name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Pooling1DOptions, pool_size, strides, padding, input_shape,
                                                name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(GlobalPooling2DOptions, input_shape, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(BatchNormalizationOptions, axis, momentum, epsilon, center,
                                                scale, beta_initializer, gamma_initializer,
                                                moving_mean_initializer, moving_variance_initializer,
                                                input_shape, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RNNOptions, units, activation, recurrent_activation, use_bias,
                                                kernel_initializer, recurrent_initializer, bias_initializer,
                                                unit_forget_bias, dropout, recurrent_dropout,
                                                return_sequences, return_state, go_backwards, reset_after,
                                                input_shape, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(EmbeddingOptions, input_dim, output_dim,
                                                embeddings_initializer, mask_zero, input_shape, input_length,
                                                name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(BidirectionalOptions, merge_mode, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TimeDistributedOptions, name)

namespace detail {

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
        throw ValueError(fmt::format("{} config: argument \"{}\" has the wrong type ({}): {}", class_name, key,
                                     value.type_name(), e.what()));
      }
    }
    throw ValueError(fmt::format("{} config: {}", class_name, e.what()));
  }
}

}  // namespace detail
}  // namespace soma::layers
