// Options, validation, learning-rate decay, the registry, copies and clones, and allocation-free updates.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "soma/core/error.hpp"
#include "soma/optimizers/adam.hpp"
#include "soma/optimizers/rmsprop.hpp"
#include "soma/optimizers/sgd.hpp"
#include "support/allocation_counter.hpp"
#include "support/optimizer_steps.hpp"

namespace soma::optimizers {
namespace {

using autograd::Variable;
using test::expect_value_error;
using test::param;
using test::step;

TEST(OptimizerOptions, KerasDefaults) {
  SGD sgd;
  EXPECT_EQ(sgd.name(), "SGD");
  EXPECT_FLOAT_EQ(sgd.learning_rate(), 0.01f);
  EXPECT_EQ(sgd.options().momentum, 0.0f);
  EXPECT_FALSE(sgd.options().nesterov);
  EXPECT_EQ(sgd.options().decay, 0.0f);

  RMSprop rms;
  EXPECT_EQ(rms.name(), "RMSprop");
  EXPECT_FLOAT_EQ(rms.learning_rate(), 0.001f);
  EXPECT_FLOAT_EQ(rms.options().rho, 0.9f);
  EXPECT_EQ(rms.options().momentum, 0.0f);
  EXPECT_FLOAT_EQ(rms.options().epsilon, 1e-7f);
  EXPECT_FALSE(rms.options().centered);

  Adam adam;
  EXPECT_EQ(adam.name(), "Adam");
  EXPECT_FLOAT_EQ(adam.learning_rate(), 0.001f);
  EXPECT_FLOAT_EQ(adam.options().beta_1, 0.9f);
  EXPECT_FLOAT_EQ(adam.options().beta_2, 0.999f);
  EXPECT_FLOAT_EQ(adam.options().epsilon, 1e-7f);
  EXPECT_FALSE(adam.options().amsgrad);
  EXPECT_EQ(adam.iterations(), 0);
}

TEST(OptimizerOptions, DesignatedInitializers) {
  SGD sgd({.learning_rate = 0.05f, .momentum = 0.9f, .nesterov = true, .decay = 1e-6f});
  EXPECT_FLOAT_EQ(sgd.options().learning_rate.value(), 0.05f);
  EXPECT_FLOAT_EQ(sgd.options().momentum, 0.9f);
  EXPECT_TRUE(sgd.options().nesterov);
  EXPECT_FLOAT_EQ(sgd.options().decay, 1e-6f);
  RMSprop rms({.learning_rate = 1e-4f, .centered = true});
  EXPECT_TRUE(rms.options().centered);
  EXPECT_FLOAT_EQ(rms.options().rho, 0.9f);
  Adam adam({.learning_rate = 3e-4f, .amsgrad = true});
  EXPECT_TRUE(adam.options().amsgrad);
  EXPECT_FLOAT_EQ(adam.learning_rate(), 3e-4f);
}

TEST(OptimizerOptions, OptionsReportTheCurrentLearningRate) {
  Adam adam({.learning_rate = 0.01f});
  adam.set_learning_rate(0.002f);
  EXPECT_FLOAT_EQ(adam.options().learning_rate.value(), 0.002f);
  EXPECT_FLOAT_EQ(adam.learning_rate(), 0.002f);
}

TEST(OptimizerOptions, InvalidOptionsNameTheOptimizerTheOptionAndTheValue) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  expect_value_error([] { SGD({.learning_rate = -0.1f}); }, {"SGD", "learning_rate", "-0.1"});
  expect_value_error([&] { SGD({.learning_rate = nan}); }, {"SGD", "learning_rate", "nan"});
  expect_value_error([&] { SGD({.learning_rate = inf}); }, {"SGD", "learning_rate", "inf"});
  expect_value_error([] { SGD({.momentum = 1.5f}); }, {"SGD", "momentum", "[0, 1]", "1.5"});
  expect_value_error([] { SGD({.momentum = -0.5f}); }, {"SGD", "momentum", "-0.5"});
  expect_value_error([] { SGD({.decay = -1.0f}); }, {"SGD", "decay", "-1"});

  expect_value_error([] { RMSprop({.learning_rate = -1.0f}); }, {"RMSprop", "learning_rate", "-1"});
  expect_value_error([] { RMSprop({.rho = 1.0f}); }, {"RMSprop", "rho", "[0, 1)", "1"});
  expect_value_error([] { RMSprop({.rho = -0.25f}); }, {"RMSprop", "rho", "-0.25"});
  expect_value_error([] { RMSprop({.momentum = 2.0f}); }, {"RMSprop", "momentum", "2"});
  expect_value_error([] { RMSprop({.epsilon = -1e-7f}); }, {"RMSprop", "epsilon", "-1e-07"});
  expect_value_error([] { RMSprop({.decay = -0.5f}); }, {"RMSprop", "decay", "-0.5"});

  expect_value_error([] { Adam({.learning_rate = -0.001f}); }, {"Adam", "learning_rate", "-0.001"});
  expect_value_error([] { Adam({.beta_1 = 1.0f}); }, {"Adam", "beta_1", "[0, 1)", "1"});
  expect_value_error([] { Adam({.beta_2 = 1.5f}); }, {"Adam", "beta_2", "1.5"});
  expect_value_error([&] { Adam({.beta_2 = nan}); }, {"Adam", "beta_2", "nan"});
  expect_value_error([] { Adam({.epsilon = -1.0f}); }, {"Adam", "epsilon", "-1"});
  expect_value_error([] { Adam({.decay = -0.25f}); }, {"Adam", "decay", "-0.25"});

  // Edges that Keras accepts.
  EXPECT_NO_THROW(SGD({.learning_rate = 0.0f, .momentum = 1.0f}));
  EXPECT_NO_THROW(RMSprop({.rho = 0.0f, .epsilon = 0.0f}));
  EXPECT_NO_THROW(Adam({.beta_1 = 0.0f, .beta_2 = 0.0f}));
}

TEST(OptimizerDecay, TimeBasedLearningRate) {
  SGD sgd({.learning_rate = 0.5f, .decay = 0.25f});
  Variable w = param({1.0f, -2.0f}, {1.0f, 2.0f});
  float expected_w0 = 1.0f;
  for (int it = 0; it < 6; ++it) {
    const float lr = 0.5f / (1.0f + 0.25f * static_cast<float>(it));
    EXPECT_EQ(sgd.iterations(), it);
    EXPECT_FLOAT_EQ(sgd.current_learning_rate(), lr);
    step(sgd, w);
    expected_w0 -= lr * 1.0f;
    EXPECT_NEAR(w.value.f32()[0], expected_w0, 1e-6f);
  }
  EXPECT_FLOAT_EQ(sgd.learning_rate(), 0.5f);  // the base rate does not change
  // A callback lowering the base rate: decay applies on top of it.
  sgd.set_learning_rate(0.1f);
  EXPECT_FLOAT_EQ(sgd.current_learning_rate(), 0.1f / (1.0f + 0.25f * 6.0f));
}

TEST(OptimizerDecay, NoDecayKeepsTheRate) {
  Adam adam;
  Variable w = param({1.0f}, {1.0f});
  for (int it = 0; it < 3; ++it) step(adam, w);
  EXPECT_FLOAT_EQ(adam.current_learning_rate(), 0.001f);
}

TEST(OptimizerRegistry, KerasNamesCaseInsensitive) {
  struct Expect {
    const char* key;
    const char* name;
  };
  for (auto [key, name] : {Expect{"sgd", "SGD"}, Expect{"SGD", "SGD"}, Expect{"rmsprop", "RMSprop"},
                           Expect{"RMSprop", "RMSprop"}, Expect{"adam", "Adam"}, Expect{"ADAM", "Adam"}}) {
    auto opt = get(key);
    ASSERT_NE(opt, nullptr);
    EXPECT_EQ(opt->name(), name) << key;
    EXPECT_EQ(opt->iterations(), 0);
  }
  EXPECT_FLOAT_EQ(get("sgd")->learning_rate(), 0.01f);
  EXPECT_FLOAT_EQ(get("rmsprop")->learning_rate(), 0.001f);
  auto adam = get("adam");
  auto* a = dynamic_cast<Adam*>(adam.get());
  ASSERT_NE(a, nullptr);
  EXPECT_FLOAT_EQ(a->options().beta_2, 0.999f);
  EXPECT_FLOAT_EQ(a->options().epsilon, 1e-7f);
  auto rms = get("rmsprop");
  auto* r = dynamic_cast<RMSprop*>(rms.get());
  ASSERT_NE(r, nullptr);
  EXPECT_FLOAT_EQ(r->options().rho, 0.9f);
}

TEST(OptimizerRegistry, UnknownNameListsTheKnownOnes) {
  expect_value_error([] { get("adamax"); },
                     {"'adamax'", "'adagrad'", "'adam'", "'adamw'", "'nadam'", "'rmsprop'", "'sgd'"});
  expect_value_error([] { get(""); }, {"unknown optimizer", "'sgd'"});
}

TEST(OptimizerClone, CloneIsIndependentAndContinuesIdentically) {
  // A clone holds a deep copy of the state (keyed, like the original's, by the same Variables): it goes on
  // from where the original was when cloned, whatever the original does afterwards.
  for (auto make : std::vector<std::function<std::unique_ptr<Optimizer>()>>{
           [] {
             return std::make_unique<SGD>(
                 SGDOptions{.learning_rate = 0.1f, .momentum = 0.9f, .nesterov = true});
           },
           [] { return std::make_unique<RMSprop>(RMSpropOptions{.momentum = 0.5f, .centered = true}); },
           [] { return std::make_unique<Adam>(AdamOptions{.learning_rate = 0.1f, .amsgrad = true}); }}) {
    auto original = make();
    Variable a = param({0.5f, -1.0f, 2.0f}, {0.3f, -0.2f, 1.0f});
    step(*original, a);
    a.grad = Tensor::from_vector(std::vector<float>{-0.4f, 0.1f, 0.7f});
    step(*original, a);
    const Tensor at_clone = a.value.clone();
    auto clone = original->clone();
    EXPECT_EQ(clone->name(), original->name());
    EXPECT_EQ(clone->iterations(), 2);

    // Disturb the original: two more steps on a move a's state in the original only.
    a.grad = Tensor::from_vector(std::vector<float>{5.0f, -5.0f, 5.0f});
    step(*original, a);
    step(*original, a);
    EXPECT_EQ(original->iterations(), 4);
    EXPECT_EQ(clone->iterations(), 2);

    // The clone continues exactly as an undisturbed optimizer would.
    auto reference = make();
    Variable r = param({0.5f, -1.0f, 2.0f}, {0.3f, -0.2f, 1.0f});
    step(*reference, r);
    r.grad = Tensor::from_vector(std::vector<float>{-0.4f, 0.1f, 0.7f});
    step(*reference, r);
    r.grad = Tensor::from_vector(std::vector<float>{0.2f, 0.2f, -0.9f});
    step(*reference, r);
    a.value.copy_from(at_clone);
    a.grad = r.grad.clone();
    step(*clone, a);
    EXPECT_EQ(a.value.to_vector<float>(), r.value.to_vector<float>()) << original->name();
  }
}

TEST(OptimizerClone, CopyConstructorDeepCopiesState) {
  Adam original({.learning_rate = 0.1f});
  Variable a = param({1.0f, 2.0f}, {0.5f, -0.5f});
  step(original, a);
  const Tensor snapshot = a.value.clone();
  Adam copy = original;  // value semantics, like the options it holds
  step(original, a);
  const Tensor by_original = a.value.clone();
  a.value.copy_from(snapshot);
  step(copy, a);  // from the same state: the same step
  EXPECT_EQ(a.value.to_vector<float>(), by_original.to_vector<float>());
  const Tensor snapshot2 = a.value.clone();
  Adam copy2 = copy;
  step(original, a);  // touches neither copy's moments
  a.value.copy_from(snapshot2);
  step(copy, a);
  const Tensor by_copy = a.value.clone();
  a.value.copy_from(snapshot2);
  step(copy2, a);
  EXPECT_EQ(a.value.to_vector<float>(), by_copy.to_vector<float>());
}

// Keras' clipnorm (per gradient tensor) and clipvalue (per element), before the update rule.
TEST(OptimizerApply, GradientClipping) {
  SGD by_norm({.learning_rate = 1.0f, .clipnorm = 1.0f});
  Variable a = param({0.0f, 0.0f}, {3.0f, 4.0f});  // norm 5 -> scaled to 1
  step(by_norm, a);
  EXPECT_FLOAT_EQ(a.value.f32()[0], -0.6f);
  EXPECT_FLOAT_EQ(a.value.f32()[1], -0.8f);
  Variable small = param({0.0f, 0.0f}, {0.3f, 0.4f});  // norm 0.5: untouched
  step(by_norm, small);
  EXPECT_FLOAT_EQ(small.value.f32()[1], -0.4f);
  Adam by_value({.learning_rate = 1.0f, .clipvalue = 0.5f});
  RMSprop both({.clipnorm = 2.0f, .clipvalue = 0.1f});
  Variable b = param({0.0f, 0.0f, 0.0f}, {-3.0f, 0.2f, 0.05f});
  step(by_value, b);
  // Adam's first step moves each element by ~lr * sign(g): clipping keeps the signs, so check the grads.
  EXPECT_FLOAT_EQ(b.grad.f32()[0], -0.5f);
  EXPECT_FLOAT_EQ(b.grad.f32()[1], 0.2f);
  EXPECT_EQ(both.options().clipvalue, 0.1f);
  expect_value_error([] { SGD({.clipnorm = -1.0f}); }, {"clipnorm", "-1"});
}

TEST(OptimizerApply, ParameterWithoutGradientIsSkipped) {
  SGD sgd({.learning_rate = 0.1f, .momentum = 0.9f});
  Variable with = param({1.0f}, {1.0f});
  Variable without(Tensor::from_vector(std::vector<float>{3.0f}), true, "frozen");
  Variable* list[] = {&with, &without};
  sgd.apply(list);
  EXPECT_FLOAT_EQ(with.value.f32()[0], 0.9f);
  EXPECT_FLOAT_EQ(without.value.f32()[0], 3.0f);
  EXPECT_EQ(sgd.iterations(), 1);
}

TEST(OptimizerApply, ParameterThatChangedShapeIsAStateError) {
  for (auto opt :
       std::vector<std::shared_ptr<Optimizer>>{std::make_shared<SGD>(SGDOptions{.momentum = 0.5f}),
                                               std::make_shared<RMSprop>(), std::make_shared<Adam>()}) {
    Variable a = param({1.0f, 2.0f}, {0.1f, 0.2f});
    step(*opt, a);
    // The same Variable, resized after its state was made (state is keyed by the Variable).
    a.value = Tensor::from_vector(std::vector<float>{1.0f, 2.0f, 3.0f});
    a.grad = Tensor::from_vector(std::vector<float>{0.1f, 0.2f, 0.3f});
    try {
      step(*opt, a);
      ADD_FAILURE() << opt->name() << ": no StateError";
    } catch (const StateError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(opt->name()), std::string::npos) << msg;
      EXPECT_NE(msg.find("state was built for 2 elements"), std::string::npos) << msg;
    }
  }
}

TEST(OptimizerApply, SteadyStateUpdateDoesNotAllocate) {
  for (auto opt : std::vector<std::shared_ptr<Optimizer>>{
           std::make_shared<SGD>(), std::make_shared<SGD>(SGDOptions{.momentum = 0.9f, .nesterov = true}),
           std::make_shared<RMSprop>(),
           std::make_shared<RMSprop>(RMSpropOptions{.momentum = 0.9f, .centered = true}),
           std::make_shared<Adam>(), std::make_shared<Adam>(AdamOptions{.amsgrad = true, .decay = 0.1f})}) {
    Variable a = param({1.0f, 2.0f, 3.0f}, {0.1f, 0.2f, 0.3f});
    Variable b = param(std::vector<float>(100, 1.0f), std::vector<float>(100, 0.5f));
    Variable* list[] = {&a, &b};
    opt->apply(list);  // builds the state
    EXPECT_EQ(testing::count_allocations([&] {
                for (int i = 0; i < 5; ++i) opt->apply(list);
              }).soma,
              0)
        << opt->name();
  }
}

}  // namespace
}  // namespace soma::optimizers
