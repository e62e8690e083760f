// Optimizer configs (get_config / serialize / deserialize) and state (state / set_state): an optimizer
// rebuilt from its config and state continues exactly as the original.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>

#include "soma/optimizers/adagrad.hpp"
#include "soma/optimizers/adam.hpp"
#include "soma/optimizers/adamw.hpp"
#include "soma/optimizers/nadam.hpp"
#include "soma/optimizers/rmsprop.hpp"
#include "soma/optimizers/sgd.hpp"
#include "support/error_matchers.hpp"
#include "support/optimizer_makers.hpp"

namespace soma::optimizers {
namespace {

using autograd::Variable;
using test::expect_contains;
using test::message_of;

using test::makers;

void step(Optimizer& opt, Variable& a, Variable& b, float g) {
  a.grad = Tensor::from_vector(std::vector<float>{g, -2 * g, 0.5f});
  b.grad = Tensor::from_vector(std::vector<float>{-g, 3 * g});
  Variable* list[] = {&a, &b};
  opt.apply(list);
}

TEST(OptimizerConfig, ConfigRoundTripsEveryOption) {
  for (const auto& make : makers()) {
    auto opt = make();
    const Config spec = serialize(*opt);
    SCOPED_TRACE(spec.dump());
    EXPECT_EQ(spec["class_name"], opt->name());
    auto copy = deserialize(Config::parse(spec.dump()));
    EXPECT_EQ(copy->name(), opt->name());
    EXPECT_EQ(copy->get_config(), opt->get_config());
  }
}

TEST(OptimizerConfig, ConfigCarriesTheCurrentLearningRate) {
  Adam opt;
  opt.set_learning_rate(0.25f);
  EXPECT_EQ(opt.get_config()["learning_rate"].get<float>(), 0.25f);
}

TEST(OptimizerState, RestoredOptimizerContinuesIdentically) {
  for (const auto& make : makers()) {
    auto original = make();
    SCOPED_TRACE(original->name());
    Variable a(Tensor::from_vector(std::vector<float>{0.5f, -1.0f, 2.0f}), true, "a");
    Variable b(Tensor::from_vector(std::vector<float>{1.0f, 0.25f}), true, "b");
    EXPECT_TRUE(original->state().empty()) << "no state before the first update";
    step(*original, a, b, 0.3f);
    step(*original, a, b, -0.7f);

    // Rebuild from config + state, as load_model does, on copies of the parameters.
    auto restored = deserialize(serialize(*original));
    Variable a2(a.value.clone(), true, "a"), b2(b.value.clone(), true, "b");
    std::vector<std::pair<std::string, Tensor>> saved;
    for (auto& [name, t] : original->state()) saved.emplace_back(name, t.clone());
    Variable* params2[] = {&a2, &b2};
    restored->set_state(params2, original->iterations(), saved);
    EXPECT_EQ(restored->iterations(), 2);

    for (float g : {0.9f, -0.1f, 0.4f}) {
      step(*original, a, b, g);
      step(*restored, a2, b2, g);
    }
    EXPECT_EQ(a.value.to_vector<float>(), a2.value.to_vector<float>());
    EXPECT_EQ(b.value.to_vector<float>(), b2.value.to_vector<float>());
  }
}

TEST(OptimizerState, StateNamesSlotsAndParameters) {
  Adam opt({.amsgrad = false});
  Variable a(Tensor::zeros({3}), true, "a"), b(Tensor::zeros({2}), true, "b");
  step(opt, a, b, 1.0f);
  std::vector<std::string> names;
  for (auto& [name, t] : opt.state()) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"m/a", "m/b", "v/a", "v/b"}));
}

TEST(OptimizerState, MismatchedStateIsAValueError) {
  SGD opt({.momentum = 0.9f});
  Variable a(Tensor::zeros({3}), true, "a"), b(Tensor::zeros({2}), true, "b");
  Variable* params[] = {&a, &b};
  expect_contains(
      message_of<ValueError>([&] {
        opt.set_state(params, 1, {{"velocity/a", Tensor::zeros({4})}, {"velocity/b", Tensor::zeros({2})}});
      }),
      {"SGD", "\"velocity/a\" has shape"});
  EXPECT_FALSE(opt.built()) << "a failed restore leaves the optimizer as new";
  expect_contains(message_of<ValueError>([&] {
                    opt.set_state(params, 1,
                                  {{"velocity/a", Tensor::zeros({3})},
                                   {"velocity/b", Tensor::zeros({2})},
                                   {"m/a", Tensor::zeros({3})}});
                  }),
                  {"\"m/a\" is not state this optimizer has"});
  expect_contains(message_of<ValueError>([&] {
                    opt.set_state(params, 1, {{"velocity/c", Tensor::zeros({3})}});
                  }),
                  {"\"velocity/c\" is not state this optimizer has for any of the given parameters"});
  // Adam keeps two slots per parameter: one without the other is a broken file.
  Adam adam;
  expect_contains(message_of<ValueError>([&] { adam.set_state(params, 1, {{"m/a", Tensor::zeros({3})}}); }),
                  {"Adam", "\"v/a\" is missing"});
  expect_contains(message_of<ValueError>([&] { opt.set_state(params, -1, {}); }), {"iterations is negative"});
}

TEST(OptimizerConfig, BadConfigsAreValueErrors) {
  expect_contains(message_of<ValueError>([] {
                    deserialize(Config{{"class_name", "Adamax"}});
                  }),
                  {"unknown optimizer class \"Adamax\"", "Adam"});
  expect_contains(message_of<ValueError>([] { deserialize(Config::array()); }), {"class_name"});
  expect_contains(message_of<ValueError>([] {
                    deserialize(Config{{"class_name", "SGD"}, {"config", {{"lr", 0.1}}}});
                  }),
                  {"SGD config", "unknown argument \"lr\"", "learning_rate"});
  expect_contains(message_of<ValueError>([] {
                    deserialize(Config{{"class_name", "Adam"}, {"config", {{"beta_1", "high"}}}});
                  }),
                  {"Adam config"});
  expect_contains(message_of<ValueError>([] {
                    deserialize(Config{{"class_name", "Adam"}, {"config", {{"beta_1", 1.5}}}});
                  }),
                  {"beta_1", "[0, 1)"});
  expect_contains(message_of<ValueError>([] {
                    deserialize(Config{{"class_name", "SGD"},
                                       {"config", {{"learning_rate", {{"class_name", "StepDecay"}}}}}});
                  }),
                  {"unknown schedule class \"StepDecay\"", "CosineDecay"});
  expect_contains(
      message_of<ValueError>([] {
        deserialize(Config{
            {"class_name", "SGD"},
            {"config",
             {{"learning_rate", {{"class_name", "ExponentialDecay"}, {"config", {{"decay_steps", 0}}}}}}}});
      }),
      {"decay_steps"});
}

// A user-defined schedule trains but cannot be written to a file; saying so beats writing half a config.
struct Halving final : schedules::LearningRateSchedule {
  std::string name() const override { return "Halving"; }
  float operator()(int64_t step) const override {
    return 0.1f / static_cast<float>(1 << std::min<int64_t>(step, 20));
  }
};

TEST(OptimizerConfig, UserSchedulesCannotBeSaved) {
  SGD opt({.learning_rate = Halving()});
  expect_contains(message_of<NotImplementedError>([&] { serialize(opt); }), {"Halving", "cannot be saved"});
}

}  // namespace
}  // namespace soma::optimizers
