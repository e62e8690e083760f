// Normalization against NumPy (tests/reference/normalization.py): adapt's mean and population variance
// over every axis but the kept ones, and the normalised (or inverted) output, for the last axis, one
// statistic (axis=None), two axes, a middle axis and every sample axis. Then given statistics, the
// harness's gradients, saving an adapted model (the statistics travel with it), and errors.
#include <gtest/gtest.h>

#include "soma/soma.hpp"
#include "support/error_matchers.hpp"
#include "support/layer_harness.hpp"
#include "support/reference_cases.hpp"

namespace soma {
namespace {

namespace L = layers;
using test::expect_contains;
using test::message_of;
using testing::check_layer;
using testing::expect_close;

std::vector<int64_t> axes_of(const std::string& s) {
  return s == "none" ? std::vector<int64_t>{} : testing::ints(s);
}

TEST(NormalizationVsNumPy, AdaptAndCall) {
  const auto cases = testing::load_reference_cases("normalization.txt");
  ASSERT_EQ(cases.size(), 5u);
  float worst = 0.0f;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto& t = c.tensors;
    L::Normalization norm({.axis = axes_of(c.options.at("axis")), .invert = c.options.at("invert") == "1"});
    norm.adapt(t.at("x"));
    EXPECT_TRUE(norm.built());
    expect_close(norm.mean(), t.at("mean"), "mean", 1e-5f);
    expect_close(norm.variance(), t.at("variance"), "variance", 1e-4f);
    EXPECT_EQ(norm.weights().size(), 3u);
    for (auto* w : norm.weights()) EXPECT_FALSE(w->requires_grad) << w->name;
    autograd::Variable x(t.at("x").clone());
    const Tensor y = norm(nullptr, x, false).value.clone();
    expect_close(y, t.at("y"), "y", 2e-5f);
    for (int64_t i = 0; i < y.numel(); ++i) worst = std::max(worst, std::fabs(y.f32()[i] - t.at("y").f32()[i]));
  }
  std::printf("Normalization vs NumPy: max |y - y_numpy| = %.3g\n", worst);
}

TEST(NormalizationLayer, GivenStatisticsBroadcast) {
  L::Normalization norm({.axis = {-1}, .mean = {1.0f, 2.0f, 3.0f}, .variance = {4.0f}});
  autograd::Variable x(Tensor::full(Shape{2, 3}, 5.0f));
  const Tensor y = norm(nullptr, x, false).value;
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{2.0f, 1.5f, 1.0f, 2.0f, 1.5f, 1.0f}));
  EXPECT_TRUE(norm.weights().empty());  // the values live in the config
  L::Normalization zero({.axis = {}, .mean = {0.0f}, .variance = {0.0f}});
  autograd::Variable one(Tensor::full(Shape{1, 2}, 1.0f));
  EXPECT_EQ(zero(nullptr, one, false).value.f32()[0], 1e7f);  // sqrt(0) floored at Keras' epsilon 1e-7
}

TEST(NormalizationLayer, Harness) {
  set_seed(8);
  L::Normalization given({.axis = {1}, .mean = {0.5f, -1.0f, 2.0f}, .variance = {0.25f, 1.0f, 4.0f}});
  check_layer(given, {.input = {3, 4}, .output = {3, 4}, .params = 0, .batch = 2});
  L::Normalization adapted({.axis = {-1}, .invert = true});
  check_layer(adapted, {.input = {2, 5}, .output = {2, 5}, .params = 5 + 5 + 1, .batch = 3});
}

TEST(NormalizationLayer, AdaptedStatisticsTravelWithTheModel) {
  // Raw features of very different scales; the model normalises them itself.
  set_seed(2);
  Tensor x = Tensor::empty(Shape{64, 3}), y = Tensor::empty(Shape{64});
  for (int64_t i = 0; i < 64; ++i) {
    const float a = static_cast<float>(i % 8), b = static_cast<float>((i * 5) % 7);
    x.f32()[i * 3] = 1000.0f + 100.0f * a;
    x.f32()[i * 3 + 1] = 0.001f * b;
    x.f32()[i * 3 + 2] = -50.0f + a * b;
    y.f32()[i] = static_cast<float>(a + 300.0f * b * 0.001f > 4.0f);
  }
  L::Normalization norm({.name = "norm"});
  norm.adapt(x);
  Sequential model;
  model.add(std::move(norm));
  model.add(L::Dense({.units = 8, .activation = "relu"}));
  model.add(L::Dense({.units = 2, .activation = "softmax"}));
  model.compile({.optimizer = optimizers::Adam({.learning_rate = 1e-2}), .loss = "sparse_categorical_crossentropy",
                 .metrics = {"accuracy"}});
  const History h = model.fit(x, y, {.batch_size = 16, .epochs = 30, .verbose = 0});
  EXPECT_GT(h["accuracy"].back(), 0.9);
  // Training leaves the statistics alone (they are not trainable).
  const auto& layer = dynamic_cast<const L::Normalization&>(model.get_layer("norm"));
  EXPECT_NEAR(layer.mean().f32()[0], 1350.0f, 1e-2f);
  const std::string path = ::testing::TempDir() + "/normalized.soma";
  model.save(path);
  Sequential loaded = load_model(path);
  EXPECT_EQ(loaded.predict(x).to_vector<float>(), model.predict(x).to_vector<float>());
}

TEST(NormalizationLayer, Errors) {
  expect_contains(message_of<ValueError>([] { L::Normalization({.mean = {1.0f}}); }),
                  {"both mean and variance", "adapt"});
  expect_contains(message_of<ValueError>([] { L::Normalization({.mean = {1.0f}, .variance = {-1.0f}}); }),
                  {"non-negative", "-1"});
  L::Normalization given({.mean = {1.0f}, .variance = {1.0f}});
  expect_contains(message_of<ValueError>([&] { given.adapt(Tensor::zeros(Shape{4, 2})); }), {"would replace"});
  L::Normalization wrong({.axis = {-1}, .mean = {1.0f, 2.0f}, .variance = {1.0f, 1.0f}});
  expect_contains(message_of<ShapeError>([&] { wrong.build(Shape{3}); }), {"mean has 2 values", "expected 1 or 3"});
  L::Normalization out_of_range({.axis = {3}});
  expect_contains(message_of<ShapeError>([&] { out_of_range.build(Shape{3}); }), {"axis 3 is out of range"});
  L::Normalization batch({.axis = {0}});
  expect_contains(message_of<NotImplementedError>([&] { batch.build(Shape{3}); }), {"per batch index"});
  L::Normalization twice({.axis = {1, -1}});
  expect_contains(message_of<ValueError>([&] { twice.build(Shape{3}); }), {"given twice"});
  L::Normalization adapted;
  adapted.adapt(Tensor::zeros(Shape{4, 2}));
  expect_contains(message_of<ShapeError>([&] { adapted.adapt(Tensor::zeros(Shape{4, 3})); }), {"built for samples"});
  Tensor bad = Tensor::zeros(Shape{2, 2});
  bad.f32()[1] = std::numeric_limits<float>::infinity();
  L::Normalization fresh;
  expect_contains(message_of<ValueError>([&] { fresh.adapt(bad); }), {"not finite"});
  expect_contains(message_of<StateError>([] { L::Normalization().mean(); }), {"before it is built"});
}

}  // namespace
}  // namespace soma
