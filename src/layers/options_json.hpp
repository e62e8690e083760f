#pragma once
// The JSON form of every layer's options struct: a layer's config is its options, field by field, under
// the Keras argument names the fields already carry. One list per struct below; a field missing from its
// list would not be saved, which the round-trip tests in tests/layers/config_test.cpp catch.
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/options_config.hpp"
#include "soma/core/config.hpp"
#include "soma/core/error.hpp"
#include "soma/layers/activation_layers.hpp"
#include "soma/layers/attention.hpp"
#include "soma/layers/attention_layers.hpp"
#include "soma/layers/augmentation.hpp"
#include "soma/layers/categorical.hpp"
#include "soma/layers/convolutional.hpp"
#include "soma/layers/core_layers.hpp"
#include "soma/layers/dense.hpp"
#include "soma/layers/embedding.hpp"
#include "soma/layers/merge.hpp"
#include "soma/layers/noise.hpp"
#include "soma/layers/normalization.hpp"
#include "soma/layers/pooling.hpp"
#include "soma/layers/preprocessing.hpp"
#include "soma/layers/recurrent.hpp"
#include "soma/layers/reshaping.hpp"
#include "soma/layers/wrappers.hpp"
#include "soma/regularizers.hpp"

namespace soma::regularizers {
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Regularizer, l1, l2)
}  // namespace soma::regularizers

namespace soma::initializers {
// A bare name when every argument is Keras' default ("glorot_uniform"), else {"class_name", "config"}.
inline void to_json(Config& j, const Initializer& init) {
  const Initializer defaults(init.name);
  if (init.value == defaults.value && init.mean == defaults.mean && init.stddev == defaults.stddev &&
      init.minval == defaults.minval && init.maxval == defaults.maxval && init.gain == defaults.gain && init.scale == defaults.scale &&
      init.mode == defaults.mode && init.distribution == defaults.distribution) {
    j = init.name;
    return;
  }
  j = Config{{"class_name", init.name},
             {"config",
              {{"value", init.value},
               {"mean", init.mean},
               {"stddev", init.stddev},
               {"minval", init.minval},
               {"maxval", init.maxval},
               {"gain", init.gain},
               {"scale", init.scale},
               {"mode", init.mode},
               {"distribution", init.distribution}}}};
}
inline void from_json(const Config& j, Initializer& init) {
  if (j.is_string()) {
    init = Initializer(j.get<std::string>());
    return;
  }
  init = Initializer(j.at("class_name").get<std::string>());
  const Config& c = j.at("config");
  init.value = c.value("value", init.value);
  init.mean = c.value("mean", init.mean);
  init.stddev = c.value("stddev", init.stddev);
  init.minval = c.value("minval", init.minval);
  init.maxval = c.value("maxval", init.maxval);
  init.gain = c.value("gain", init.gain);
  init.scale = c.value("scale", init.scale);
  init.mode = c.value("mode", init.mode);
  init.distribution = c.value("distribution", init.distribution);
}
}  // namespace soma::initializers

namespace soma::constraints {
// null for none, else {"class_name": "max_norm", "config": {...}}.
inline void to_json(Config& j, const Constraint& c) {
  if (!c.active()) {
    j = nullptr;
    return;
  }
  j = Config{{"class_name", c.name},
             {"config",
              {{"max_value", c.max_value}, {"min_value", c.min_value}, {"rate", c.rate}, {"axis", c.axis}}}};
}
inline void from_json(const Config& j, Constraint& c) {
  if (j.is_null()) {
    c = Constraint();
    return;
  }
  if (j.is_string()) {
    c = Constraint(j.get<std::string>());
    return;
  }
  c = Constraint(j.at("class_name").get<std::string>());
  const Config& cfg = j.at("config");
  c.max_value = cfg.value("max_value", c.max_value);
  c.min_value = cfg.value("min_value", c.min_value);
  c.rate = cfg.value("rate", c.rate);
  c.axis = cfg.value("axis", c.axis);
}
}  // namespace soma::constraints

namespace soma::layers {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DenseOptions, units, activation, use_bias, kernel_initializer,
                                                bias_initializer, kernel_regularizer, bias_regularizer,
                                                activity_regularizer, kernel_constraint, bias_constraint,
                                                input_shape, input_dim, name, dtype)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(MergeOptions, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ConcatenateOptions, axis, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DotOptions, axes, normalize, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ActivationOptions, activation, input_shape, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(FlattenOptions, input_shape, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ReshapeOptions, target_shape, input_shape, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(IdentityOptions, input_shape, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CenterCropOptions, height, width, data_format, input_shape, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ResizingOptions, height, width, interpolation, crop_to_aspect_ratio,
                                                pad_to_aspect_ratio, fill_mode, fill_value, antialias, data_format,
                                                input_shape, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(MaskingOptions, mask_value, input_shape, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PermuteOptions, dims, input_shape, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RepeatVectorOptions, n, input_shape, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DropoutOptions, rate, input_shape, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ConvOptions, filters, kernel_size, strides, padding, data_format,
                                                dilation_rate, groups, activation, use_bias, kernel_initializer,
                                                bias_initializer, kernel_regularizer, bias_regularizer,
                                                activity_regularizer, kernel_constraint, bias_constraint,
                                                input_shape, name, dtype)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ConvTransposeOptions, filters, kernel_size, strides, padding,
                                                output_padding, data_format, dilation_rate, activation, use_bias,
                                                kernel_initializer, bias_initializer, kernel_regularizer,
                                                bias_regularizer, activity_regularizer, kernel_constraint,
                                                bias_constraint, input_shape, name, dtype)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DepthwiseConvOptions, kernel_size, strides, padding,
                                                depth_multiplier, data_format, dilation_rate, activation, use_bias,
                                                depthwise_initializer, bias_initializer, depthwise_regularizer,
                                                bias_regularizer, activity_regularizer, depthwise_constraint,
                                                bias_constraint, input_shape, name, dtype)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SeparableConvOptions, filters, kernel_size, strides, padding,
                                                data_format, dilation_rate, depth_multiplier, activation, use_bias,
                                                depthwise_initializer, pointwise_initializer, bias_initializer,
                                                depthwise_regularizer, pointwise_regularizer, bias_regularizer,
                                                activity_regularizer, depthwise_constraint, pointwise_constraint,
                                                bias_constraint, input_shape, name, dtype)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PoolingOptions, pool_size, strides, padding, data_format,
                                                input_shape, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(GlobalPoolingOptions, data_format, keepdims, input_shape, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(BatchNormalizationOptions, axis, momentum, epsilon, center,
                                                scale, beta_initializer, gamma_initializer,
                                                moving_mean_initializer, moving_variance_initializer,
                                                input_shape, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LayerNormalizationOptions, axis, epsilon, center, scale, rms_scaling,
                                                beta_initializer, gamma_initializer, beta_regularizer,
                                                gamma_regularizer, beta_constraint, gamma_constraint, input_shape,
                                                name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(GroupNormalizationOptions, groups, axis, epsilon, center, scale,
                                                beta_initializer, gamma_initializer, beta_regularizer,
                                                gamma_regularizer, beta_constraint, gamma_constraint, input_shape,
                                                name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RNNOptions, units, activation, recurrent_activation, use_bias,
                                                kernel_initializer, recurrent_initializer, bias_initializer,
                                                unit_forget_bias, dropout, recurrent_dropout,
                                                return_sequences, return_state, go_backwards, stateful,
                                                reset_after, input_shape, batch_size, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(EmbeddingOptions, input_dim, output_dim,
                                                embeddings_initializer, embeddings_constraint, mask_zero,
                                                input_shape, input_length, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ActivityRegularizationOptions, l1, l2, input_shape, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SpatialDropoutOptions, rate, input_shape, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(GaussianNoiseOptions, stddev, input_shape, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(GaussianDropoutOptions, rate, input_shape, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(BidirectionalOptions, merge_mode, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TimeDistributedOptions, name)

// max_value is null for Keras' None.
inline void to_json(Config& j, const ReLUOptions& o) {
  j = Config{{"max_value", o.max_value ? Config(*o.max_value) : Config(nullptr)},
             {"negative_slope", o.negative_slope},
             {"threshold", o.threshold},
             {"input_shape", o.input_shape},
             {"name", o.name}};
}
inline void from_json(const Config& j, ReLUOptions& o) {
  const ReLUOptions d;
  o.max_value = j.contains("max_value") && !j.at("max_value").is_null()
                    ? std::optional<float>(j.at("max_value").get<float>())
                    : std::nullopt;
  o.negative_slope = j.value("negative_slope", d.negative_slope);
  o.threshold = j.value("threshold", d.threshold);
  o.input_shape = j.value("input_shape", d.input_shape);
  o.name = j.value("name", d.name);
}
// seed is null for Keras' None.
inline void to_json(Config& j, const RandomFlipOptions& o) {
  j = Config{{"mode", o.mode},
             {"seed", o.seed ? Config(*o.seed) : Config(nullptr)},
             {"data_format", o.data_format},
             {"input_shape", o.input_shape},
             {"name", o.name}};
}
inline void from_json(const Config& j, RandomFlipOptions& o) {
  const RandomFlipOptions d;
  o.mode = j.value("mode", d.mode);
  o.seed = j.contains("seed") && !j.at("seed").is_null() ? std::optional<int64_t>(j.at("seed").get<int64_t>())
                                                         : std::nullopt;
  o.data_format = j.value("data_format", d.data_format);
  o.input_shape = j.value("input_shape", d.input_shape);
  o.name = j.value("name", d.name);
}
// The geometric augmentations: a factor is one number or a (lower, upper) pair; RandomZoom's width_factor
// and every seed are null for Keras' None.
inline Config factor_json(const std::vector<float>& f) {
  if (f.empty()) return Config(nullptr);
  return f.size() == 1 ? Config(f[0]) : Config(f);
}
inline std::vector<float> factor_from(const Config& j, const char* key) {
  if (!j.contains(key) || j.at(key).is_null()) return {};
  if (j.at(key).is_number()) return {j.at(key).get<float>()};
  return j.at(key).get<std::vector<float>>();
}
inline Config seed_json(const std::optional<int64_t>& seed) { return seed ? Config(*seed) : Config(nullptr); }
inline std::optional<int64_t> seed_from(const Config& j) {
  return j.contains("seed") && !j.at("seed").is_null() ? std::optional<int64_t>(j.at("seed").get<int64_t>())
                                                       : std::nullopt;
}
inline void to_json(Config& j, const RandomCropOptions& o) {
  j = Config{{"height", o.height},        {"width", o.width},           {"seed", seed_json(o.seed)},
             {"data_format", o.data_format}, {"input_shape", o.input_shape}, {"name", o.name}};
}
inline void from_json(const Config& j, RandomCropOptions& o) {
  const RandomCropOptions d;
  o.height = j.value("height", d.height);
  o.width = j.value("width", d.width);
  o.seed = seed_from(j);
  o.data_format = j.value("data_format", d.data_format);
  o.input_shape = j.value("input_shape", d.input_shape);
  o.name = j.value("name", d.name);
}
#define SOMA_AFFINE_COMMON_TO(o)                                                                    \
  {"fill_mode", o.fill_mode}, {"interpolation", o.interpolation}, {"seed", seed_json(o.seed)},      \
      {"fill_value", o.fill_value}, {"data_format", o.data_format}, {"input_shape", o.input_shape}, \
      {"name", o.name}
#define SOMA_AFFINE_COMMON_FROM(j, o, d)                          \
  o.fill_mode = j.value("fill_mode", d.fill_mode);                \
  o.interpolation = j.value("interpolation", d.interpolation);    \
  o.seed = seed_from(j);                                          \
  o.fill_value = j.value("fill_value", d.fill_value);             \
  o.data_format = j.value("data_format", d.data_format);          \
  o.input_shape = j.value("input_shape", d.input_shape);          \
  o.name = j.value("name", d.name)
inline void to_json(Config& j, const RandomTranslationOptions& o) {
  j = Config{{"height_factor", factor_json(o.height_factor)}, {"width_factor", factor_json(o.width_factor)},
             SOMA_AFFINE_COMMON_TO(o)};
}
inline void from_json(const Config& j, RandomTranslationOptions& o) {
  const RandomTranslationOptions d;
  o.height_factor = factor_from(j, "height_factor");
  o.width_factor = factor_from(j, "width_factor");
  SOMA_AFFINE_COMMON_FROM(j, o, d);
}
inline void to_json(Config& j, const RandomZoomOptions& o) {
  j = Config{{"height_factor", factor_json(o.height_factor)}, {"width_factor", factor_json(o.width_factor)},
             SOMA_AFFINE_COMMON_TO(o)};
}
inline void from_json(const Config& j, RandomZoomOptions& o) {
  const RandomZoomOptions d;
  o.height_factor = factor_from(j, "height_factor");
  o.width_factor = factor_from(j, "width_factor");
  SOMA_AFFINE_COMMON_FROM(j, o, d);
}
inline void to_json(Config& j, const RandomRotationOptions& o) {
  j = Config{{"factor", factor_json(o.factor)}, SOMA_AFFINE_COMMON_TO(o)};
}
inline void from_json(const Config& j, RandomRotationOptions& o) {
  const RandomRotationOptions d;
  o.factor = factor_from(j, "factor");
  SOMA_AFFINE_COMMON_FROM(j, o, d);
}
#define SOMA_ADJUST_JSON(Options)                                                                          \
  inline void to_json(Config& j, const Options& o) {                                                      \
    j = Config{{"factor", factor_json(o.factor)}, {"value_range", o.value_range}, {"seed", seed_json(o.seed)}, \
               {"data_format", o.data_format}, {"input_shape", o.input_shape}, {"name", o.name}};           \
  }                                                                                                       \
  inline void from_json(const Config& j, Options& o) {                                                    \
    const Options d;                                                                                      \
    o.factor = factor_from(j, "factor");                                                                  \
    o.value_range = j.value("value_range", d.value_range);                                                \
    o.seed = seed_from(j);                                                                                \
    o.data_format = j.value("data_format", d.data_format);                                                \
    o.input_shape = j.value("input_shape", d.input_shape);                                                \
    o.name = j.value("name", d.name);                                                                     \
  }
SOMA_ADJUST_JSON(RandomContrastOptions)
SOMA_ADJUST_JSON(RandomBrightnessOptions)
#undef SOMA_ADJUST_JSON
#undef SOMA_AFFINE_COMMON_TO
#undef SOMA_AFFINE_COMMON_FROM
// Keras writes value_dim, output_shape, attention_axes and seed as null when unset, output_shape and
// attention_axes as one integer or a list.
inline Config int_list_or_null(const std::vector<int64_t>& v) {
  return v.empty() ? Config(nullptr) : Config(v);
}
inline std::vector<int64_t> int_list(const Config& j, const char* key) {
  if (!j.contains(key) || j.at(key).is_null()) return {};
  if (j.at(key).is_number_integer()) return {j.at(key).get<int64_t>()};
  return j.at(key).get<std::vector<int64_t>>();
}
inline void to_json(Config& j, const MultiHeadAttentionOptions& o) {
  j = Config{{"num_heads", o.num_heads},
             {"key_dim", o.key_dim},
             {"value_dim", o.value_dim > 0 ? Config(o.value_dim) : Config(nullptr)},
             {"dropout", o.dropout},
             {"use_bias", o.use_bias},
             {"output_shape", int_list_or_null(o.output_shape)},
             {"attention_axes", int_list_or_null(o.attention_axes)},
             {"kernel_initializer", o.kernel_initializer},
             {"bias_initializer", o.bias_initializer},
             {"kernel_regularizer", o.kernel_regularizer},
             {"bias_regularizer", o.bias_regularizer},
             {"activity_regularizer", o.activity_regularizer},
             {"kernel_constraint", o.kernel_constraint},
             {"bias_constraint", o.bias_constraint},
             {"seed", o.seed ? Config(*o.seed) : Config(nullptr)},
             {"name", o.name},
             {"dtype", o.dtype}};
}
inline void from_json(const Config& j, MultiHeadAttentionOptions& o) {
  const MultiHeadAttentionOptions d;
  o.num_heads = j.value("num_heads", d.num_heads);
  o.key_dim = j.value("key_dim", d.key_dim);
  o.value_dim = j.contains("value_dim") && !j.at("value_dim").is_null() ? j.at("value_dim").get<int64_t>() : 0;
  o.dropout = j.value("dropout", d.dropout);
  o.use_bias = j.value("use_bias", d.use_bias);
  o.output_shape = int_list(j, "output_shape");
  o.attention_axes = int_list(j, "attention_axes");
  o.kernel_initializer = j.value("kernel_initializer", d.kernel_initializer);
  o.bias_initializer = j.value("bias_initializer", d.bias_initializer);
  o.kernel_regularizer = j.value("kernel_regularizer", d.kernel_regularizer);
  o.bias_regularizer = j.value("bias_regularizer", d.bias_regularizer);
  o.activity_regularizer = j.value("activity_regularizer", d.activity_regularizer);
  o.kernel_constraint = j.value("kernel_constraint", d.kernel_constraint);
  o.bias_constraint = j.value("bias_constraint", d.bias_constraint);
  o.seed = j.contains("seed") && !j.at("seed").is_null() ? std::optional<int64_t>(j.at("seed").get<int64_t>())
                                                         : std::nullopt;
  o.name = j.value("name", d.name);
  o.dtype = j.value("dtype", d.dtype);
}
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PositionEmbeddingOptions, sequence_length, initializer, input_shape,
                                                name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LeakyReLUOptions, negative_slope, input_shape, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PReLUOptions, alpha_initializer, alpha_regularizer,
                                                alpha_constraint, shared_axes, input_shape, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ELUOptions, alpha, input_shape, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SoftmaxOptions, axis, input_shape, name)

// Padding and cropping amounts as Keras writes and reads them: an int (every side), for 1-D a pair
// (before, after), for 2-D/3-D one int per axis (both sides) or one pair per axis. Written back as Keras'
// get_config does: (before, after) for 1-D, ((before, after), ...) otherwise.
inline Config pads_json(const Pads& p) {
  if (p.size() == 1) return Config(p[0]);
  return Config(p);
}
inline Pads pads_from_json(const Config& j, size_t rank, const char* key, const char* layer) {
  auto bad = [&] {
    return ValueError(fmt::format("{} config: {} must be an int, {}, received {}.", layer, key,
                                  rank == 1 ? "or a pair (before, after)"
                                            : "a list of one int per spatial axis, or one (before, after) pair per axis",
                                  j.dump()));
  };
  auto amount = [&](const Config& v) {
    if (!v.is_number_integer()) throw bad();
    return v.get<int64_t>();
  };
  if (j.is_number_integer()) return Pads(rank, {amount(j), amount(j)});
  if (!j.is_array()) throw bad();
  if (rank == 1) {
    if (j.size() != 2) throw bad();
    return Pads{{amount(j[0]), amount(j[1])}};
  }
  if (j.size() != rank) throw bad();
  Pads p;
  for (const Config& a : j) {
    if (a.is_number_integer()) {
      p.push_back({amount(a), amount(a)});
    } else if (a.is_array() && a.size() == 2) {
      p.push_back({amount(a[0]), amount(a[1])});
    } else {
      throw bad();
    }
  }
  return p;
}
#define SOMA_PADDING_JSON(Options, key, rank, format_to, format_from)                                     \
  inline void to_json(Config& j, const Options& o) {                                          \
    j = Config{{#key, pads_json(o.key)}, {"input_shape", o.input_shape}, {"name", o.name}};   \
    format_to;                                                                                \
  }                                                                                           \
  inline void from_json(const Config& j, Options& o) {                                        \
    const Options d;                                                                          \
    o.key = j.contains(#key) ? pads_from_json(j.at(#key), rank, #key, #Options) : d.key;      \
    format_from;                                                                              \
    o.input_shape = j.value("input_shape", d.input_shape);                                    \
    o.name = j.value("name", d.name);                                                         \
  }
SOMA_PADDING_JSON(ZeroPadding1DOptions, padding, 1, j["data_format"] = o.data_format,
                  o.data_format = j.value("data_format", d.data_format))
SOMA_PADDING_JSON(ZeroPadding2DOptions, padding, 2, j["data_format"] = o.data_format,
                  o.data_format = j.value("data_format", d.data_format))
SOMA_PADDING_JSON(ZeroPadding3DOptions, padding, 3, j["data_format"] = o.data_format,
                  o.data_format = j.value("data_format", d.data_format))
SOMA_PADDING_JSON(Cropping1DOptions, cropping, 1, (void)0, (void)d)
SOMA_PADDING_JSON(Cropping2DOptions, cropping, 2, j["data_format"] = o.data_format,
                  o.data_format = j.value("data_format", d.data_format))
SOMA_PADDING_JSON(Cropping3DOptions, cropping, 3, j["data_format"] = o.data_format,
                  o.data_format = j.value("data_format", d.data_format))
#undef SOMA_PADDING_JSON
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(UpSampling1DOptions, size, input_shape, name)
// Keras also takes per-channel arrays for scale and offset; soma's Rescaling has scalars and says so.
inline void to_json(Config& j, const RescalingOptions& o) {
  j = Config{{"scale", o.scale}, {"offset", o.offset}, {"input_shape", o.input_shape}, {"name", o.name}};
}
inline void from_json(const Config& j, RescalingOptions& o) {
  const RescalingOptions d;
  for (const char* key : {"scale", "offset"})
    if (j.contains(key) && !j.at(key).is_number()) {
      throw NotImplementedError(fmt::format("Rescaling config: {} must be a number (per-channel arrays are not "
                                            "supported yet), received {}.",
                                            key, j.at(key).dump()));
    }
  o.scale = j.value("scale", d.scale);
  o.offset = j.value("offset", d.offset);
  o.input_shape = j.value("input_shape", d.input_shape);
  o.name = j.value("name", d.name);
}
// Keras writes axis as a list (None for one statistic) and mean/variance as lists, numbers or None.
inline void to_json(Config& j, const NormalizationOptions& o) {
  auto floats = [](const std::vector<float>& v) { return v.empty() ? Config(nullptr) : Config(v); };
  j = Config{{"axis", int_list_or_null(o.axis)}, {"mean", floats(o.mean)}, {"variance", floats(o.variance)},
             {"invert", o.invert}, {"input_shape", o.input_shape}, {"name", o.name}};
}
inline void from_json(const Config& j, NormalizationOptions& o) {
  const NormalizationOptions d;
  o.axis = j.contains("axis") ? int_list(j, "axis") : d.axis;
  auto floats = [&](const char* key) {
    if (!j.contains(key) || j.at(key).is_null()) return std::vector<float>{};
    if (j.at(key).is_number()) return std::vector<float>{j.at(key).get<float>()};
    return j.at(key).get<std::vector<float>>();
  };
  o.mean = floats("mean");
  o.variance = floats("variance");
  o.invert = j.value("invert", d.invert);
  o.input_shape = j.value("input_shape", d.input_shape);
  o.name = j.value("name", d.name);
}
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CategoryEncodingOptions, num_tokens, output_mode, sparse, input_shape,
                                                name)
// Keras writes None for an absent bin_boundaries or num_bins.
inline void to_json(Config& j, const DiscretizationOptions& o) {
  j = Config{{"bin_boundaries", o.bin_boundaries.empty() ? Config(nullptr) : Config(o.bin_boundaries)},
             {"num_bins", o.num_bins > 0 ? Config(o.num_bins) : Config(nullptr)},
             {"epsilon", o.epsilon},
             {"output_mode", o.output_mode},
             {"sparse", o.sparse},
             {"input_shape", o.input_shape},
             {"name", o.name}};
}
inline void from_json(const Config& j, DiscretizationOptions& o) {
  const DiscretizationOptions d;
  o.bin_boundaries = j.contains("bin_boundaries") && !j.at("bin_boundaries").is_null()
                         ? j.at("bin_boundaries").get<std::vector<float>>()
                         : d.bin_boundaries;
  o.num_bins = j.contains("num_bins") && !j.at("num_bins").is_null() ? j.at("num_bins").get<int64_t>() : 0;
  o.epsilon = j.value("epsilon", d.epsilon);
  o.output_mode = j.value("output_mode", d.output_mode);
  o.sparse = j.value("sparse", d.sparse);
  o.input_shape = j.value("input_shape", d.input_shape);
  o.name = j.value("name", d.name);
}
inline Config optional_int(const std::optional<int64_t>& v) { return v ? Config(*v) : Config(nullptr); }
inline std::optional<int64_t> optional_int_from(const Config& j, const char* key) {
  return j.contains(key) && !j.at(key).is_null() ? std::optional<int64_t>(j.at(key).get<int64_t>()) : std::nullopt;
}
inline void to_json(Config& j, const IntegerLookupOptions& o) {
  j = Config{{"max_tokens", optional_int(o.max_tokens)},
             {"num_oov_indices", o.num_oov_indices},
             {"mask_token", optional_int(o.mask_token)},
             {"oov_token", o.oov_token},
             {"vocabulary", o.vocabulary},
             {"vocabulary_dtype", o.vocabulary_dtype},
             {"invert", o.invert},
             {"output_mode", o.output_mode},
             {"sparse", o.sparse},
             {"pad_to_max_tokens", o.pad_to_max_tokens},
             {"input_shape", o.input_shape},
             {"name", o.name}};
}
inline void from_json(const Config& j, IntegerLookupOptions& o) {
  const IntegerLookupOptions d;
  o.max_tokens = optional_int_from(j, "max_tokens");
  o.num_oov_indices = j.value("num_oov_indices", d.num_oov_indices);
  o.mask_token = optional_int_from(j, "mask_token");
  o.oov_token = j.value("oov_token", d.oov_token);
  o.vocabulary = j.contains("vocabulary") && !j.at("vocabulary").is_null()
                     ? j.at("vocabulary").get<std::vector<int64_t>>()
                     : d.vocabulary;
  o.vocabulary_dtype = j.value("vocabulary_dtype", d.vocabulary_dtype);
  o.invert = j.value("invert", d.invert);
  o.output_mode = j.value("output_mode", d.output_mode);
  o.sparse = j.value("sparse", d.sparse);
  o.pad_to_max_tokens = j.value("pad_to_max_tokens", d.pad_to_max_tokens);
  o.input_shape = j.value("input_shape", d.input_shape);
  o.name = j.value("name", d.name);
}
inline void to_json(Config& j, const HashingOptions& o) {
  j = Config{{"num_bins", o.num_bins},
             {"mask_value", optional_int(o.mask_value)},
             {"salt", o.salt.empty() ? Config(nullptr) : Config(o.salt)},
             {"output_mode", o.output_mode},
             {"sparse", o.sparse},
             {"input_shape", o.input_shape},
             {"name", o.name}};
}
inline void from_json(const Config& j, HashingOptions& o) {
  const HashingOptions d;
  o.num_bins = j.value("num_bins", d.num_bins);
  o.mask_value = optional_int_from(j, "mask_value");
  if (j.contains("salt") && !j.at("salt").is_null())
    o.salt = j.at("salt").is_number_integer() ? std::vector<int64_t>{j.at("salt").get<int64_t>()}
                                              : j.at("salt").get<std::vector<int64_t>>();
  o.output_mode = j.value("output_mode", d.output_mode);
  o.sparse = j.value("sparse", d.sparse);
  o.input_shape = j.value("input_shape", d.input_shape);
  o.name = j.value("name", d.name);
}
inline void to_json(Config& j, const AttentionOptions& o) {
  j = Config{{"use_scale", o.use_scale}, {"score_mode", o.score_mode}, {"dropout", o.dropout},
             {"seed", seed_json(o.seed)}, {"name", o.name}};
}
inline void from_json(const Config& j, AttentionOptions& o) {
  const AttentionOptions d;
  o.use_scale = j.value("use_scale", d.use_scale);
  o.score_mode = j.value("score_mode", d.score_mode);
  o.dropout = j.value("dropout", d.dropout);
  o.seed = seed_from(j);
  o.name = j.value("name", d.name);
}
inline void to_json(Config& j, const AdditiveAttentionOptions& o) {
  j = Config{{"use_scale", o.use_scale}, {"dropout", o.dropout}, {"seed", seed_json(o.seed)}, {"name", o.name}};
}
inline void from_json(const Config& j, AdditiveAttentionOptions& o) {
  const AdditiveAttentionOptions d;
  o.use_scale = j.value("use_scale", d.use_scale);
  o.dropout = j.value("dropout", d.dropout);
  o.seed = seed_from(j);
  o.name = j.value("name", d.name);
}
inline void to_json(Config& j, const UnitNormalizationOptions& o) {
  j = Config{{"axis", o.axis}, {"input_shape", o.input_shape}, {"name", o.name}};
}
inline void from_json(const Config& j, UnitNormalizationOptions& o) {
  const UnitNormalizationOptions d;
  o.axis = j.contains("axis") ? int_list(j, "axis") : d.axis;
  o.input_shape = j.value("input_shape", d.input_shape);
  o.name = j.value("name", d.name);
}
// size as Keras writes it (a list) or as a user may (one int).
inline void to_json(Config& j, const UpSampling2DOptions& o) {
  j = Config{{"size", o.size.size() == 1 ? std::vector<int64_t>(2, o.size[0]) : o.size}, {"data_format", o.data_format},
             {"interpolation", o.interpolation}, {"input_shape", o.input_shape}, {"name", o.name}};
}
inline void from_json(const Config& j, UpSampling2DOptions& o) {
  const UpSampling2DOptions d;
  o.size = j.contains("size") ? int_list(j, "size") : d.size;
  o.data_format = j.value("data_format", d.data_format);
  o.interpolation = j.value("interpolation", d.interpolation);
  o.input_shape = j.value("input_shape", d.input_shape);
  o.name = j.value("name", d.name);
}
inline void to_json(Config& j, const UpSampling3DOptions& o) {
  j = Config{{"size", o.size.size() == 1 ? std::vector<int64_t>(3, o.size[0]) : o.size}, {"data_format", o.data_format},
             {"input_shape", o.input_shape}, {"name", o.name}};
}
inline void from_json(const Config& j, UpSampling3DOptions& o) {
  const UpSampling3DOptions d;
  o.size = j.contains("size") ? int_list(j, "size") : d.size;
  o.data_format = j.value("data_format", d.data_format);
  o.input_shape = j.value("input_shape", d.input_shape);
  o.name = j.value("name", d.name);
}

}  // namespace soma::layers
