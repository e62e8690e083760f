// layer_outputs and input_gradient: intermediate outputs agree with predict, and the input gradient
// agrees with finite differences (through Conv2D, pooling, Dense and softmax).
#include <gtest/gtest.h>

#include "soma/core/random.hpp"
#include "soma/layers/convolutional.hpp"
#include "soma/layers/core_layers.hpp"
#include "soma/layers/dense.hpp"
#include "soma/layers/embedding.hpp"
#include "soma/layers/pooling.hpp"
#include "soma/models/sequential.hpp"
#include "support/error_matchers.hpp"

namespace soma {
namespace {

namespace L = layers;

Sequential small_cnn() {
  Sequential m;
  m.add(L::Conv2D({.filters = 3, .kernel_size = {3}, .activation = "tanh", .input_shape = {6, 6, 1}}));
  m.add(L::AveragePooling2D());
  m.add(L::Flatten());
  m.add(L::Dropout(0.5f));  // off in inference: must not disturb either function
  m.add(L::Dense({.units = 4, .activation = "softmax"}));
  return m;
}

Tensor random_input(Shape shape) {
  Tensor x = Tensor::empty(shape);
  for (int64_t i = 0; i < x.numel(); ++i) x.f32()[i] = random::uniform(-1.0f, 1.0f);
  return x;
}

TEST(LayerOutputs, OnePerLayerAndTheLastIsThePrediction) {
  set_seed(31);
  Sequential m = small_cnn();
  const Tensor x = random_input({2, 6, 6, 1});
  const auto outs = m.layer_outputs(x);
  ASSERT_EQ(outs.size(), 5u);
  EXPECT_EQ(outs[0].shape(), (Shape{2, 4, 4, 3}));
  EXPECT_EQ(outs[1].shape(), (Shape{2, 2, 2, 3}));
  EXPECT_EQ(outs[2].shape(), (Shape{2, 12}));
  EXPECT_EQ(outs[2].to_vector<float>(), outs[3].to_vector<float>()) << "dropout is the identity at inference";
  EXPECT_EQ(outs[4].to_vector<float>(), m.predict(x).to_vector<float>());
}

TEST(InputGradient, MatchesFiniteDifferences) {
  set_seed(32);
  Sequential m = small_cnn();
  const Tensor x = random_input({2, 6, 6, 1});
  // Score: class 1 of sample 0 plus half of class 3 of sample 1.
  Tensor seed = Tensor::zeros({2, 4});
  seed.f32()[1] = 1.0f;
  seed.f32()[4 + 3] = 0.5f;
  const Tensor g = m.input_gradient(x, seed);
  ASSERT_EQ(g.shape(), x.shape());
  auto score = [&](const Tensor& input) {
    const Tensor p = m.predict(input);
    return static_cast<double>(p.f32()[1]) + 0.5 * static_cast<double>(p.f32()[4 + 3]);
  };
  const double eps = 1e-2;
  for (int64_t i = 0; i < x.numel(); i += 5) {
    Tensor plus = x.clone(), minus = x.clone();
    plus.f32()[i] += static_cast<float>(eps);
    minus.f32()[i] -= static_cast<float>(eps);
    const double numeric = (score(plus) - score(minus)) / (2 * eps);
    EXPECT_NEAR(g.f32()[i], numeric, 2e-3 + 2e-2 * std::fabs(numeric)) << "input " << i;
  }
}

TEST(InputGradient, BadArguments) {
  set_seed(33);
  Sequential m = small_cnn();
  const Tensor x = random_input({2, 6, 6, 1});
  test::expect_contains(test::message_of<ShapeError>([&] {
                          m.input_gradient(x, Tensor::zeros({2, 3}));
                        }),
                        {"input_gradient", "(2, 4)", "(2, 3)"});
  Sequential text;
  text.add(L::Embedding({.input_dim = 5, .output_dim = 2, .input_shape = {3}}));
  text.add(L::Flatten());
  text.add(L::Dense({.units = 1}));
  test::expect_contains(test::message_of<ValueError>([&] {
                          text.input_gradient(Tensor::zeros({1, 3}), Tensor::zeros({1, 1}));
                        }),
                        {"Embedding", "indices"});
}

}  // namespace
}  // namespace soma
