// data_format="channels_first" convolution and pooling, and the 1-D pooling layers (with masks), against
// PyTorch (tests/reference/pooling_layers.py): outputs and gradients. Then finite differences and errors.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "soma/layers/convolutional.hpp"
#include "soma/layers/pooling.hpp"
#include "support/error_matchers.hpp"
#include "support/layer_harness.hpp"
#include "support/reference_cases.hpp"

namespace soma {
namespace {

namespace L = layers;
using autograd::Variable;
using test::expect_contains;
using test::message_of;
using testing::ints;

void expect_near_rel(const Tensor& got, const Tensor& want, const std::string& what, double tol = 1e-5) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  for (int64_t i = 0; i < got.numel(); ++i) {
    const double w = want.f32()[i];
    ASSERT_NEAR(got.f32()[i], w, tol * (1.0 + std::fabs(w))) << what << " element " << i;
  }
}

std::unique_ptr<L::Layer> layer_for(const testing::ReferenceCase& c) {
  auto o = c.options;
  const std::string& n = c.name;
  if (n.rfind("conv2d_cf", 0) == 0) {
    return std::make_unique<L::Conv2D>(L::Conv2DOptions{.filters = std::stoll(o["filters"]),
                                                        .kernel_size = ints(o["kernel"]),
                                                        .strides = ints(o["strides"]),
                                                        .padding = o["padding"],
                                                        .data_format = "channels_first"});
  }
  if (n.rfind("conv1d_cf", 0) == 0) {
    return std::make_unique<L::Conv1D>(L::Conv1DOptions{.filters = std::stoll(o["filters"]),
                                                        .kernel_size = ints(o["kernel"]),
                                                        .strides = ints(o["strides"]),
                                                        .padding = o["padding"],
                                                        .data_format = "channels_first"});
  }
  const bool max = o["kind"] == "max";
  if (n.rfind("pool2d_cf", 0) == 0) {
    const L::Pooling2DOptions p{.pool_size = ints(o["pool"]),
                                .strides = ints(o["strides"]),
                                .padding = o["padding"],
                                .data_format = "channels_first"};
    if (max) return std::make_unique<L::MaxPooling2D>(p);
    return std::make_unique<L::AveragePooling2D>(p);
  }
  if (n.rfind("pool1d", 0) == 0) {
    const L::Pooling1DOptions p{.pool_size = ints(o["pool"]),
                                .strides = ints(o["strides"]),
                                .padding = o["padding"],
                                .data_format = o["data_format"]};
    if (max) return std::make_unique<L::MaxPooling1D>(p);
    return std::make_unique<L::AveragePooling1D>(p);
  }
  if (n.rfind("global2d", 0) == 0) {
    const L::GlobalPooling2DOptions p{.data_format = "channels_first", .keepdims = o["keepdims"] == "1"};
    if (max) return std::make_unique<L::GlobalMaxPooling2D>(p);
    return std::make_unique<L::GlobalAveragePooling2D>(p);
  }
  if (n.rfind("global1d", 0) == 0) {
    const L::GlobalPooling1DOptions p{.data_format = o["data_format"], .keepdims = o["keepdims"] == "1"};
    if (max) return std::make_unique<L::GlobalMaxPooling1D>(p);
    return std::make_unique<L::GlobalAveragePooling1D>(p);
  }
  return nullptr;
}

TEST(PoolingLayersVsPyTorch, EveryCase) {
  const auto cases = testing::load_reference_cases("pooling_layers.txt");
  ASSERT_EQ(cases.size(), 38u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto layer = layer_for(c);
    ASSERT_TRUE(layer) << "unknown case";
    Variable x(c.tensors.at("x").clone(), true);
    if (c.tensors.count("mask")) x.mask = c.tensors.at("mask").clone();
    layer->build(x.value.shape().without_batch());
    const bool conv = c.tensors.count("kernel") > 0;
    if (conv) {
      layer->weights()[0]->value.copy_from(c.tensors.at("kernel"));
      layer->weights()[1]->value.copy_from(c.tensors.at("bias"));
    }
    autograd::Tape tape;
    Variable& y = (*layer)(&tape, x, true);
    expect_near_rel(y.value, c.tensors.at("y"), "y");
    EXPECT_EQ(y.value.shape().without_batch(), layer->output_shape(x.value.shape().without_batch()));
    tape.backward(y, c.tensors.at("dy"));
    expect_near_rel(x.grad, c.tensors.at("dx"), "dx");
    if (conv) {
      expect_near_rel(layer->weights()[0]->grad, c.tensors.at("dkernel"), "dkernel");
      expect_near_rel(layer->weights()[1]->grad, c.tensors.at("dbias"), "dbias");
    }
  }
}

TEST(PoolingLayersGrad, ChannelsFirstThroughTheHarness) {
  set_seed(50);
  L::Conv2D conv({.filters = 3,
                  .kernel_size = {2, 3},
                  .strides = {1, 2},
                  .padding = "same",
                  .data_format = "channels_first",
                  .activation = "tanh"});
  testing::check_layer(conv, {.input = {2, 5, 4}, .output = {3, 5, 2}, .params = 2 * 3 * 2 * 3 + 3});
  L::Conv2D relu({.filters = 2, .kernel_size = {3}, .data_format = "channels_first", .activation = "relu"});
  testing::check_layer(relu, {.input = {3, 5, 5}, .output = {2, 3, 3}, .params = 3 * 3 * 3 * 2 + 2});
  L::Conv1D conv1({.filters = 4, .kernel_size = {3}, .padding = "same", .data_format = "channels_first"});
  testing::check_layer(conv1, {.input = {2, 7}, .output = {4, 7}, .params = 3 * 2 * 4 + 4});
  L::AveragePooling2D avg({.pool_size = {2, 3}, .padding = "same", .data_format = "channels_first"});
  testing::check_layer(avg, {.input = {2, 5, 7}, .output = {2, 3, 3}});
  L::MaxPooling2D mx({.pool_size = {2}, .data_format = "channels_first"});
  testing::check_layer(mx, {.input = {3, 4, 6}, .output = {3, 2, 3}});
  L::GlobalMaxPooling2D gmax({.data_format = "channels_first", .keepdims = true});
  testing::check_layer(gmax, {.input = {3, 4, 5}, .output = {3, 1, 1}});
  L::GlobalAveragePooling2D gavg({.keepdims = true});
  testing::check_layer(gavg, {.input = {4, 5, 3}, .output = {1, 1, 3}});
}

TEST(PoolingLayersGrad, OneDimensionalThroughTheHarness) {
  set_seed(51);
  L::AveragePooling1D avg({.pool_size = {3}, .strides = {2}, .padding = "same"});
  testing::check_layer(avg, {.input = {7, 3}, .output = {4, 3}});
  L::AveragePooling1D avg_cf({.pool_size = {2}, .data_format = "channels_first"});
  testing::check_layer(avg_cf, {.input = {3, 7}, .output = {3, 3}});
  L::MaxPooling1D max_cf({.pool_size = {3}, .strides = {1}, .data_format = "channels_first"});
  testing::check_layer(max_cf, {.input = {2, 6}, .output = {2, 4}});
  L::GlobalAveragePooling1D gavg;
  testing::check_layer(gavg, {.input = {5, 3}, .output = {3}});
  L::GlobalMaxPooling1D gmax({.data_format = "channels_first", .keepdims = true});
  testing::check_layer(gmax, {.input = {3, 5}, .output = {3, 1}});
}

// Masked GlobalAveragePooling1D by finite differences: padding steps get no gradient, real ones 1/count.
TEST(PoolingLayersGrad, GlobalAveragePooling1DWithAMask) {
  set_seed(52);
  for (const char* fmt : {"channels_last", "channels_first"}) {
    SCOPED_TRACE(fmt);
    const bool cf = std::string(fmt) == "channels_first";
    L::GlobalAveragePooling1D layer({.data_format = fmt});
    layer.build(cf ? Shape{4, 5} : Shape{5, 4});
    Variable x(testing::random_tensor(cf ? Shape{3, 4, 5} : Shape{3, 5, 4}), true);
    x.mask = Tensor::ones({3, 5});
    for (int s : {1, 3, 4}) x.mask.f32()[s] = 0.0f;       // row 0: steps 0 and 2 count
    for (int s : {5 + 0, 5 + 1}) x.mask.f32()[s] = 0.0f;  // row 1: steps 2..4
    testing::gradcheck([&](autograd::Tape* t, auto& in) -> Variable& { return layer(t, *in[0], true); },
                       {&x});
    autograd::Tape tape;
    Variable& y = layer(&tape, x, true);
    EXPECT_FALSE(y.mask.defined()) << "Keras' compute_mask returns None";
    tape.backward(y, Tensor::ones(y.value.shape()));
    // Row 0, step 1 is padding; row 0, step 0 is one of two real steps.
    const auto at = [&](int64_t b, int64_t s, int64_t c) {
      return cf ? (b * 4 + c) * 5 + s : (b * 5 + s) * 4 + c;
    };
    EXPECT_EQ(x.grad.f32()[at(0, 1, 2)], 0.0f);
    EXPECT_FLOAT_EQ(x.grad.f32()[at(0, 0, 2)], 0.5f);
    EXPECT_FLOAT_EQ(x.grad.f32()[at(1, 3, 1)], 1.0f / 3.0f);
    EXPECT_FLOAT_EQ(x.grad.f32()[at(2, 3, 1)], 1.0f / 5.0f);
  }
}

TEST(PoolingLayers, AllPaddingRowAveragesToNaNAsKeras) {
  L::GlobalAveragePooling1D layer;
  layer.build(Shape{3, 2});
  Variable x(testing::random_tensor({2, 3, 2}));
  x.mask = Tensor::ones({2, 3});
  for (int s = 0; s < 3; ++s) x.mask.f32()[s] = 0.0f;
  Variable& y = layer(nullptr, x, false);
  EXPECT_TRUE(std::isnan(y.value.f32()[0]));
  EXPECT_FALSE(std::isnan(y.value.f32()[2]));
}

TEST(PoolingLayers, BadArgumentsAreErrors) {
  expect_contains(
      message_of<ValueError>([] { L::MaxPooling2D({.data_format = "NCHW"}); }),
      {"MaxPooling2D \"", "data_format must be \"channels_last\" or \"channels_first\"", "\"NCHW\""});
  expect_contains(message_of<ValueError>([] { L::AveragePooling1D({.data_format = "channels_fist"}); }),
                  {"AveragePooling1D \"", "data_format", "channels_fist"});
  expect_contains(message_of<ValueError>([] { L::GlobalAveragePooling1D({.data_format = ""}); }),
                  {"GlobalAveragePooling1D \"", "data_format"});
  expect_contains(message_of<ValueError>([] { L::GlobalMaxPooling2D({.data_format = "x"}); }),
                  {"GlobalMaxPooling2D"});
  expect_contains(
      message_of<ValueError>([] { L::Conv2D({.filters = 2, .kernel_size = {3}, .data_format = "nchw"}); }),
      {"Conv2D \"", "data_format", "\"nchw\""});
  expect_contains(
      message_of<ValueError>([] { L::Conv1D({.filters = 2, .kernel_size = {3}, .data_format = "ncw"}); }),
      {"Conv1D \"", "data_format"});
  expect_contains(message_of<ValueError>([] { L::AveragePooling1D({.pool_size = {0}}); }),
                  {"AveragePooling1D \"", "pool_size must be a positive integer", "received 0"});
  expect_contains(message_of<ShapeError>([] {
                    L::AveragePooling1D({.pool_size = {5}}).build(Shape{3, 2});
                  }),
                  {"AveragePooling1D \"", "pool_size 5 is larger than the input (None, 3, 2)"});
  expect_contains(message_of<ShapeError>([] {
                    L::GlobalAveragePooling1D().build(Shape{3, 2, 2});
                  }),
                  {"GlobalAveragePooling1D \"", "rank 3 (batch, steps, channels)", "(None, 3, 2, 2)"});
  expect_contains(message_of<ShapeError>(
                      [] { L::GlobalMaxPooling1D({.data_format = "channels_first"}).build(Shape{3}); }),
                  {"GlobalMaxPooling1D \"", "(batch, channels, steps)", "(None, 3)"});
  expect_contains(
      message_of<ShapeError>([] {
        L::Conv2D({.filters = 2, .kernel_size = {3}, .data_format = "channels_first"}).build(Shape{3, 5});
      }),
      {"Conv2D \"", "(batch, channels, height, width)", "(None, 3, 5)"});
  // A mask whose shape is not (batch, steps).
  L::GlobalAveragePooling1D g;
  g.build(Shape{3, 2});
  Variable x(testing::random_tensor({2, 3, 2}));
  x.mask = Tensor::ones({2, 4});
  expect_contains(message_of<ShapeError>([&] { g(nullptr, x, false); }),
                  {"mask of shape (2, 3)", "(2, 3, 2)", "received (2, 4)"});
}

}  // namespace
}  // namespace soma
