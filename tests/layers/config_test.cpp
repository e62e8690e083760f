// get_config / layers::deserialize for every layer: a layer made from its config has the same config,
// shapes and parameter count; bad configs are ValueErrors that name the problem.
#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <set>

#include "soma/constraints.hpp"
#include "soma/layers/activation_layers.hpp"
#include "soma/layers/attention.hpp"
#include "soma/layers/attention_layers.hpp"
#include "soma/layers/augmentation.hpp"
#include "soma/layers/categorical.hpp"
#include "soma/layers/convolutional.hpp"
#include "soma/layers/core_layers.hpp"
#include "soma/layers/dense.hpp"
#include "soma/layers/embedding.hpp"
#include "soma/layers/noise.hpp"
#include "soma/layers/normalization.hpp"
#include "soma/layers/pooling.hpp"
#include "soma/layers/preprocessing.hpp"
#include "soma/layers/recurrent.hpp"
#include "soma/layers/reshaping.hpp"
#include "soma/layers/serialization.hpp"
#include "soma/layers/wrappers.hpp"
#include "support/error_matchers.hpp"

namespace soma::layers {
namespace {

using test::expect_contains;
using test::message_of;

struct Case {
  std::string label;
  std::function<std::unique_ptr<Layer>()> make;
  Shape input;  // per sample
};

// Every layer with options away from their defaults, so a field the JSON mapping forgot shows up.
std::vector<Case> cases() {
  const regularizers::Regularizer reg = regularizers::L1L2(0.01f, 0.02f);
  return {
      {"Dense",
       [=] {
         return std::make_unique<Dense>(
             DenseOptions{.units = 5,
                          .activation = "tanh",
                          .use_bias = false,
                          .kernel_initializer = initializers::RandomNormal({.mean = 0.5f, .stddev = 0.2f}),
                          .bias_initializer = initializers::Constant(0.25f),
                          .kernel_regularizer = reg,
                          .bias_regularizer = regularizers::L2(0.5f),
                          .activity_regularizer = regularizers::L1(0.001f),
                          .kernel_constraint = constraints::MaxNorm(3.0f, {0}),
                          .bias_constraint = "non_neg",
                          .input_shape = {7},
                          .name = "d1",
                          .dtype = "mixed_bfloat16"});
       },
       Shape{7}},
      {"Activation", [] { return std::make_unique<Activation>(ActivationOptions{.activation = "sigmoid"}); },
       Shape{3}},
      {"ReLU",
       [] {
         return std::make_unique<ReLU>(
             ReLUOptions{.max_value = 4.5f, .negative_slope = 0.1f, .threshold = 0.25f, .input_shape = {3}});
       },
       Shape{3}},
      {"LeakyReLU", [] { return std::make_unique<LeakyReLU>(LeakyReLUOptions{.negative_slope = 0.05f}); },
       Shape{3}},
      {"PReLU",
       [=] {
         return std::make_unique<PReLU>(PReLUOptions{.alpha_initializer = initializers::Constant(0.25f),
                                                     .alpha_regularizer = reg,
                                                     .alpha_constraint = "non_neg",
                                                     .shared_axes = {1, 2}});
       },
       Shape{4, 5, 6}},
      {"ELU", [] { return std::make_unique<ELU>(ELUOptions{.alpha = 0.5f, .name = "elu_custom"}); },
       Shape{3}},
      {"Softmax", [] { return std::make_unique<Softmax>(SoftmaxOptions{.axis = 1}); }, Shape{4, 5}},
      {"Flatten",
       [] {
         return std::make_unique<Flatten>(FlattenOptions{.input_shape = {2, 3}});
       },
       Shape{2, 3}},
      {"Reshape",
       [] {
         return std::make_unique<Reshape>(ReshapeOptions{.target_shape = {3, -1}});
       },
       Shape{6}},
      {"Dropout", [] { return std::make_unique<Dropout>(0.25f); }, Shape{4}},
      {"UpSampling1D", [] { return std::make_unique<UpSampling1D>(UpSampling1DOptions{.size = 3}); }, Shape{3, 2}},
      {"UpSampling2D",
       [] {
         return std::make_unique<UpSampling2D>(UpSampling2DOptions{.size = {2, 3}, .data_format = "channels_first"});
       },
       Shape{2, 3, 4}},
      {"UpSampling3D", [] { return std::make_unique<UpSampling3D>(); }, Shape{2, 3, 4, 1}},
      {"Masking", [] { return std::make_unique<Masking>(MaskingOptions{.mask_value = -1.5f}); }, Shape{3, 2}},
      {"GroupNormalization",
       [=] {
         return std::make_unique<GroupNormalization>(
             GroupNormalizationOptions{.groups = 2, .axis = 1, .epsilon = 1e-5f, .gamma_regularizer = reg});
       },
       Shape{4, 3}},
      {"Attention",
       [] {
         return std::make_unique<Attention>(
             AttentionOptions{.use_scale = true, .score_mode = "concat", .dropout = 0.1f, .seed = 3});
       },
       Shape{4, 3}},
      {"AdditiveAttention",
       [] { return std::make_unique<AdditiveAttention>(AdditiveAttentionOptions{.use_scale = false}); }, Shape{4, 3}},
      {"UnitNormalization",
       [] { return std::make_unique<UnitNormalization>(UnitNormalizationOptions{.axis = {1, 2}}); }, Shape{3, 2, 4}},
      {"Normalization",
       [] {
         return std::make_unique<Normalization>(
             NormalizationOptions{.axis = {1, 3}, .mean = {0.5f}, .variance = {2.0f}, .invert = true});
       },
       Shape{2, 3, 4}},
      {"CategoryEncoding",
       [] { return std::make_unique<CategoryEncoding>(CategoryEncodingOptions{.num_tokens = 5, .output_mode = "count"}); },
       Shape{3}},
      {"Discretization",
       [] {
         return std::make_unique<Discretization>(
             DiscretizationOptions{.bin_boundaries = {-1.0f, 0.5f, 2.0f}, .output_mode = "one_hot"});
       },
       Shape{}},
      {"IntegerLookup",
       [] {
         return std::make_unique<IntegerLookup>(IntegerLookupOptions{
             .max_tokens = 10, .num_oov_indices = 2, .mask_token = 0, .vocabulary = {7, 3, 12}, .output_mode = "int"});
       },
       Shape{4}},
      {"Hashing",
       [] { return std::make_unique<Hashing>(HashingOptions{.num_bins = 8, .mask_value = 0, .output_mode = "multi_hot"}); },
       Shape{3}},
      {"RandomCrop",
       [] {
         return std::make_unique<RandomCrop>(RandomCropOptions{.height = 3, .width = 2, .seed = 5, .data_format = "channels_first"});
       },
       Shape{2, 4, 4}},
      {"Resizing",
       [] {
         return std::make_unique<Resizing>(ResizingOptions{
             .height = 3, .width = 5, .interpolation = "nearest", .pad_to_aspect_ratio = true, .fill_value = 0.5f});
       },
       Shape{4, 4, 2}},
      {"Rescaling",
       [] { return std::make_unique<Rescaling>(RescalingOptions{.scale = 1.0f / 127.5f, .offset = -1.0f}); },
       Shape{2, 2, 1}},
      {"CenterCrop",
       [] {
         return std::make_unique<CenterCrop>(
             CenterCropOptions{.height = 2, .width = 3, .data_format = "channels_first"});
       },
       Shape{1, 5, 4}},
      {"Identity", [] { return std::make_unique<Identity>(IdentityOptions{.name = "same"}); }, Shape{4}},
      {"Permute", [] { return std::make_unique<Permute>(std::vector<int>{3, 1, 2}); }, Shape{2, 3, 4}},
      {"RepeatVector", [] { return std::make_unique<RepeatVector>(5); }, Shape{4}},
      {"ZeroPadding1D",
       [] { return std::make_unique<ZeroPadding1D>(ZeroPadding1DOptions{.padding = {{2, 0}}}); }, Shape{3, 2}},
      {"ZeroPadding2D",
       [] {
         return std::make_unique<ZeroPadding2D>(
             ZeroPadding2DOptions{.padding = {{1, 2}, {0, 3}}, .data_format = "channels_first"});
       },
       Shape{2, 3, 4}},
      {"ZeroPadding3D", [] { return std::make_unique<ZeroPadding3D>(); }, Shape{2, 3, 4, 1}},
      {"Cropping1D", [] { return std::make_unique<Cropping1D>(Cropping1DOptions{.cropping = {{0, 2}}}); },
       Shape{5, 2}},
      {"Cropping2D",
       [] { return std::make_unique<Cropping2D>(Cropping2DOptions{.cropping = {{1, 0}, {2, 1}}}); }, Shape{4, 5, 2}},
      {"Cropping3D",
       [] {
         return std::make_unique<Cropping3D>(
             Cropping3DOptions{.cropping = {{0, 1}, {1, 1}, {1, 0}}, .data_format = "channels_first"});
       },
       Shape{2, 3, 4, 5}},
      {"Conv2D",
       [=] {
         return std::make_unique<Conv2D>(
             Conv2DOptions{.filters = 3,
                           .kernel_size = {3, 2},
                           .strides = {2, 1},
                           .padding = "same",
                           .data_format = "channels_first",
                           .dilation_rate = {1},
                           .activation = "relu",
                           .kernel_initializer = "lecun_uniform",
                           .kernel_regularizer = reg,
                           .kernel_constraint = constraints::MinMaxNorm(0.5f, 2.0f, 0.5f, {0, 1, 2})});
       },
       Shape{6, 5, 2}},
      {"Conv1D",
       [] {
         return std::make_unique<Conv1D>(Conv1DOptions{.filters = 4,
                                                       .kernel_size = {3},
                                                       .padding = "same",
                                                       .data_format = "channels_first",
                                                       .dilation_rate = {2}});
       },
       Shape{9, 2}},
      {"Conv3D",
       [] {
         return std::make_unique<Conv3D>(ConvOptions{
             .filters = 4, .kernel_size = {3, 2, 2}, .strides = {2, 1, 1}, .padding = "same", .groups = 2});
       },
       Shape{5, 4, 4, 2}},
      {"Conv1DTranspose",
       [] {
         return std::make_unique<Conv1DTranspose>(
             ConvTransposeOptions{.filters = 2, .kernel_size = {3}, .strides = {2}, .output_padding = {1}});
       },
       Shape{5, 3}},
      {"Conv2DTranspose",
       [] {
         return std::make_unique<Conv2DTranspose>(ConvTransposeOptions{.filters = 3,
                                                                       .kernel_size = {3, 2},
                                                                       .strides = {2},
                                                                       .padding = "same",
                                                                       .data_format = "channels_first",
                                                                       .activation = "relu"});
       },
       Shape{2, 4, 5}},
      {"Conv3DTranspose",
       [] {
         return std::make_unique<Conv3DTranspose>(
             ConvTransposeOptions{.filters = 1, .kernel_size = {2}, .dilation_rate = {1, 2, 1}});
       },
       Shape{2, 3, 3, 2}},
      {"DepthwiseConv1D",
       [] {
         return std::make_unique<DepthwiseConv1D>(
             DepthwiseConvOptions{.kernel_size = {3}, .depth_multiplier = 2, .data_format = "channels_first"});
       },
       Shape{3, 7}},
      {"DepthwiseConv2D",
       [=] {
         return std::make_unique<DepthwiseConv2D>(DepthwiseConvOptions{.kernel_size = {3},
                                                                       .strides = {2},
                                                                       .padding = "same",
                                                                       .depth_multiplier = 3,
                                                                       .use_bias = false,
                                                                       .depthwise_regularizer = reg});
       },
       Shape{6, 6, 2}},
      {"SeparableConv1D",
       [] {
         return std::make_unique<SeparableConv1D>(
             SeparableConvOptions{.filters = 3, .kernel_size = {2}, .dilation_rate = {2}, .activation = "tanh"});
       },
       Shape{8, 2}},
      {"SeparableConv2D",
       [] {
         return std::make_unique<SeparableConv2D>(SeparableConvOptions{.filters = 4,
                                                                       .kernel_size = {3},
                                                                       .padding = "same",
                                                                       .depth_multiplier = 2,
                                                                       .pointwise_initializer = "he_normal"});
       },
       Shape{5, 5, 3}},
      {"RandomTranslation",
       [] {
         return std::make_unique<RandomTranslation>(RandomTranslationOptions{
             .height_factor = {0.1f}, .width_factor = {-0.2f, 0.3f}, .fill_mode = "constant", .seed = 7});
       },
       Shape{6, 6, 1}},
      {"RandomZoom",
       [] {
         return std::make_unique<RandomZoom>(
             RandomZoomOptions{.height_factor = {-0.3f, 0.2f}, .interpolation = "nearest", .data_format = "channels_first"});
       },
       Shape{1, 6, 6}},
      {"RandomRotation",
       [] { return std::make_unique<RandomRotation>(RandomRotationOptions{.factor = {0.1f}, .fill_value = 0.5f}); },
       Shape{6, 5, 3}},
      {"RandomContrast",
       [] { return std::make_unique<RandomContrast>(RandomContrastOptions{.factor = {0.2f}, .seed = 1}); },
       Shape{5, 5, 3}},
      {"RandomBrightness",
       [] {
         return std::make_unique<RandomBrightness>(
             RandomBrightnessOptions{.factor = {-0.1f, 0.2f}, .value_range = {0.0f, 1.0f}, .data_format = "channels_first"});
       },
       Shape{3, 5, 5}},
      {"MaxPooling3D",
       [] { return std::make_unique<MaxPooling3D>(PoolingOptions{.pool_size = {2, 1, 2}, .padding = "same"}); },
       Shape{3, 3, 4, 2}},
      {"AveragePooling3D",
       [] {
         return std::make_unique<AveragePooling3D>(
             PoolingOptions{.pool_size = {2}, .strides = {1}, .data_format = "channels_first"});
       },
       Shape{2, 3, 3, 3}},
      {"GlobalAveragePooling3D",
       [] { return std::make_unique<GlobalAveragePooling3D>(GlobalPoolingOptions{.keepdims = true}); },
       Shape{2, 3, 4, 2}},
      {"GlobalMaxPooling3D",
       [] { return std::make_unique<GlobalMaxPooling3D>(GlobalPoolingOptions{.data_format = "channels_first"}); },
       Shape{2, 3, 4, 2}},
      {"MaxPooling2D",
       [] {
         return std::make_unique<MaxPooling2D>(Pooling2DOptions{
             .pool_size = {3}, .strides = {1, 2}, .padding = "same", .data_format = "channels_first"});
       },
       Shape{6, 6, 2}},
      {"AveragePooling2D",
       [] {
         return std::make_unique<AveragePooling2D>(Pooling2DOptions{.pool_size = {2, 3}});
       },
       Shape{6, 6, 2}},
      {"MaxPooling1D",
       [] { return std::make_unique<MaxPooling1D>(Pooling1DOptions{.pool_size = {3}, .padding = "same"}); },
       Shape{7, 2}},
      {"AveragePooling1D",
       [] {
         return std::make_unique<AveragePooling1D>(Pooling1DOptions{
             .pool_size = {3}, .strides = {2}, .padding = "same", .data_format = "channels_first"});
       },
       Shape{3, 8}},
      {"GlobalAveragePooling2D",
       [] { return std::make_unique<GlobalAveragePooling2D>(GlobalPooling2DOptions{.keepdims = true}); },
       Shape{4, 4, 3}},
      {"GlobalMaxPooling2D",
       [] {
         return std::make_unique<GlobalMaxPooling2D>(GlobalPooling2DOptions{.data_format = "channels_first"});
       },
       Shape{3, 4, 4}},
      {"GlobalAveragePooling1D",
       [] {
         return std::make_unique<GlobalAveragePooling1D>(
             GlobalPooling1DOptions{.data_format = "channels_first", .keepdims = true});
       },
       Shape{3, 6}},
      {"GlobalMaxPooling1D", [] { return std::make_unique<GlobalMaxPooling1D>(); }, Shape{6, 3}},
      {"BatchNormalization",
       [] {
         return std::make_unique<BatchNormalization>(BatchNormalizationOptions{
             .momentum = 0.9f, .epsilon = 1e-5f, .center = false, .gamma_initializer = "zeros"});
       },
       Shape{5}},
      {"SimpleRNN",
       [] {
         return std::make_unique<SimpleRNN>(
             RNNOptions{.units = 3, .activation = "relu", .return_sequences = true});
       },
       Shape{4, 2}},
      {"LSTM",
       [] {
         return std::make_unique<LSTM>(RNNOptions{.units = 3,
                                                  .recurrent_activation = "hard_sigmoid_keras2",
                                                  .unit_forget_bias = false,
                                                  .dropout = 0.1f,
                                                  .recurrent_dropout = 0.2f,
                                                  .go_backwards = true,
                                                  .stateful = true,
                                                  .batch_size = 8});
       },
       Shape{4, 2}},
      {"GRU",
       [] {
         return std::make_unique<GRU>(RNNOptions{.units = 2,
                                                 .activation = "softsign",
                                                 .use_bias = false,
                                                 .return_state = true,
                                                 .reset_after = false});
       },
       Shape{3, 2}},
      {"Embedding",
       [] {
         return std::make_unique<Embedding>(
             EmbeddingOptions{.input_dim = 20,
                              .output_dim = 4,
                              .embeddings_initializer = "glorot_uniform",
                              .embeddings_constraint = constraints::UnitNorm({1}),
                              .mask_zero = true});
       },
       Shape{5}},
      {"Bidirectional",
       [] {
         return std::make_unique<Bidirectional>(LSTM({.units = 3, .return_sequences = true}),
                                                BidirectionalOptions{.merge_mode = "ave"});
       },
       Shape{4, 2}},
      {"ActivityRegularization",
       [] {
         return std::make_unique<ActivityRegularization>(
             ActivityRegularizationOptions{.l1 = 0.1f, .l2 = 0.2f});
       },
       Shape{3}},
      {"SpatialDropout1D", [] { return std::make_unique<SpatialDropout1D>(0.3f); }, Shape{5, 2}},
      {"SpatialDropout2D",
       [] {
         return std::make_unique<SpatialDropout2D>(
             SpatialDropoutOptions{.rate = 0.2f, .input_shape = {4, 4, 3}});
       },
       Shape{4, 4, 3}},
      {"GaussianNoise", [] { return std::make_unique<GaussianNoise>(0.5f); }, Shape{3}},
      {"GaussianDropout", [] { return std::make_unique<GaussianDropout>(0.4f); }, Shape{3}},
      {"LayerNormalization",
       [] {
         return std::make_unique<LayerNormalization>(LayerNormalizationOptions{
             .axis = {1, 2}, .epsilon = 1e-5f, .center = false, .gamma_regularizer = regularizers::L2(0.01f)});
       },
       Shape{3, 4}},
      {"RandomFlip",
       [] {
         return std::make_unique<RandomFlip>(
             RandomFlipOptions{.mode = "vertical", .seed = 7, .data_format = "channels_first"});
       },
       Shape{2, 4, 5}},
      {"PositionEmbedding",
       [] {
         return std::make_unique<PositionEmbedding>(
             PositionEmbeddingOptions{.sequence_length = 9, .initializer = "he_uniform"});
       },
       Shape{7, 3}},
      {"MultiHeadAttention",
       [] {
         return std::make_unique<MultiHeadAttention>(MultiHeadAttentionOptions{
             .num_heads = 2, .key_dim = 3, .value_dim = 2, .dropout = 0.1f, .output_shape = {5}, .seed = 4});
       },
       Shape{4, 6}},
      {"TimeDistributed",
       [] { return std::make_unique<TimeDistributed>(Dense({.units = 2, .activation = "softmax"})); },
       Shape{3, 4}},
  };
}

TEST(LayerConfig, EveryLayerRoundTrips) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.label);
    auto original = c.make();
    const Config spec = serialize(*original);
    EXPECT_EQ(spec["class_name"], c.label);
    auto copy = deserialize(spec);
    EXPECT_EQ(copy->type(), original->type());
    EXPECT_EQ(copy->name(), original->name());
    EXPECT_EQ(serialize(*copy), spec);
    // The JSON text round-trips too (what a file stores).
    EXPECT_EQ(serialize(*deserialize(Config::parse(spec.dump()))), spec);
    original->build(c.input);
    copy->build(c.input);
    EXPECT_EQ(copy->output_shape(c.input), original->output_shape(c.input));
    EXPECT_EQ(copy->count_params(), original->count_params());
  }
}

TEST(LayerConfig, EveryRegisteredClassIsCovered) {
  // Keeps the list above complete: a layer added to the registry without a round-trip case fails here.
  std::set<std::string> covered;
  for (const Case& c : cases()) covered.insert(c.label);
  for (const char* name : {"Dense",
                           "Activation",
                           "ReLU",
                           "LeakyReLU",
                           "PReLU",
                           "ELU",
                           "Softmax",
                           "Flatten",
                           "Reshape",
                           "Dropout",
                           "Identity",
                           "Rescaling",
                           "Normalization",
                           "Resizing",
                           "RandomCrop",
                           "CategoryEncoding",
                           "Discretization",
                           "IntegerLookup",
                           "Hashing",
                           "CenterCrop",
                           "UnitNormalization",
                           "Attention",
                           "AdditiveAttention",
                           "GroupNormalization",
                           "Masking",
                           "UpSampling1D",
                           "UpSampling2D",
                           "UpSampling3D",
                           "Permute",
                           "RepeatVector",
                           "ZeroPadding1D",
                           "ZeroPadding2D",
                           "ZeroPadding3D",
                           "Cropping1D",
                           "Cropping2D",
                           "Cropping3D",
                           "Conv2D",
                           "Conv1D",
                           "Conv3D",
                           "Conv1DTranspose",
                           "Conv2DTranspose",
                           "Conv3DTranspose",
                           "DepthwiseConv1D",
                           "DepthwiseConv2D",
                           "SeparableConv1D",
                           "SeparableConv2D",
                           "MaxPooling2D",
                           "AveragePooling2D",
                           "MaxPooling3D",
                           "AveragePooling3D",
                           "GlobalAveragePooling3D",
                           "GlobalMaxPooling3D",
                           "MaxPooling1D",
                           "GlobalAveragePooling2D",
                           "GlobalMaxPooling2D",
                           "AveragePooling1D",
                           "GlobalAveragePooling1D",
                           "GlobalMaxPooling1D",
                           "BatchNormalization",
                           "SimpleRNN",
                           "LSTM",
                           "GRU",
                           "Embedding",
                           "Bidirectional",
                           "TimeDistributed",
                           "ActivityRegularization",
                           "SpatialDropout1D",
                           "SpatialDropout2D",
                           "GaussianNoise",
                           "GaussianDropout",
                           "RandomFlip",
                           "RandomTranslation",
                           "RandomZoom",
                           "RandomRotation",
                           "RandomContrast",
                           "RandomBrightness",
                           "LayerNormalization",
                           "MultiHeadAttention",
                           "PositionEmbedding"}) {
    EXPECT_TRUE(covered.count(name)) << name;
  }
}

TEST(LayerConfig, AutomaticNamesAreKept) {
  Dense d({.units = 2});
  EXPECT_EQ(d.get_config()["name"], d.name());
  EXPECT_EQ(d.get_config()["dtype"], "float32") << "the policy it was built with, not \"\"";
}

TEST(LayerConfig, AutomaticNamesSkipNamesTakenExplicitly) {
  // After loading a model whose layers are "gaussian_dropout_K+1" and "_K+2", a new automatic name must
  // not repeat them (it would collide when added to that model).
  const std::string first = GaussianDropout(0.1f).name();
  const auto k = first == "gaussian_dropout" ? 0 : std::stoi(first.substr(first.rfind('_') + 1));
  const std::string taken1 = "gaussian_dropout_" + std::to_string(k + 1);
  const std::string taken2 = "gaussian_dropout_" + std::to_string(k + 2);
  auto a =
      deserialize(Config{{"class_name", "GaussianDropout"}, {"config", {{"rate", 0.1}, {"name", taken1}}}});
  auto b =
      deserialize(Config{{"class_name", "GaussianDropout"}, {"config", {{"rate", 0.1}, {"name", taken2}}}});
  EXPECT_EQ(a->name(), taken1);
  EXPECT_EQ(GaussianDropout(0.1f).name(), "gaussian_dropout_" + std::to_string(k + 3));
}

TEST(LayerConfig, ReLUMaxValueNoneIsNull) {
  const Config spec = serialize(ReLU());
  EXPECT_TRUE(spec["config"]["max_value"].is_null());
  EXPECT_TRUE(serialize(*deserialize(spec))["config"]["max_value"].is_null());
  auto six = deserialize(Config{{"class_name", "ReLU"}, {"config", {{"max_value", 6}}}});
  EXPECT_EQ(six->get_config()["max_value"], 6.0f);
  expect_contains(message_of<ValueError>([] {
                    deserialize(Config{{"class_name", "ReLU"}, {"config", {{"max_value", "six"}}}});
                  }),
                  {"ReLU config", "\"max_value\"", "wrong type"});
}

TEST(LayerConfig, MissingArgumentsTakeTheirDefaults) {
  auto layer = deserialize(Config{{"class_name", "Dense"}, {"config", {{"units", 4}}}});
  const Config c = layer->get_config();
  EXPECT_EQ(c["activation"], "linear");
  EXPECT_EQ(c["kernel_initializer"], "glorot_uniform");
  EXPECT_EQ(c["use_bias"], true);
}

TEST(LayerConfig, BadConfigsAreValueErrors) {
  expect_contains(message_of<ValueError>([] {
                    deserialize(Config{{"class_name", "TextVectorization"}});
                  }),
                  {"unknown layer class \"TextVectorization\"", "Known:", "Dense", "register_layer"});
  expect_contains(message_of<ValueError>([] { deserialize(Config::array()); }), {"class_name"});
  expect_contains(message_of<ValueError>([] { deserialize(Config{{"class_name", 3}}); }), {"class_name"});
  expect_contains(message_of<ValueError>([] {
                    deserialize(Config{{"class_name", "Dense"}, {"config", {{"units", 4}, {"unit", 3}}}});
                  }),
                  {"Dense config", "unknown argument \"unit\"", "units"});
  expect_contains(message_of<ValueError>([] {
                    deserialize(Config{{"class_name", "Dense"}, {"config", {{"units", "four"}}}});
                  }),
                  {"Dense config", "\"units\"", "must be an integer", "received string \"four\""});
  expect_contains(message_of<ValueError>([] {
                    deserialize(Config{{"class_name", "Dense"}, {"config", 5}});
                  }),
                  {"Dense config", "JSON object"});
  // Values the constructor rejects keep its message.
  expect_contains(message_of<ValueError>([] {
                    deserialize(Config{{"class_name", "Dropout"}, {"config", {{"rate", 1.5}}}});
                  }),
                  {"rate must be in [0, 1)"});
  expect_contains(message_of<ValueError>([] {
                    deserialize(Config{{"class_name", "Bidirectional"}, {"config", {{"merge_mode", "sum"}}}});
                  }),
                  {"Bidirectional config", "\"layer\"", "missing"});
  expect_contains(
      message_of<ValueError>([] {
        deserialize(Config{{"class_name", "Bidirectional"},
                           {"config", {{"layer", {{"class_name", "Dense"}, {"config", {{"units", 2}}}}}}}});
      }),
      {"must be SimpleRNN, LSTM or GRU", "Dense"});
}

// A user's own layer joins the registry and so can be saved and loaded.
class Scale final : public Layer {
 public:
  explicit Scale(float factor) : Layer("scale", "", {}), factor_(factor) {}
  std::string type() const override { return "Scale"; }
  Shape output_shape(const Shape& in) const override { return in; }
  Config get_config() const override { return {{"factor", factor_}, {"name", name()}}; }

 protected:
  autograd::Variable& forward(CallFrame&, autograd::Tape*, autograd::Variable& x, bool) override { return x; }

 private:
  float factor_;
};

class Unsaveable final : public Layer {
 public:
  Unsaveable() : Layer("unsaveable", "", {}) {}
  std::string type() const override { return "Unsaveable"; }
  Shape output_shape(const Shape& in) const override { return in; }

 protected:
  autograd::Variable& forward(CallFrame&, autograd::Tape*, autograd::Variable& x, bool) override { return x; }
};

TEST(LayerConfig, CustomLayersRegister) {
  register_layer("Scale",
                 [](const Config& c) { return std::make_unique<Scale>(c.at("factor").get<float>()); });
  auto copy = deserialize(serialize(Scale(2.5f)));
  EXPECT_EQ(copy->type(), "Scale");
  EXPECT_EQ(copy->get_config()["factor"], 2.5f);
  expect_contains(message_of<NotImplementedError>([] { Unsaveable().get_config(); }),
                  {"Unsaveable", "get_config", "register_layer"});
  expect_contains(message_of<ValueError>([] { register_layer("", nullptr); }), {"register_layer"});
}

}  // namespace
}  // namespace soma::layers
