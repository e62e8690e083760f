// Learning-rate schedules: values against the Keras 3 formulas, bad arguments, and optimizers that take a
// schedule as their learning rate.
#include "soma/optimizers/schedules.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numbers>

#include "soma/optimizers/adam.hpp"
#include "soma/optimizers/nadam.hpp"
#include "soma/optimizers/sgd.hpp"
#include "support/allocation_counter.hpp"
#include "support/error_matchers.hpp"
#include "support/optimizer_steps.hpp"

namespace soma::optimizers {
namespace {

using autograd::Variable;
using soma::test::expect_contains;
using soma::test::message_of;
using soma::test::param;
namespace S = schedules;

TEST(ExponentialDecay, FollowsTheFormula) {
  const S::ExponentialDecay smooth({.initial_learning_rate = 0.1f, .decay_steps = 10, .decay_rate = 0.5f});
  EXPECT_EQ(smooth.name(), "ExponentialDecay");
  EXPECT_FLOAT_EQ(smooth(0), 0.1f);
  EXPECT_FLOAT_EQ(smooth(5), 0.1f * std::sqrt(0.5f));
  EXPECT_FLOAT_EQ(smooth(20), 0.025f);
  for (int64_t step : {1, 7, 33, 1000})
    EXPECT_NEAR(smooth(step), 0.1 * std::pow(0.5, static_cast<double>(step) / 10.0), 1e-8) << step;
  const S::ExponentialDecay stairs(
      {.initial_learning_rate = 0.1f, .decay_steps = 10, .decay_rate = 0.5f, .staircase = true});
  EXPECT_FLOAT_EQ(stairs(9), 0.1f);
  EXPECT_FLOAT_EQ(stairs(10), 0.05f);
  EXPECT_FLOAT_EQ(stairs(19), 0.05f);
  EXPECT_FLOAT_EQ(stairs(20), 0.025f);
  EXPECT_EQ(stairs.options().decay_steps, 10);
  EXPECT_TRUE(stairs.options().staircase);
}

TEST(InverseTimeDecay, FollowsTheFormula) {
  const S::InverseTimeDecay smooth({.initial_learning_rate = 0.1f, .decay_steps = 10, .decay_rate = 0.5f});
  EXPECT_EQ(smooth.name(), "InverseTimeDecay");
  EXPECT_FLOAT_EQ(smooth(0), 0.1f);
  EXPECT_FLOAT_EQ(smooth(10), 0.1f / 1.5f);
  EXPECT_FLOAT_EQ(smooth(15), 0.1f / 1.75f);
  const S::InverseTimeDecay stairs(
      {.initial_learning_rate = 0.1f, .decay_steps = 10, .decay_rate = 0.5f, .staircase = true});
  EXPECT_FLOAT_EQ(stairs(15), 0.1f / 1.5f);
  EXPECT_FLOAT_EQ(stairs(20), 0.05f);
}

TEST(CosineDecay, FollowsTheFormula) {
  const S::CosineDecay decay({.initial_learning_rate = 1.0f, .decay_steps = 100, .alpha = 0.1f});
  EXPECT_EQ(decay.name(), "CosineDecay");
  EXPECT_FLOAT_EQ(decay(0), 1.0f);
  EXPECT_FLOAT_EQ(decay(50), 0.55f);
  EXPECT_FLOAT_EQ(decay(100), 0.1f);
  EXPECT_FLOAT_EQ(decay(250), 0.1f);  // stays at the floor
  for (int64_t step : {1, 13, 77})
    EXPECT_NEAR(decay(step),
                0.9 * 0.5 * (1 + std::cos(std::numbers::pi * static_cast<double>(step) / 100)) + 0.1, 1e-7)
        << step;
}

TEST(CosineDecay, LinearWarmupThenDecayFromTheTarget) {
  const S::CosineDecay decay(
      {.initial_learning_rate = 0.0f, .decay_steps = 100, .warmup_target = 1.0f, .warmup_steps = 10});
  EXPECT_FLOAT_EQ(decay(0), 0.0f);
  EXPECT_FLOAT_EQ(decay(5), 0.5f);
  EXPECT_FLOAT_EQ(decay(10), 1.0f);
  EXPECT_FLOAT_EQ(decay(60), 0.5f);
  EXPECT_NEAR(decay(110), 0.0f, 1e-7);
  EXPECT_NEAR(decay(5000), 0.0f, 1e-7);
  // A target without warmup steps: the decay starts from the target at once (Keras 3 does the same).
  const S::CosineDecay no_warmup({.initial_learning_rate = 0.5f, .decay_steps = 10, .warmup_target = 2.0f});
  EXPECT_FLOAT_EQ(no_warmup(0), 2.0f);
}

TEST(PiecewiseConstantDecay, BoundariesCloseTheIntervals) {
  const S::PiecewiseConstantDecay pw({.boundaries = {10, 20}, .values = {1.0f, 0.5f, 0.1f}});
  EXPECT_EQ(pw.name(), "PiecewiseConstantDecay");
  EXPECT_FLOAT_EQ(pw(0), 1.0f);
  EXPECT_FLOAT_EQ(pw(10), 1.0f);
  EXPECT_FLOAT_EQ(pw(11), 0.5f);
  EXPECT_FLOAT_EQ(pw(20), 0.5f);
  EXPECT_FLOAT_EQ(pw(21), 0.1f);
  EXPECT_FLOAT_EQ(pw(1'000'000), 0.1f);
  const S::PiecewiseConstantDecay constant({.boundaries = {}, .values = {0.3f}});
  EXPECT_FLOAT_EQ(constant(42), 0.3f);
}

TEST(Schedules, BadArgumentsAreValueErrors) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  expect_contains(
      message_of<ValueError>(
          [] { S::ExponentialDecay({.initial_learning_rate = 0.1f, .decay_steps = 0, .decay_rate = 0.9f}); }),
      {"ExponentialDecay", "decay_steps > 0", "received 0"});
  expect_contains(
      message_of<ValueError>([] {
        S::InverseTimeDecay({.initial_learning_rate = 0.1f, .decay_steps = -5, .decay_rate = 0.9f});
      }),
      {"InverseTimeDecay", "decay_steps > 0", "-5"});
  expect_contains(message_of<ValueError>([] { S::CosineDecay({.initial_learning_rate = 0.1f}); }),
                  {"CosineDecay", "decay_steps > 0", "received 0"});
  expect_contains(
      message_of<ValueError>([] {
        S::ExponentialDecay({.initial_learning_rate = -1.0f, .decay_steps = 5, .decay_rate = 0.9f});
      }),
      {"ExponentialDecay", "initial_learning_rate", "-1"});
  expect_contains(message_of<ValueError>([&] {
                    S::ExponentialDecay({.initial_learning_rate = 0.1f, .decay_steps = 5, .decay_rate = nan});
                  }),
                  {"decay_rate", "nan"});
  expect_contains(message_of<ValueError>([] {
                    S::CosineDecay({.initial_learning_rate = 0.1f, .decay_steps = 5, .warmup_steps = -1});
                  }),
                  {"CosineDecay", "warmup_steps >= 0", "-1"});
  expect_contains(message_of<ValueError>([] {
                    S::PiecewiseConstantDecay({.boundaries = {10, 10}, .values = {1.0f, 0.5f, 0.1f}});
                  }),
                  {"PiecewiseConstantDecay", "strictly increasing", "[10, 10]"});
  expect_contains(message_of<ValueError>([] {
                    S::PiecewiseConstantDecay({.boundaries = {20, 10}, .values = {1.0f, 0.5f, 0.1f}});
                  }),
                  {"strictly increasing", "[20, 10]"});
  expect_contains(message_of<ValueError>([] {
                    S::PiecewiseConstantDecay({.boundaries = {10, 20}, .values = {1.0f, 0.5f}});
                  }),
                  {"PiecewiseConstantDecay", "1 less than the length of values", "of length 2"});
  expect_contains(message_of<ValueError>([&] {
                    S::PiecewiseConstantDecay({.boundaries = {10}, .values = {1.0f, nan}});
                  }),
                  {"PiecewiseConstantDecay", "nan"});
  expect_contains(message_of<ValueError>([] { LearningRate(std::shared_ptr<S::CosineDecay>()); }),
                  {"null schedule"});
}

TEST(ScheduledOptimizer, EvaluatesTheScheduleAtIterations) {
  const S::PiecewiseConstantDecay pw({.boundaries = {1, 3}, .values = {1.0f, 0.5f, 0.25f}});
  SGD sgd({.learning_rate = pw});
  ASSERT_NE(sgd.learning_rate_schedule(), nullptr);
  EXPECT_EQ(sgd.learning_rate_schedule()->name(), "PiecewiseConstantDecay");
  EXPECT_TRUE(sgd.options().learning_rate.is_schedule());
  EXPECT_EQ(sgd.options().learning_rate.schedule(), sgd.learning_rate_schedule());
  Variable w = param({0.0f}, {1.0f});
  Variable* list[] = {&w};
  float expected = 0.0f;
  for (int it = 0; it < 6; ++it) {
    const float lr = pw(it);
    EXPECT_FLOAT_EQ(sgd.learning_rate(), lr) << it;
    EXPECT_FLOAT_EQ(sgd.current_learning_rate(), lr) << it;
    sgd.apply(list);
    expected -= lr;
    EXPECT_FLOAT_EQ(w.value.f32()[0], expected) << it;
  }
}

TEST(ScheduledOptimizer, TimeBasedDecayAppliesOnTopAsInKeras2) {
  Adam adam({.learning_rate =
                 S::ExponentialDecay({.initial_learning_rate = 0.1f, .decay_steps = 1, .decay_rate = 0.5f}),
             .decay = 1.0f});
  Variable w = param({0.0f}, {1.0f});
  Variable* list[] = {&w};
  adam.apply(list);
  adam.apply(list);
  EXPECT_FLOAT_EQ(adam.current_learning_rate(), 0.1f * 0.25f / 3.0f);
}

TEST(ScheduledOptimizer, TheRateCannotBeSet) {
  Nadam nadam({.learning_rate = S::CosineDecay({.initial_learning_rate = 0.1f, .decay_steps = 10})});
  expect_contains(message_of<StateError>([&] { nadam.set_learning_rate(0.01f); }),
                  {"Nadam", "CosineDecay", "cannot be set", "float learning_rate"});
  SGD sgd;
  expect_contains(message_of<ValueError>([&] { sgd.set_learning_rate(-1.0f); }),
                  {"SGD", "learning rate", ">= 0"});
}

TEST(ScheduledOptimizer, ClonesShareTheScheduleAndStepWithoutAllocating) {
  auto schedule = std::make_shared<S::InverseTimeDecay>(
      S::InverseTimeDecayOptions{.initial_learning_rate = 0.1f, .decay_steps = 1, .decay_rate = 1.0f});
  SGD sgd({.learning_rate = schedule, .momentum = 0.9f});
  Variable w = param({1.0f, 2.0f}, {0.5f, -0.5f});
  Variable* list[] = {&w};
  sgd.apply(list);
  auto clone = sgd.clone();
  EXPECT_EQ(clone->learning_rate_schedule(), sgd.learning_rate_schedule());
  EXPECT_FLOAT_EQ(clone->learning_rate(), 0.05f);
  EXPECT_EQ(testing::count_allocations([&] {
              for (int i = 0; i < 5; ++i) sgd.apply(list);
            }).soma,
            0);
  EXPECT_FLOAT_EQ(sgd.learning_rate(), 0.1f / 7.0f);
}

// Keras 2's time-based decay is InverseTimeDecay with decay_steps = 1.
TEST(ScheduledOptimizer, InverseTimeDecayReproducesTheDecayArgument) {
  SGD decayed({.learning_rate = 0.5f, .momentum = 0.5f, .decay = 0.25f});
  SGD scheduled({.learning_rate = S::InverseTimeDecay(
                     {.initial_learning_rate = 0.5f, .decay_steps = 1, .decay_rate = 0.25f}),
                 .momentum = 0.5f});
  Variable a = param({1.0f, -2.0f}, {1.0f, 2.0f});
  Variable b = param({1.0f, -2.0f}, {1.0f, 2.0f});
  Variable* la[] = {&a};
  Variable* lb[] = {&b};
  for (int i = 0; i < 5; ++i) {
    decayed.apply(la);
    scheduled.apply(lb);
  }
  for (int i = 0; i < 2; ++i) EXPECT_NEAR(a.value.f32()[i], b.value.f32()[i], 1e-6f);
}

}  // namespace
}  // namespace soma::optimizers
