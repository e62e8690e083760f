// Per-sample loss weights (Keras' sample_weight): each sample's loss times its weight, summed and divided
// by the batch size ("sum_over_batch_size"), for every loss and every code path, with gradient checks.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <vector>

#include "soma/autograd/ops/activation_op.hpp"
#include "soma/losses/loss.hpp"
#include "support/error_matchers.hpp"
#include "support/gradcheck.hpp"

namespace soma {
namespace {

using autograd::Tape;
using autograd::Variable;
using testing::gradcheck;
using testing::random_tensor;

Tensor one_hot_rows(const std::vector<int64_t>& labels, int64_t classes) {
  Tensor t({static_cast<int64_t>(labels.size()), classes});
  for (size_t i = 0; i < labels.size(); ++i) t.f32()[static_cast<int64_t>(i) * classes + labels[i]] = 1.0f;
  return t;
}

TEST(SampleWeight, HandComputedValues) {
  Variable p(Tensor::from_vector<float>({0.7f, 0.2f, 0.1f, 0.1f, 0.1f, 0.8f}, {2, 3}));
  const std::vector<float> w = {0.5f, 2.0f};
  losses::CategoricalCrossentropy cce;
  EXPECT_NEAR(cce.forward(nullptr, p, one_hot_rows({0, 2}, 3), w).value.item(),
              -(0.5 * std::log(0.7) + 2.0 * std::log(0.8)) / 2, 1e-6);
  losses::SparseCategoricalCrossentropy scce;
  EXPECT_NEAR(scce.forward(nullptr, p, Tensor::from_vector<int64_t>({0, 2}, {2}), w).value.item(),
              -(0.5 * std::log(0.7) + 2.0 * std::log(0.8)) / 2, 1e-6);

  Variable q(Tensor::from_vector<float>({0.9f, 0.2f}, {2, 1}));
  const Tensor y = Tensor::from_vector<float>({1.0f, 0.0f}, {2, 1});
  const std::vector<float> v = {3.0f, 0.0f};
  losses::BinaryCrossentropy bce;
  EXPECT_NEAR(bce.forward(nullptr, q, y, v).value.item(), -3.0 * std::log(0.9) / 2, 1e-5);
  losses::MeanSquaredError mse;
  EXPECT_NEAR(mse.forward(nullptr, q, y, v).value.item(), 3.0 * 0.01 / 2, 1e-7);
  losses::MeanAbsoluteError mae;
  EXPECT_NEAR(mae.forward(nullptr, q, y, v).value.item(), 3.0 * 0.1 / 2, 1e-7);

  // Two columns: each sample's loss is the mean over its columns, then weighted.
  Variable r(Tensor::from_vector<float>({1.0f, 3.0f, 0.0f, 2.0f}, {2, 2}));
  const Tensor t = Tensor::zeros({2, 2});
  EXPECT_NEAR(mse.forward(nullptr, r, t, std::vector<float>{2.0f, 0.5f}).value.item(),
              (2.0 * (1 + 9) / 2 + 0.5 * (0 + 4) / 2) / 2, 1e-6);
}

// Every loss: the weighted value equals sum_i w_i * loss(sample i) / n, computed one sample at a time.
TEST(SampleWeight, EqualsTheWeightedMeanOfPerSampleLosses) {
  set_seed(31);
  const int64_t n = 5, classes = 4;
  const std::vector<float> w = {0.0f, 1.0f, 2.5f, 0.25f, 1.0f};
  const std::vector<int64_t> labels = {3, 0, 1, 1, 2};
  Tensor probs = random_tensor({n, classes}, 0.05f, 1.0f);
  Tensor binary = Tensor::empty({n, classes});
  for (auto& x : binary.span<float>()) x = random::uniform(0.0f, 1.0f) < 0.5f ? 0.0f : 1.0f;
  struct Case {
    std::shared_ptr<losses::Loss> loss;
    Tensor y;
  };
  const Tensor sparse = Tensor::from_vector<int64_t>(labels, {n});
  const std::vector<Case> cases = {
      {std::make_shared<losses::CategoricalCrossentropy>(), one_hot_rows(labels, classes)},
      {std::make_shared<losses::CategoricalCrossentropy>(losses::LossOptions{.from_logits = true}),
       one_hot_rows(labels, classes)},
      {std::make_shared<losses::SparseCategoricalCrossentropy>(), sparse},
      {std::make_shared<losses::BinaryCrossentropy>(), binary},
      {std::make_shared<losses::BinaryCrossentropy>(losses::LossOptions{.from_logits = true}), binary},
      {std::make_shared<losses::MeanSquaredError>(), random_tensor({n, classes})},
      {std::make_shared<losses::MeanAbsoluteError>(), random_tensor({n, classes})}};
  for (const auto& c : cases) {
    Variable p(probs.clone());
    double expected = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      Variable row(probs.rows(i, i + 1).clone());
      expected +=
          w[static_cast<size_t>(i)] * c.loss->forward(nullptr, row, c.y.rows(i, i + 1).clone()).value.item();
    }
    expected /= static_cast<double>(n);
    EXPECT_NEAR(c.loss->forward(nullptr, p, c.y, w).value.item(), expected, 1e-5 * (1 + std::fabs(expected)))
        << c.loss->name();
    // All weights 2: exactly twice the unweighted loss.
    const float plain = c.loss->forward(nullptr, p, c.y).value.item();
    EXPECT_FLOAT_EQ(c.loss->forward(nullptr, p, c.y, std::vector<float>(n, 2.0f)).value.item(), 2.0f * plain)
        << c.loss->name();
  }
}

TEST(SampleWeight, GradientsOfEveryPath) {
  set_seed(32);
  const std::vector<float> w = {0.5f, 0.0f, 2.0f, 1.0f};
  const Tensor onehot = one_hot_rows({0, 3, 4, 1}, 5);
  const Tensor labels = Tensor::from_vector<int64_t>({0, 3, 4, 1}, {4});
  Variable p(random_tensor({4, 5}, 0.1f, 0.9f), true);
  Variable z(random_tensor({4, 5}, -3.0f, 3.0f), true);
  autograd::ActivationOp act;
  const auto softmax = activations::get("softmax"), sigmoid = activations::get("sigmoid");

  losses::CategoricalCrossentropy cce;
  gradcheck([&](Tape* t, auto& in) -> Variable& { return cce.forward(t, *in[0], onehot, w); }, {&p});
  gradcheck([&](Tape* t,
                auto& in) -> Variable& { return cce.forward(t, act.forward(t, *in[0], softmax), onehot, w); },
            {&z});
  losses::SparseCategoricalCrossentropy scce({.from_logits = true});
  gradcheck([&](Tape* t, auto& in) -> Variable& { return scce.forward(t, *in[0], labels, w); }, {&z});
  const Tensor y01 =
      Tensor::from_vector<float>({1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 0, 1, 1, 0, 1, 0, 1, 0}, {4, 5});
  losses::BinaryCrossentropy bce;
  gradcheck([&](Tape* t, auto& in) -> Variable& { return bce.forward(t, *in[0], y01, w); }, {&p});
  gradcheck(
      [&](Tape* t, auto& in) -> Variable& { return bce.forward(t, act.forward(t, *in[0], sigmoid), y01, w); },
      {&z});
  const Tensor target = random_tensor({4, 5});
  losses::MeanSquaredError mse;
  gradcheck([&](Tape* t, auto& in) -> Variable& { return mse.forward(t, *in[0], target, w); }, {&z});
  losses::MeanAbsoluteError mae;
  gradcheck([&](Tape* t, auto& in) -> Variable& { return mae.forward(t, *in[0], target, w); }, {&z});

  // A zero weight: that sample's gradient is exactly zero.
  Tape tape;
  tape.backward(cce.forward(&tape, p, onehot, w));
  for (int64_t c = 0; c < 5; ++c) EXPECT_EQ(p.grad.f32()[5 + c], 0.0f);
}

// (batch, steps, classes) predictions: a sample's weight covers all of its steps.
TEST(SampleWeight, SequenceOutputsShareTheSampleWeight) {
  set_seed(33);
  Variable p(random_tensor({2, 3, 4}, 0.05f, 1.0f));
  const Tensor labels = Tensor::from_vector<int64_t>({0, 1, 2, 3, 0, 1}, {2, 3});
  losses::SparseCategoricalCrossentropy scce;
  const float first_only = scce.forward(nullptr, p, labels, std::vector<float>{1.0f, 0.0f}).value.item();
  Variable head(p.value.rows(0, 1).clone());
  const float first = scce.forward(nullptr, head, labels.rows(0, 1).clone()).value.item();
  EXPECT_NEAR(first_only, first / 2, 1e-6);
}

TEST(SampleWeight, WrongCountIsAShapeError) {
  Variable p(Tensor::full({3, 2}, 0.5f));
  losses::MeanSquaredError mse;
  test::expect_contains(test::message_of<ShapeError>([&] {
                          mse.forward(nullptr, p, Tensor::zeros({3, 2}), std::vector<float>{1, 1});
                        }),
                        {"mean_squared_error", "one sample weight per sample", "3", "(3, 2)", "received 2"});
}

}  // namespace
}  // namespace soma
