// fit() and evaluate() compute one loss formula for the same weights. The loss used to fuse with the
// softmax/sigmoid that produced y_pred (working from logits) only when a tape existed, so fit's loss and
// evaluate's (or val_loss) differed wherever probabilities were clipped: 33.75 vs 14.59 (categorical) and
// 15.00 vs 8.96 (binary) with learning rate 0 on the same data.
#include <gtest/gtest.h>

#include "soma/layers/dense.hpp"
#include "soma/models/sequential.hpp"
#include "soma/optimizers/sgd.hpp"
#include "support/gradcheck.hpp"

namespace soma {
namespace {

struct Case {
  const char* loss;
  const char* activation;
  int64_t units;
};

class FitEvaluateLoss : public ::testing::TestWithParam<Case> {};

TEST_P(FitEvaluateLoss, AgreeWithLearningRateZero) {
  const Case c = GetParam();
  set_seed(51);
  const int64_t n = 64;
  // Large inputs and weights: logits of tens, probabilities far beyond the clipping bounds.
  const Tensor x = testing::random_tensor({n, 6}, -20.0f, 20.0f);
  Tensor y = Tensor::zeros({n, c.units});
  Tensor labels = Tensor::zeros({n}, DType::int64);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t k = i % c.units;
    labels.data<int64_t>()[i] = k;
    y.f32()[i * c.units + k] = 1.0f;
    if (c.units == 1) y.f32()[i] = static_cast<float>(i % 2);
  }
  const Tensor& target = std::string(c.loss) == "sparse_categorical_crossentropy" ? labels : y;
  Sequential m;
  m.add(layers::Dense({.units = 16, .activation = "relu", .input_shape = {6}}));
  m.add(layers::Dense({.units = c.units, .activation = c.activation}));
  m.compile({.optimizer = optimizers::SGD({.learning_rate = 0.0f}), .loss = c.loss, .metrics = {"accuracy"}});
  for (auto* w : m.weights())
    for (auto& v : w->value.span<float>()) v = random::uniform(-2.0f, 2.0f);
  const auto history = m.fit(x, target, {.batch_size = 16, .epochs = 1, .verbose = 0,
                                         .validation_data = {{x, target}}, .shuffle = false});
  const auto eval = m.evaluate(x, target, {.batch_size = 16, .verbose = 0});
  const double fit_loss = history.history.at("loss")[0], val_loss = history.history.at("val_loss")[0];
  EXPECT_GT(fit_loss, 17.0) << "the case must reach beyond the clipped maximum -log(1e-7) = 16.1";
  EXPECT_NEAR(fit_loss, eval.at("loss"), 1e-5 * fit_loss);
  EXPECT_NEAR(val_loss, eval.at("loss"), 1e-9 * fit_loss);
  EXPECT_DOUBLE_EQ(history.history.at("accuracy")[0], eval.at("accuracy"));
}

INSTANTIATE_TEST_SUITE_P(Losses, FitEvaluateLoss,
                         ::testing::Values(Case{"categorical_crossentropy", "softmax", 5},
                                           Case{"sparse_categorical_crossentropy", "softmax", 5},
                                           Case{"binary_crossentropy", "sigmoid", 1}));

}  // namespace
}  // namespace soma
