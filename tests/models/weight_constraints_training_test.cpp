// Constraints, activity regularizers and noise layers inside fit(): constraints hold after training,
// activity penalties join the loss fit and evaluate report and their gradient the update (checked by
// hand with plain SGD), and the noise layers train and leave predict deterministic.
#include <gtest/gtest.h>

#include <cmath>

#include "soma/soma.hpp"
#include "support/allocation_counter.hpp"

namespace soma {
namespace {
namespace L = layers;

std::pair<Tensor, Tensor> regression_data(int64_t n) {
  Tensor x = Tensor::empty({n, 6}), y = Tensor::empty({n, 2});
  for (int64_t i = 0; i < n; ++i) {
    double a = 0, b = 0;
    for (int j = 0; j < 6; ++j) {
      const float v = random::normal(0.0f, 1.0f);
      x.f32()[i * 6 + j] = v;
      a += (j + 1) * v;  // big weights: an unconstrained fit would leave columns of norm > 1
      b -= 2.0 * v;
    }
    y.f32()[i * 2] = static_cast<float>(a);
    y.f32()[i * 2 + 1] = static_cast<float>(b);
  }
  return {x, y};
}

double column_norm(const Tensor& k, int64_t col) {
  double sq = 0;
  for (int64_t r = 0; r < k.dim(0); ++r) sq += std::pow(k.f32()[r * k.dim(1) + col], 2);
  return std::sqrt(sq);
}

TEST(WeightConstraints, MaxNormHoldsAfterFit) {
  set_seed(80);
  auto [x, y] = regression_data(256);
  Sequential m;
  m.add(L::Dense(
      {.units = 8, .activation = "relu", .kernel_constraint = constraints::MaxNorm(1.0f), .input_dim = 6}));
  m.add(L::Dense({.units = 2, .kernel_constraint = constraints::MaxNorm(1.0f)}));
  m.compile({.optimizer = optimizers::Adam({.learning_rate = 0.05f}), .loss = "mse"});
  m.fit(x, y, {.batch_size = 32, .epochs = 5, .verbose = 0});
  bool some_column_at_the_limit = false;
  for (int l = 0; l < 2; ++l) {
    const Tensor& k = static_cast<L::Dense&>(m.layer(l)).kernel().value;
    for (int64_t c = 0; c < k.dim(1); ++c) {
      EXPECT_LE(column_norm(k, c), 1.0 + 1e-5) << "layer " << l << " column " << c;
      some_column_at_the_limit = some_column_at_the_limit || column_norm(k, c) > 0.99;
    }
  }
  EXPECT_TRUE(some_column_at_the_limit);  // the constraint was active, not trivially satisfied
}

TEST(WeightConstraints, NonNegKeepsWeightsNonNegative) {
  set_seed(81);
  auto [x, y] = regression_data(128);
  Sequential m;
  m.add(L::Dense({.units = 2, .kernel_constraint = "non_neg", .bias_constraint = "non_neg", .input_dim = 6}));
  m.compile({.optimizer = "sgd", .loss = "mse"});
  m.fit(x, y, {.batch_size = 16, .epochs = 3, .verbose = 0});
  auto& d = static_cast<L::Dense&>(m.layer(0));
  int zeros = 0;
  for (float v : d.kernel().value.span<float>()) {
    EXPECT_GE(v, 0.0f);
    zeros += v == 0.0f;
  }
  for (float v : d.bias()->value.span<float>()) EXPECT_GE(v, 0.0f);
  EXPECT_GT(zeros, 0);  // the second output wants negative weights: they were clipped
}

TEST(ActivityRegularizers, PenaltyInLossAndGradient) {
  Sequential m;
  m.add(L::Dense({.units = 1, .activity_regularizer = regularizers::L2(0.5f), .input_dim = 2}));
  m.compile({.optimizer = optimizers::SGD({.learning_rate = 0.1f}), .loss = "mse"});
  auto& d = static_cast<L::Dense&>(m.layer(0));
  d.kernel().value.copy_from(Tensor::from_vector<float>({0.5f, -1.0f}, {2, 1}));
  d.bias()->value.copy_from(Tensor::from_vector<float>({0.25f}, {1}));
  const Tensor x = Tensor::from_vector<float>({1.0f, 2.0f}, {1, 2}),
               y = Tensor::from_vector<float>({0.0f}, {1, 1});
  // pred = -1.25; mse = 1.5625; activity = 0.5 * 1.5625 / 1 = 0.78125
  EXPECT_NEAR(m.evaluate(x, y, {.verbose = 0}).at("loss"), 1.5625 + 0.78125, 1e-6);
  const History h = m.fit(x, y, {.batch_size = 1, .epochs = 1, .verbose = 0, .shuffle = false});
  EXPECT_NEAR(h.last("loss"), 1.5625 + 0.78125, 1e-6);
  // d(loss)/d(pred) = 2 * -1.25 + 2 * 0.5 * -1.25 = -3.75
  EXPECT_NEAR(d.kernel().value.f32()[0], 0.5f + 0.375f, 1e-6);
  EXPECT_NEAR(d.kernel().value.f32()[1], -1.0f + 0.75f, 1e-6);
  EXPECT_NEAR(d.bias()->value.f32()[0], 0.25f + 0.375f, 1e-6);
}

TEST(ActivityRegularizers, EvaluateAveragesThePerBatchPenaltyOverSamples) {
  // ActivityRegularization after a fixed linear layer: the penalty of each batch divided by its size,
  // weighted by the batch's share of the samples, as Keras averages the loss.
  Sequential m;
  m.add(L::Dense(
      {.units = 1, .use_bias = false, .kernel_initializer = initializers::Constant(1.0f), .input_dim = 1}));
  m.add(L::ActivityRegularization({.l1 = 0.1f}));
  m.compile({.optimizer = "sgd", .loss = "mae"});
  const Tensor x = Tensor::from_vector<float>({1, 2, 3}, {3, 1}),
               y = Tensor::from_vector<float>({1, 2, 3}, {3, 1});
  // batches {1, 2} and {3}: penalties 0.1 * 3 / 2 and 0.1 * 3 / 1; mae 0.
  const double expected = (0.15 * 2 + 0.3 * 1) / 3;
  EXPECT_NEAR(m.evaluate(x, y, {.batch_size = 2, .verbose = 0}).at("loss"), expected, 1e-6);
}

TEST(NoiseLayersInFit, TrainAndLeavePredictDeterministic) {
  set_seed(82);
  Sequential m;
  m.add(L::Conv1D({.filters = 4, .kernel_size = {3}, .padding = "same", .input_shape = {10, 2}}));
  m.add(L::SpatialDropout1D(0.2f));
  m.add(L::GaussianNoise(0.1f));
  m.add(L::Flatten());
  m.add(L::GaussianDropout(0.1f));
  m.add(L::Dense({.units = 1}));
  m.compile({.optimizer = "adam", .loss = "mse"});
  Tensor x = Tensor::empty({64, 10, 2}), y = Tensor::empty({64, 1});
  for (auto& v : x.span<float>()) v = random::normal(0.0f, 1.0f);
  for (int64_t i = 0; i < 64; ++i) y.f32()[i] = x.f32()[i * 20] - x.f32()[i * 20 + 3];
  const History h = m.fit(x, y, {.batch_size = 16, .epochs = 20, .verbose = 0});
  EXPECT_LT(h["loss"].back(), h["loss"].front());
  EXPECT_EQ(m.predict(x).to_vector<float>(), m.predict(x).to_vector<float>());
}

// Constraints, activity penalties and noise keep fit's promise: a step allocates nothing once shapes are
// seen.
TEST(WeightConstraints, TrainingStepsStillDoNotAllocate) {
  if (!testing::kCountsMalloc)
    GTEST_SKIP() << "the sanitizer runtime owns malloc here; the release build checks this";
  set_seed(83);
  auto [x, y] = regression_data(640);
  const Tensor x_small = x.rows(0, 160), y_small = y.rows(0, 160);
  Sequential m;
  m.add(L::GaussianNoise({.stddev = 0.1f, .input_shape = {6}}));
  m.add(L::Dense({.units = 16,
                  .activation = "relu",
                  .activity_regularizer = regularizers::L1(1e-4f),
                  .kernel_constraint = constraints::MaxNorm(2.0f),
                  .bias_constraint = "non_neg"}));
  m.add(L::GaussianDropout(0.1f));
  m.add(L::Dense({.units = 2, .kernel_constraint = constraints::UnitNorm()}));
  m.compile({.optimizer = "adam", .loss = "mse"});
  m.fit(x, y, {.batch_size = 16, .epochs = 1, .verbose = 0});
  const auto small =
      testing::count_allocations([&] { m.fit(x_small, y_small, {.batch_size = 16, .verbose = 0}); });
  const auto large = testing::count_allocations([&] { m.fit(x, y, {.batch_size = 16, .verbose = 0}); });
  EXPECT_EQ(large.soma, small.soma);
}

}  // namespace
}  // namespace soma
