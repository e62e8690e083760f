// AdamW, Adagrad and Nadam (Keras 3): defaults, validation messages, the registry, copies, the behaviour
// their formulas single out, and allocation-free steps. Their trajectories are in reference_test.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "soma/core/error.hpp"
#include "soma/optimizers/adagrad.hpp"
#include "soma/optimizers/adam.hpp"
#include "soma/optimizers/adamw.hpp"
#include "soma/optimizers/nadam.hpp"
#include "support/allocation_counter.hpp"
#include "support/optimizer_steps.hpp"

namespace soma::optimizers {
namespace {

using autograd::Variable;
using test::expect_value_error;
using test::param;
using test::step;

TEST(Keras3Optimizers, KerasDefaults) {
  AdamW adamw;
  EXPECT_EQ(adamw.name(), "AdamW");
  EXPECT_FLOAT_EQ(adamw.learning_rate(), 0.001f);
  EXPECT_FLOAT_EQ(adamw.options().weight_decay, 0.004f);
  EXPECT_FLOAT_EQ(adamw.options().beta_1, 0.9f);
  EXPECT_FLOAT_EQ(adamw.options().beta_2, 0.999f);
  EXPECT_FLOAT_EQ(adamw.options().epsilon, 1e-7f);
  EXPECT_FALSE(adamw.options().amsgrad);

  Adagrad adagrad;
  EXPECT_EQ(adagrad.name(), "Adagrad");
  EXPECT_FLOAT_EQ(adagrad.learning_rate(), 0.001f);
  EXPECT_FLOAT_EQ(adagrad.options().initial_accumulator_value, 0.1f);
  EXPECT_FLOAT_EQ(adagrad.options().epsilon, 1e-7f);

  Nadam nadam;
  EXPECT_EQ(nadam.name(), "Nadam");
  EXPECT_FLOAT_EQ(nadam.learning_rate(), 0.001f);
  EXPECT_FLOAT_EQ(nadam.options().beta_1, 0.9f);
  EXPECT_FLOAT_EQ(nadam.options().beta_2, 0.999f);
  EXPECT_FLOAT_EQ(nadam.options().epsilon, 1e-7f);
}

TEST(Keras3Optimizers, InvalidOptionsNameTheOptimizerTheOptionAndTheValue) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  expect_value_error([] { AdamW({.learning_rate = -0.5f}); }, {"AdamW", "learning_rate", "-0.5"});
  expect_value_error([] { AdamW({.weight_decay = -0.1f}); }, {"AdamW", "weight_decay", ">= 0", "-0.1"});
  expect_value_error([&] { AdamW({.weight_decay = inf}); }, {"AdamW", "weight_decay", "inf"});
  expect_value_error([] { AdamW({.beta_1 = 1.0f}); }, {"AdamW", "beta_1", "[0, 1)", "1"});
  expect_value_error([&] { AdamW({.beta_2 = nan}); }, {"AdamW", "beta_2", "nan"});
  expect_value_error([] { AdamW({.epsilon = -1.0f}); }, {"AdamW", "epsilon", "-1"});
  expect_value_error([] { AdamW({.clipnorm = -2.0f}); }, {"AdamW", "clipnorm", "-2"});

  expect_value_error([&] { Adagrad({.learning_rate = nan}); }, {"Adagrad", "learning_rate", "nan"});
  expect_value_error([] { Adagrad({.initial_accumulator_value = -0.1f}); },
                     {"Adagrad", "initial_accumulator_value", ">= 0", "-0.1"});
  expect_value_error([] { Adagrad({.epsilon = -1e-7f}); }, {"Adagrad", "epsilon", "-1e-07"});
  expect_value_error([] { Adagrad({.clipvalue = -1.0f}); }, {"Adagrad", "clipvalue", "-1"});

  expect_value_error([&] { Nadam({.learning_rate = inf}); }, {"Nadam", "learning_rate", "inf"});
  expect_value_error([] { Nadam({.beta_1 = -0.1f}); }, {"Nadam", "beta_1", "[0, 1)", "-0.1"});
  expect_value_error([] { Nadam({.beta_2 = 1.0f}); }, {"Nadam", "beta_2", "[0, 1)", "1"});
  expect_value_error([] { Nadam({.epsilon = -1.0f}); }, {"Nadam", "epsilon", "-1"});

  // Edges that Keras accepts.
  EXPECT_NO_THROW(AdamW({.learning_rate = 0.0f, .weight_decay = 0.0f}));
  EXPECT_NO_THROW(Adagrad({.initial_accumulator_value = 0.0f, .epsilon = 0.0f}));
  EXPECT_NO_THROW(Nadam({.beta_1 = 0.0f, .beta_2 = 0.0f}));
}

TEST(Keras3Optimizers, Registry) {
  for (auto [key, name] :
       {std::pair{"adamw", "AdamW"}, std::pair{"AdamW", "AdamW"}, std::pair{"adagrad", "Adagrad"},
        std::pair{"ADAGRAD", "Adagrad"}, std::pair{"nadam", "Nadam"}, std::pair{"Nadam", "Nadam"}}) {
    auto opt = get(key);
    ASSERT_NE(opt, nullptr);
    EXPECT_EQ(opt->name(), name) << key;
  }
  auto adamw = get("adamw");
  ASSERT_NE(dynamic_cast<AdamW*>(adamw.get()), nullptr);
  EXPECT_FLOAT_EQ(dynamic_cast<AdamW*>(adamw.get())->options().weight_decay, 0.004f);
  auto adagrad = get("adagrad");
  ASSERT_NE(dynamic_cast<Adagrad*>(adagrad.get()), nullptr);
  EXPECT_FLOAT_EQ(dynamic_cast<Adagrad*>(adagrad.get())->options().initial_accumulator_value, 0.1f);
}

// With weight_decay = 0, AdamW is Adam; with a zero gradient, it only shrinks the weights by lr * wd.
TEST(Keras3Optimizers, AdamWIsAdamPlusDecoupledDecay) {
  AdamW adamw({.learning_rate = 0.1f, .weight_decay = 0.0f, .amsgrad = true});
  Adam adam({.learning_rate = 0.1f, .amsgrad = true});
  Variable a = param({0.5f, -1.0f, 2.0f}, {0.3f, -0.2f, 1.0f});
  Variable b = param({0.5f, -1.0f, 2.0f}, {0.3f, -0.2f, 1.0f});
  for (int i = 0; i < 3; ++i) {
    step(adamw, a);
    step(adam, b);
  }
  EXPECT_EQ(a.value.to_vector<float>(), b.value.to_vector<float>());

  AdamW decay_only({.learning_rate = 0.5f, .weight_decay = 0.1f});
  Variable w = param({2.0f, -4.0f}, {0.0f, 0.0f});
  step(decay_only, w);
  step(decay_only, w);
  EXPECT_FLOAT_EQ(w.value.f32()[0], 2.0f * 0.95f * 0.95f);
  EXPECT_FLOAT_EQ(w.value.f32()[1], -4.0f * 0.95f * 0.95f);
}

// Adagrad's first step from a = initial_accumulator_value: g / sqrt(init + g^2 + eps).
TEST(Keras3Optimizers, AdagradFirstStep) {
  Adagrad adagrad({.learning_rate = 0.1f, .initial_accumulator_value = 0.5f, .epsilon = 0.0f});
  Variable w = param({1.0f, 1.0f}, {0.5f, -2.0f});
  step(adagrad, w);
  EXPECT_FLOAT_EQ(w.value.f32()[0], 1.0f - 0.1f * 0.5f / std::sqrt(0.75f));
  EXPECT_FLOAT_EQ(w.value.f32()[1], 1.0f + 0.1f * 2.0f / std::sqrt(4.5f));
}

TEST(Keras3Optimizers, CloneIsIndependentAndContinuesIdentically) {
  for (auto make : std::vector<std::function<std::unique_ptr<Optimizer>()>>{
           [] { return std::make_unique<AdamW>(AdamWOptions{.learning_rate = 0.1f, .amsgrad = true}); },
           [] { return std::make_unique<Adagrad>(AdagradOptions{.learning_rate = 0.1f}); },
           [] { return std::make_unique<Nadam>(NadamOptions{.learning_rate = 0.1f}); }}) {
    auto original = make();
    Variable a = param({0.5f, -1.0f, 2.0f}, {0.3f, -0.2f, 1.0f});
    step(*original, a);
    step(*original, a);
    const Tensor at_clone = a.value.clone();
    auto clone = original->clone();
    EXPECT_EQ(clone->name(), original->name());
    EXPECT_EQ(clone->iterations(), 2);
    a.grad = Tensor::from_vector(std::vector<float>{5.0f, -5.0f, 5.0f});
    step(*original, a);  // moves the original's state for a, not the clone's

    auto reference = make();
    Variable r = param({0.5f, -1.0f, 2.0f}, {0.3f, -0.2f, 1.0f});
    step(*reference, r);
    step(*reference, r);
    r.grad = Tensor::from_vector(std::vector<float>{0.2f, 0.2f, -0.9f});
    step(*reference, r);
    a.value.copy_from(at_clone);
    a.grad = r.grad.clone();
    step(*clone, a);
    EXPECT_EQ(a.value.to_vector<float>(), r.value.to_vector<float>()) << original->name();
  }
}

TEST(Keras3Optimizers, ParameterThatChangedShapeIsAStateError) {
  for (auto opt : std::vector<std::shared_ptr<Optimizer>>{
           std::make_shared<AdamW>(), std::make_shared<Adagrad>(), std::make_shared<Nadam>()}) {
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

TEST(Keras3Optimizers, SteadyStateUpdateDoesNotAllocate) {
  for (auto opt : std::vector<std::shared_ptr<Optimizer>>{
           std::make_shared<AdamW>(), std::make_shared<AdamW>(AdamWOptions{.amsgrad = true}),
           std::make_shared<Adagrad>(), std::make_shared<Nadam>(),
           std::make_shared<Nadam>(NadamOptions{.clipnorm = 1.0f})}) {
    Variable a = param({1.0f, 2.0f, 3.0f}, {0.1f, 0.2f, 0.3f});
    Variable b = param(std::vector<float>(100, 1.0f), std::vector<float>(100, 0.5f));
    Variable* list[] = {&a, &b};
    opt->apply(list);
    EXPECT_EQ(testing::count_allocations([&] {
                for (int i = 0; i < 5; ++i) opt->apply(list);
              }).soma,
              0)
        << opt->name();
  }
}

}  // namespace
}  // namespace soma::optimizers
