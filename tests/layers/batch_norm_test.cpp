// BatchNormalization on any axis against PyTorch (tests/reference/batch_norm.py: outputs, gradients and
// moving statistics), through the harness on several axes, and Keras' rules for frozen layers and for steps
// that fit() rejects.
#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "soma/layers/dense.hpp"
#include "soma/layers/normalization.hpp"
#include "soma/layers/serialization.hpp"
#include "soma/models/sequential.hpp"
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

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.f32(), b.f32(), static_cast<size_t>(a.numel()) * 4) == 0;
}

TEST(BatchNormalizationVsPyTorch, EveryAxisTrainingAndInference) {
  const auto cases = testing::load_reference_cases("batch_norm.txt");
  ASSERT_EQ(cases.size(), 7u);
  for (const auto& c : cases) {
    const Tensor& x0 = c.tensors.at("x");
    const int axis = std::stoi(c.options.at("axis"));
    // The same axis written positively and negatively.
    for (const int written : {axis, axis - static_cast<int>(x0.rank())}) {
      SCOPED_TRACE(c.name + " axis " + std::to_string(written));
      L::BatchNormalization bn({.axis = written,
                                .momentum = std::stof(c.options.at("momentum")),
                                .epsilon = std::stof(c.options.at("epsilon"))});
      bn.build(x0.shape().without_batch());
      bn.weights()[0]->value.copy_from(c.tensors.at("gamma"));
      bn.weights()[1]->value.copy_from(c.tensors.at("beta"));
      bn.moving_mean().value.copy_from(c.tensors.at("moving_mean"));
      bn.moving_variance().value.copy_from(c.tensors.at("moving_variance"));
      autograd::Variable x(x0.clone(), true);
      autograd::Tape tape;
      autograd::Variable& y = bn(&tape, x, c.options.at("training") == "1");
      expect_close(y.value, c.tensors.at("y"), "y", 1e-4f);
      tape.backward(y, c.tensors.at("dy"));
      expect_close(x.grad, c.tensors.at("dx"), "dx", 1e-4f);
      expect_close(bn.weights()[0]->grad, c.tensors.at("dgamma"), "dgamma", 1e-3f);
      expect_close(bn.weights()[1]->grad, c.tensors.at("dbeta"), "dbeta", 1e-3f);
      bn.apply_updates();
      expect_close(bn.moving_mean().value, c.tensors.at("new_moving_mean"), "moving_mean", 1e-5f);
      expect_close(bn.moving_variance().value, c.tensors.at("new_moving_variance"), "moving_variance", 1e-4f);
    }
  }
}

TEST(BatchNormalizationLayer, HarnessOnEveryAxis) {
  set_seed(44);
  for (const bool training : {true, false}) {
    for (const int axis : {1, 2, 3, -1, -2, -3}) {
      SCOPED_TRACE("axis " + std::to_string(axis) + (training ? " training" : " inference"));
      L::BatchNormalization bn({.axis = axis});
      const Shape in{3, 4, 5};
      const int64_t c = in[(axis < 0 ? axis + 4 : axis) - 1];
      check_layer(bn, {.input = in, .output = in, .params = 4 * c, .batch = 2, .training = training});
    }
  }
  L::BatchNormalization neither({.axis = 1, .center = false, .scale = false});
  check_layer(neither, {.input = {3, 2}, .output = {3, 2}, .params = 6, .batch = 4, .training = true});
}

TEST(BatchNormalizationLayer, AxisErrorsAndConfigList) {
  expect_contains(message_of<ShapeError>([] { L::BatchNormalization({.axis = 3}).build(Shape{4, 5}); }),
                  {"axis 3 is out of range", "(None, 4, 5)", "[-2, -1] or [1, 2]"});
  expect_contains(message_of<ShapeError>([] { L::BatchNormalization({.axis = -4}).build(Shape{4, 5}); }),
                  {"axis -4 is out of range"});
  // Keras 2 files write the axis as a one-element list.
  auto layer = L::deserialize(Config::parse(R"({"class_name": "BatchNormalization", "config": {"axis": [1]}})"));
  layer->build(Shape{3, 2});
  EXPECT_EQ(layer->weights()[0]->value.numel(), 3) << "axis [1] normalises the first feature axis";
  EXPECT_EQ(layer->get_config()["axis"], 1);
  expect_contains(message_of<ValueError>([] {
                    L::deserialize(Config::parse(
                        R"({"class_name": "BatchNormalization", "config": {"axis": [1, 2]}})"));
                  }),
                  {"one-element list", "[1,2]"});
}

// Keras: a BatchNormalization with trainable = false runs in inference mode, even inside fit(), and its
// moving statistics stay as they are (what fine-tuning a pretrained network needs).
TEST(BatchNormalizationLayer, FrozenLayerRunsInInferenceModeAndKeepsItsStatistics) {
  set_seed(45);
  L::BatchNormalization bn;
  bn.build(Shape{3});
  for (auto* w : bn.weights()) for (auto& v : w->value.span<float>()) v = random::uniform(0.5f, 1.5f);
  bn.set_trainable(false);
  const Tensor x0 = testing::random_tensor({8, 3}, -2.0f, 3.0f);
  autograd::Variable x(x0.clone());
  const Tensor in_training = bn(nullptr, x, true).value.clone();
  const Tensor in_inference = bn(nullptr, x, false).value.clone();
  EXPECT_TRUE(same_bits(in_training, in_inference));
  const Tensor mean = bn.moving_mean().value.clone();
  bn.apply_updates();
  EXPECT_TRUE(same_bits(bn.moving_mean().value, mean));

  Sequential m;
  m.add(L::Dense({.units = 4, .input_shape = {3}}));
  m.add(L::BatchNormalization());
  m.add(L::Dense({.units = 1}));
  m.compile({.optimizer = "sgd", .loss = "mse"});
  m.layer(1).set_trainable(false);
  const Tensor before_mean = dynamic_cast<L::BatchNormalization&>(m.layer(1)).moving_mean().value.clone();
  const Tensor before_var = dynamic_cast<L::BatchNormalization&>(m.layer(1)).moving_variance().value.clone();
  m.fit(testing::random_tensor({64, 3}), testing::random_tensor({64, 1}), {.batch_size = 16, .epochs = 2, .verbose = 0});
  EXPECT_TRUE(same_bits(dynamic_cast<L::BatchNormalization&>(m.layer(1)).moving_mean().value, before_mean));
  EXPECT_TRUE(same_bits(dynamic_cast<L::BatchNormalization&>(m.layer(1)).moving_variance().value, before_var));
  m.layer(1).set_trainable(true);
  m.fit(testing::random_tensor({64, 3}), testing::random_tensor({64, 1}), {.batch_size = 16, .epochs = 1, .verbose = 0});
  EXPECT_FALSE(same_bits(dynamic_cast<L::BatchNormalization&>(m.layer(1)).moving_mean().value, before_mean))
      << "a trainable layer updates its moving statistics";
}

// "The weights are those of the step before" must hold for every piece of state: the moving statistics
// used to move inside the forward pass of the rejected step.
TEST(BatchNormalizationLayer, RejectedStepChangesNothing) {
  set_seed(46);
  Sequential m;
  m.add(L::Dense({.units = 4, .input_shape = {3}}));
  m.add(L::BatchNormalization());
  m.add(L::Dense({.units = 1}));
  m.compile({.optimizer = "adam", .loss = "mse"});
  const Tensor x = testing::random_tensor({32, 3});
  Tensor y = testing::random_tensor({32, 1});
  m.fit(x, y, {.batch_size = 16, .epochs = 1, .verbose = 0, .shuffle = false});
  std::vector<Tensor> before;
  for (auto* w : m.weights()) before.push_back(w->value.clone());
  // Finite targets whose squared error overflows float32: the loss is inf.
  Tensor huge = Tensor::empty({32, 1});
  huge.fill(3e19f);
  expect_contains(message_of<ValueError>(
                      [&] { m.fit(x, huge, {.batch_size = 16, .epochs = 1, .verbose = 0, .shuffle = false}); }),
                  {"the loss became inf", "the weights are those of the step before"});
  const auto after = m.weights();
  for (size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(same_bits(after[i]->value, before[i])) << after[i]->name;
}

}  // namespace
}  // namespace soma
