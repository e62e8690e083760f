#pragma once
// One optimizer of every class with every option away from its default (so a field a config mapping or a
// state slot forgot shows up), shared by the optimizer tests.
#include <functional>
#include <memory>
#include <vector>

#include "soma/optimizers/adagrad.hpp"
#include "soma/optimizers/adam.hpp"
#include "soma/optimizers/adamw.hpp"
#include "soma/optimizers/nadam.hpp"
#include "soma/optimizers/rmsprop.hpp"
#include "soma/optimizers/schedules.hpp"
#include "soma/optimizers/sgd.hpp"

namespace soma::test {

inline std::vector<std::function<std::unique_ptr<optimizers::Optimizer>()>> makers() {
  using namespace optimizers;
  return {
      [] {
        return std::make_unique<SGD>(SGDOptions{.learning_rate = 0.1f,
                                                .momentum = 0.9f,
                                                .nesterov = true,
                                                .decay = 0.01f,
                                                .clipnorm = 2.0f,
                                                .clipvalue = 0.5f});
      },
      [] {
        return std::make_unique<RMSprop>(RMSpropOptions{.learning_rate = 0.01f,
                                                        .rho = 0.8f,
                                                        .momentum = 0.5f,
                                                        .epsilon = 1e-5f,
                                                        .centered = true,
                                                        .decay = 0.1f,
                                                        .clipnorm = 3.0f});
      },
      [] {
        return std::make_unique<Adam>(AdamOptions{.learning_rate = 0.1f,
                                                  .beta_1 = 0.8f,
                                                  .beta_2 = 0.99f,
                                                  .epsilon = 1e-6f,
                                                  .amsgrad = true,
                                                  .decay = 0.001f,
                                                  .clipvalue = 1.0f});
      },
      [] {
        return std::make_unique<AdamW>(AdamWOptions{
            .learning_rate = schedules::ExponentialDecay(
                {.initial_learning_rate = 0.1f, .decay_steps = 3, .decay_rate = 0.5f, .staircase = true}),
            .weight_decay = 0.01f,
            .amsgrad = true});
      },
      [] {
        return std::make_unique<Adagrad>(AdagradOptions{
            .learning_rate =
                schedules::PiecewiseConstantDecay({.boundaries = {1, 3}, .values = {0.3f, 0.2f, 0.1f}}),
            .initial_accumulator_value = 0.2f,
            .epsilon = 1e-6f});
      },
      [] {
        return std::make_unique<Nadam>(
            NadamOptions{.learning_rate = schedules::CosineDecay({.initial_learning_rate = 0.01f,
                                                                  .decay_steps = 10,
                                                                  .alpha = 0.1f,
                                                                  .warmup_target = 0.1f,
                                                                  .warmup_steps = 2}),
                         .beta_1 = 0.8f});
      },
      [] {
        return std::make_unique<SGD>(
            SGDOptions{.learning_rate = schedules::InverseTimeDecay(
                           {.initial_learning_rate = 0.2f, .decay_steps = 2, .decay_rate = 0.5f})});
      },
  };
}

}  // namespace soma::test
