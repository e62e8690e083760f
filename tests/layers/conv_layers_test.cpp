// The convolutional family through the generic layer harness (output shape for every padding/stride
// combination, parameter count, gradient check of input and weights), plus Keras' semantics and the
// errors a user can run into.
#include <gtest/gtest.h>

#include "soma/layers/convolutional.hpp"
#include "soma/layers/core_layers.hpp"
#include "soma/layers/normalization.hpp"
#include "soma/layers/pooling.hpp"
#include "support/error_matchers.hpp"
#include "support/layer_harness.hpp"

namespace soma {
namespace {

namespace L = layers;
using test::expect_contains;
using test::message_of;
using testing::check_layer;

struct ConvCase {
  std::vector<int64_t> strides;
  std::string padding;
  std::vector<int64_t> dilation;
  Shape output;  // for a 7x6x2 input and a 3x2 kernel with 3 filters
};

class Conv2DHarness : public ::testing::TestWithParam<ConvCase> {};

TEST_P(Conv2DHarness, ShapesParamsGradients) {
  const ConvCase c = GetParam();
  for (const char* act : {"linear", "relu", "tanh"}) {
    set_seed(40);
    L::Conv2D conv({.filters = 3,
                    .kernel_size = {3, 2},
                    .strides = c.strides,
                    .padding = c.padding,
                    .dilation_rate = c.dilation,
                    .activation = act});
    check_layer(conv, {.input = {7, 6, 2}, .output = c.output, .params = 3 * 2 * 2 * 3 + 3, .batch = 2});
  }
}

// Output extents as Keras computes them: valid floor((n - span) / s) + 1, same ceil(n / s).
INSTANTIATE_TEST_SUITE_P(
    PaddingStrideDilation, Conv2DHarness,
    ::testing::Values(ConvCase{{1}, "valid", {1}, {5, 5, 3}}, ConvCase{{1}, "same", {1}, {7, 6, 3}},
                      ConvCase{{2}, "valid", {1}, {3, 3, 3}}, ConvCase{{2}, "same", {1}, {4, 3, 3}},
                      ConvCase{{2, 1}, "same", {1}, {4, 6, 3}}, ConvCase{{1}, "valid", {2}, {3, 4, 3}},
                      ConvCase{{1}, "same", {2}, {7, 6, 3}}));

TEST(Conv2DLayer, KerasKernelLayoutAndNoBias) {
  L::Conv2D conv({.filters = 4, .kernel_size = {3}, .use_bias = false});
  conv.build(Shape{5, 5, 2});
  EXPECT_EQ(conv.kernel().value.shape(), (Shape{3, 3, 2, 4}));
  EXPECT_EQ(conv.bias(), nullptr);
  EXPECT_EQ(conv.count_params(), 72);
  // A kernel that is 1 at (0, 0, channel 1, filter 2) copies channel 1 of each window's top-left pixel.
  conv.kernel().value.fill(0.0f);
  conv.kernel().value.f32()[(0 * 2 + 1) * 4 + 2] = 1.0f;
  autograd::Variable x(testing::random_tensor({1, 5, 5, 2}));
  const Tensor& y = conv(nullptr, x, false).value;
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 3; ++j)
      EXPECT_EQ(y.f32()[(i * 3 + j) * 4 + 2], x.value.f32()[(i * 5 + j) * 2 + 1]);
}

// mixed_bfloat16 Conv2D computes what float32 computes, up to the rounding of its operands.
TEST(Conv2DLayer, MixedBfloat16AgreesWithFloat32) {
  set_seed(45);
  L::Conv2D f32(
      {.filters = 8, .kernel_size = {3}, .padding = "same", .activation = "relu", .dtype = "float32"});
  L::Conv2D b16(
      {.filters = 8, .kernel_size = {3}, .padding = "same", .activation = "relu", .dtype = "mixed_bfloat16"});
  f32.build(Shape{6, 5, 4});
  b16.build(Shape{6, 5, 4});
  f32.kernel().value.copy_from(testing::random_tensor(f32.kernel().value.shape()));
  f32.bias()->value.copy_from(testing::random_tensor(Shape{8}, -0.2f, 0.2f));
  b16.kernel().value.copy_from(f32.kernel().value);
  b16.bias()->value.copy_from(f32.bias()->value);
  const Tensor x0 = testing::random_tensor({3, 6, 5, 4}), seed = testing::random_tensor({3, 6, 5, 8});
  std::vector<float> results[2][3];
  L::Conv2D* convs[] = {&f32, &b16};
  for (int l = 0; l < 2; ++l) {
    autograd::Variable x(x0.clone(), true);
    autograd::Tape tape;
    autograd::Variable& y = (*convs[l])(&tape, x, true);
    tape.backward(y, seed);
    results[l][0] = y.value.to_vector<float>();
    results[l][1] = x.grad.to_vector<float>();
    results[l][2] = convs[l]->kernel().grad.to_vector<float>();
  }
  for (int k = 0; k < 3; ++k) {
    double err = 0, scale = 0;
    for (size_t i = 0; i < results[0][k].size(); ++i) {
      err = std::max(err, static_cast<double>(std::fabs(results[0][k][i] - results[1][k][i])));
      scale = std::max(scale, static_cast<double>(std::fabs(results[0][k][i])));
    }
    EXPECT_LT(err, 2e-2 * scale) << k;
    EXPECT_GT(err, 0.0) << k << ": bfloat16 was not used";
  }
}

TEST(Conv1DLayer, HarnessValidSameStrided) {
  set_seed(41);
  L::Conv1D a({.filters = 4, .kernel_size = {3}, .activation = "relu"});
  check_layer(a, {.input = {9, 2}, .output = {7, 4}, .params = 3 * 2 * 4 + 4, .batch = 2});
  L::Conv1D b({.filters = 2, .kernel_size = {2}, .strides = {2}, .padding = "same"});
  check_layer(b, {.input = {9, 3}, .output = {5, 2}, .params = 2 * 3 * 2 + 2, .batch = 2});
  L::Conv1D c({.filters = 2, .kernel_size = {3}, .dilation_rate = {2}});
  check_layer(c, {.input = {9, 1}, .output = {5, 2}, .params = 3 * 1 * 2 + 2, .batch = 2});
}

TEST(PoolingLayers, HarnessMaxAverageSameValid) {
  set_seed(42);
  L::MaxPooling2D a;
  check_layer(a, {.input = {7, 6, 2}, .output = {3, 3, 2}});
  L::MaxPooling2D b({.pool_size = {3}, .strides = {2}, .padding = "same"});
  check_layer(b, {.input = {7, 6, 2}, .output = {4, 3, 2}});
  L::AveragePooling2D c;
  check_layer(c, {.input = {6, 6, 3}, .output = {3, 3, 3}});
  L::AveragePooling2D d({.pool_size = {2, 3}, .strides = {1}, .padding = "same"});
  check_layer(d, {.input = {4, 5, 2}, .output = {4, 5, 2}});
  L::MaxPooling1D e;
  check_layer(e, {.input = {9, 3}, .output = {4, 3}});
  L::MaxPooling1D f({.pool_size = {3}, .strides = {1}, .padding = "same"});
  check_layer(f, {.input = {5, 2}, .output = {5, 2}});
  L::GlobalAveragePooling2D g;
  check_layer(g, {.input = {4, 3, 5}, .output = {5}});
  L::GlobalMaxPooling2D h;
  check_layer(h, {.input = {4, 3, 5}, .output = {5}});
}

TEST(PoolingLayers, GlobalPoolingValues) {
  Tensor t = Tensor::from_vector<float>({1, 10, 2, 20, 3, 30, 4, 40}, {1, 2, 2, 2});
  autograd::Variable x(t);
  L::GlobalAveragePooling2D avg;
  L::GlobalMaxPooling2D mx;
  EXPECT_EQ(avg(nullptr, x, false).value.to_vector<float>(), (std::vector<float>{2.5f, 25.0f}));
  EXPECT_EQ(mx(nullptr, x, false).value.to_vector<float>(), (std::vector<float>{4.0f, 40.0f}));
}

TEST(BatchNormalizationLayer, HarnessTrainingAndInference) {
  set_seed(43);
  L::BatchNormalization a;
  check_layer(a, {.input = {3, 4}, .output = {3, 4}, .params = 16, .batch = 4, .training = true});
  L::BatchNormalization b({.center = false});
  check_layer(b, {.input = {5}, .output = {5}, .params = 15, .batch = 6, .training = true});
  L::BatchNormalization c;
  check_layer(c, {.input = {2, 2, 3}, .output = {2, 2, 3}, .params = 12, .batch = 2, .training = false});
  EXPECT_EQ(c.trainable_weights().size(), 2u) << "moving statistics are not trained";
  c.set_trainable(true);
  EXPECT_EQ(c.trainable_weights().size(), 2u);
}

TEST(BatchNormalizationLayer, KerasStatistics) {
  L::BatchNormalization bn({.momentum = 0.9f, .epsilon = 1e-3f});
  const Tensor t = Tensor::from_vector<float>({1, 10, 3, 20, 5, 60}, {3, 2});
  autograd::Variable x(t);
  const Tensor y = bn(nullptr, x, true).value.clone();
  // Channel 0: mean 3, biased variance 8/3.
  EXPECT_NEAR(y.f32()[0], (1 - 3) / std::sqrt(8.0 / 3 + 1e-3), 1e-5);
  EXPECT_EQ(bn.moving_mean().value.f32()[0], 0.0f) << "a forward pass alone changes no state";
  bn.apply_updates();
  EXPECT_NEAR(bn.moving_mean().value.f32()[0], 0.9 * 0 + 0.1 * 3, 1e-6);
  EXPECT_NEAR(bn.moving_variance().value.f32()[0], 0.9 * 1 + 0.1 * 8.0 / 3, 1e-6);
  // Inference uses the moving statistics.
  const Tensor z = bn(nullptr, x, false).value;
  EXPECT_NEAR(z.f32()[0], (1 - 0.3) / std::sqrt(0.9 + 0.8 / 3 + 1e-3), 1e-5);
}

TEST(ReshapeLayer, HarnessAndInference) {
  set_seed(44);
  L::Reshape r({-1, 4});
  check_layer(r, {.input = {2, 6}, .output = {3, 4}});
  L::Reshape bad({5, 5});
  expect_contains(message_of<ShapeError>([&] { bad.build(Shape{2, 6}); }), {"(None, 2, 6)", "(None, 5, 5)"});
  expect_contains(message_of<ValueError>([] { L::Reshape({-1, -1}); }), {"-1"});
}

// Flatten after a convolution orders features channels-last, row-major: (h, w, c) -> h * W * C + w * C + c.
TEST(FlattenLayer, KerasOrderAfterConvolution) {
  L::Flatten f;
  autograd::Variable x(Tensor::from_vector<float>({0, 1, 2, 3, 4, 5, 6, 7}, {1, 2, 2, 2}));
  EXPECT_EQ(f(nullptr, x, false).value.to_vector<float>(), (std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7}));
}

TEST(ConvErrors, WrongRankOrChannels) {
  L::Conv2D conv({.filters = 2, .kernel_size = {3}, .input_shape = {8, 8, 1}});
  expect_contains(message_of<ShapeError>([&] { conv.build(Shape{8, 8}); }), {"rank 4", "(None, 8, 8)"});
  conv.build(Shape{8, 8, 1});
  autograd::Variable rgb(Tensor::zeros({2, 8, 8, 3}));
  expect_contains(message_of<ShapeError>([&] { conv(nullptr, rgb, false); }),
                  {"(None, 8, 8, 1)", "(2, 8, 8, 3)"});
  L::MaxPooling2D pool;
  expect_contains(message_of<ShapeError>([&] { pool.build(Shape{8, 8}); }), {"rank 4"});
  L::Conv1D c1({.filters = 2, .kernel_size = {3}});
  expect_contains(message_of<ShapeError>([&] { c1.build(Shape{8, 8, 1}); }), {"rank 3"});
}

TEST(ConvErrors, KernelLargerThanInputWithValidPadding) {
  L::Conv2D conv({.filters = 2, .kernel_size = {5}});
  expect_contains(message_of<ShapeError>([&] {
                    conv.build(Shape{4, 8, 1});
                  }),
                  {"5x5", "(None, 4, 8, 1)", "same"});
  L::Conv2D same({.filters = 2, .kernel_size = {5}, .padding = "same"});
  EXPECT_EQ(same.output_shape(Shape{4, 8, 1}), (Shape{4, 8, 2}));
  L::MaxPooling2D pool({.pool_size = {3}});
  expect_contains(message_of<ShapeError>([&] { pool.build(Shape{2, 2, 1}); }), {"3x3", "(None, 2, 2, 1)"});
}

TEST(ConvErrors, BadArguments) {
  expect_contains(
      message_of<ValueError>([] { L::Conv2D({.filters = 2, .kernel_size = {3}, .strides = {0}}); }),
      {"strides", "positive", "0"});
  expect_contains(message_of<ValueError>([] { L::MaxPooling2D({.strides = {1, 0}}); }), {"strides", "0"});
  expect_contains(message_of<ValueError>([] { L::Conv2D({.filters = 0, .kernel_size = {3}}); }), {"filters"});
  expect_contains(message_of<ValueError>([] { L::Conv2D({.filters = 2}); }), {"kernel_size"});
  expect_contains(
      message_of<ValueError>([] { L::Conv2D({.filters = 2, .kernel_size = {3}, .padding = "full"}); }),
      {"\"full\"", "valid", "same"});
  expect_contains(message_of<ValueError>([] {
                    L::Conv2D({.filters = 2, .kernel_size = {3}, .strides = {2}, .dilation_rate = {2}});
                  }),
                  {"dilation_rate"});
  expect_contains(message_of<ValueError>(
                      [] { L::Conv2D({.filters = 2, .kernel_size = {3}, .padding = "causal"}); }),
                  {"Conv2D", "padding \"causal\" is for 1-D convolutions"});
  expect_contains(message_of<ValueError>(
                      [] { L::Conv1DTranspose({.filters = 2, .kernel_size = {3}, .padding = "causal"}); }),
                  {"padding \"causal\" is for 1-D convolutions"});
  expect_contains(message_of<ValueError>([] { L::BatchNormalization({.axis = 0}); }), {"axis 0 is the batch axis"});
}

}  // namespace
}  // namespace soma
