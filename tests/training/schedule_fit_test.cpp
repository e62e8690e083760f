// A learning-rate schedule through fit(): the optimizer follows it step by step, and the callbacks that
// set the learning rate refuse a schedule up front, as Keras does.
#include <gtest/gtest.h>

#include "soma/core/random.hpp"
#include "soma/layers/dense.hpp"
#include "soma/models/sequential.hpp"
#include "soma/optimizers/adam.hpp"
#include "soma/optimizers/schedules.hpp"
#include "soma/optimizers/sgd.hpp"
#include "soma/training/callbacks.hpp"
#include "support/error_matchers.hpp"

namespace soma {
namespace {

namespace S = optimizers::schedules;

std::pair<Tensor, Tensor> line(int64_t n) {
  Tensor x = Tensor::empty({n, 2}), y = Tensor::empty({n, 1});
  for (int64_t i = 0; i < n; ++i) {
    x.f32()[2 * i] = random::uniform(-1, 1);
    x.f32()[2 * i + 1] = random::uniform(-1, 1);
    y.f32()[i] = 2 * x.f32()[2 * i] - x.f32()[2 * i + 1];
  }
  return {x, y};
}

Sequential regression(optimizers::LearningRate lr) {
  Sequential m;
  m.add(layers::Dense({.units = 1, .input_dim = 2}));
  m.compile({.optimizer = optimizers::SGD({.learning_rate = std::move(lr)}), .loss = "mse"});
  return m;
}

TEST(ScheduleFit, FollowsTheScheduleEveryStep) {
  set_seed(60);
  auto [x, y] = line(64);
  const S::CosineDecay cosine({.initial_learning_rate = 0.0f,
                               .decay_steps = 40,
                               .alpha = 0.1f,
                               .warmup_target = 0.2f,
                               .warmup_steps = 8});
  Sequential m = regression(cosine);
  std::vector<float> rates;
  const History h =
      m.fit(x, y,
            {.batch_size = 16,
             .epochs = 12,
             .verbose = 0,
             .callbacks = {callbacks::LambdaCallback({.on_epoch_begin = [&](Model& s, int) {
               rates.push_back(s.optimizer().current_learning_rate());
             }})}});
  EXPECT_EQ(m.optimizer().iterations(), 48);
  ASSERT_EQ(rates.size(), 12u);
  for (size_t epoch = 0; epoch < rates.size(); ++epoch)
    EXPECT_FLOAT_EQ(rates[epoch], cosine(static_cast<int64_t>(epoch) * 4)) << epoch;
  EXPECT_FLOAT_EQ(m.optimizer().learning_rate(), cosine(48));
  EXPECT_LT(h.last("loss"), 0.25 * h["loss"].front());
}

// Same data, same seed: a PiecewiseConstantDecay that keeps one value trains exactly like that float.
TEST(ScheduleFit, ConstantScheduleEqualsTheFloat) {
  auto train = [](optimizers::LearningRate lr) {
    set_seed(61);
    auto [x, y] = line(32);
    Sequential m = regression(std::move(lr));
    m.fit(x, y, {.batch_size = 8, .epochs = 3, .verbose = 0});
    return m.get_weights();
  };
  const auto a = train(0.05f);
  const auto b = train(S::PiecewiseConstantDecay({.boundaries = {5}, .values = {0.05f, 0.05f}}));
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].to_vector<float>(), b[i].to_vector<float>());
}

TEST(ScheduleFit, CallbacksThatSetTheRateRefuseASchedule) {
  set_seed(62);
  auto [x, y] = line(16);
  Sequential m =
      regression(S::ExponentialDecay({.initial_learning_rate = 0.1f, .decay_steps = 10, .decay_rate = 0.9f}));
  test::expect_contains(
      test::message_of<StateError>(
          [&] { m.fit(x, y, {.epochs = 2, .verbose = 0, .callbacks = {callbacks::ReduceLROnPlateau()}}); }),
      {"ReduceLROnPlateau", "ExponentialDecay", "float learning_rate"});
  EXPECT_EQ(m.optimizer().iterations(), 0);  // refused before any step
  test::expect_contains(
      test::message_of<StateError>([&] {
        m.fit(x, y,
              {.epochs = 2, .verbose = 0, .callbacks = {callbacks::LearningRateScheduler([](int, double lr) {
                                            return lr;
                                          })}});
      }),
      {"LearningRateScheduler", "ExponentialDecay"});
  EXPECT_EQ(m.optimizer().iterations(), 0);
}

}  // namespace
}  // namespace soma
