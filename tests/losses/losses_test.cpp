// Losses: values against hand-computed Keras formulas, gradient checks for every code path (from
// probabilities, from logits, fused with the producing softmax/sigmoid), and errors.
#include <cmath>

#include "soma/autograd/ops/activation_op.hpp"
#include "soma/losses/loss.hpp"
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

TEST(LossValues, CategoricalCrossentropyFromProbabilities) {
  Variable p(Tensor::from_vector<float>({0.7f, 0.2f, 0.1f, 0.1f, 0.1f, 0.8f}, {2, 3}));
  const Tensor y = one_hot_rows({0, 2}, 3);
  losses::CategoricalCrossentropy loss;
  EXPECT_NEAR(loss.forward(nullptr, p, y).value.item(), -(std::log(0.7) + std::log(0.8)) / 2, 1e-6);
}

TEST(LossValues, SparseMatchesCategorical) {
  set_seed(20);
  Variable p(random_tensor({4, 5}, 0.05f, 1.0f));
  losses::CategoricalCrossentropy cce;
  losses::SparseCategoricalCrossentropy scce;
  const float a = cce.forward(nullptr, p, one_hot_rows({1, 4, 0, 2}, 5)).value.item();
  const float b = scce.forward(nullptr, p, Tensor::from_vector<int64_t>({1, 4, 0, 2}, {4})).value.item();
  EXPECT_NEAR(a, b, 1e-6);
}

TEST(LossValues, BinaryCrossentropyAndMse) {
  Variable p(Tensor::from_vector<float>({0.9f, 0.2f}, {2, 1}));
  const Tensor y = Tensor::from_vector<float>({1.0f, 0.0f}, {2, 1});
  losses::BinaryCrossentropy bce;
  EXPECT_NEAR(bce.forward(nullptr, p, y).value.item(), -(std::log(0.9) + std::log(0.8)) / 2, 1e-5);
  losses::MeanSquaredError mse;
  EXPECT_NEAR(mse.forward(nullptr, p, y).value.item(), (0.01 + 0.04) / 2, 1e-7);
  losses::MeanAbsoluteError mae;
  EXPECT_NEAR(mae.forward(nullptr, p, y).value.item(), (0.1 + 0.2) / 2, 1e-7);
}

TEST(LossValues, FromLogitsIsStableForHugeLogits) {
  Variable z(Tensor::from_vector<float>({1000.0f, -1000.0f, 0.0f}, {1, 3}));
  losses::CategoricalCrossentropy loss({.from_logits = true});
  EXPECT_NEAR(loss.forward(nullptr, z, one_hot_rows({1}, 3)).value.item(), 2000.0f, 1e-3);
  losses::BinaryCrossentropy bce({.from_logits = true});
  Variable zb(Tensor::from_vector<float>({1000.0f, -1000.0f}, {2, 1}));
  EXPECT_NEAR(bce.forward(nullptr, zb, Tensor::from_vector<float>({1.0f, 1.0f}, {2, 1})).value.item(), 500.0f, 1e-3);
}

// Probabilities away from the clipping bounds, so the gradient is smooth where we probe it.
Variable probabilities(const Shape& s) {
  Variable v(random_tensor(s, 0.1f, 0.9f), true);
  return v;
}

TEST(LossGrad, CategoricalFromProbabilities) {
  set_seed(21);
  Variable p = probabilities({4, 5});
  const Tensor y = one_hot_rows({0, 3, 4, 1}, 5);
  losses::CategoricalCrossentropy loss;
  gradcheck([&](Tape* t, auto& in) -> Variable& { return loss.forward(t, *in[0], y); }, {&p});
}

TEST(LossGrad, CategoricalFusedWithSoftmaxWritesTheLogitsGradient) {
  set_seed(22);
  Variable z(random_tensor({4, 5}, -3.0f, 3.0f), true);
  const Tensor y = one_hot_rows({0, 3, 4, 1}, 5);
  autograd::ActivationOp softmax;
  losses::CategoricalCrossentropy loss;
  const auto act = activations::get("softmax");
  gradcheck([&](Tape* t, auto& in) -> Variable& { return loss.forward(t, softmax.forward(t, *in[0], act), y); }, {&z});
  // Fused: the softmax output itself received no gradient, its input did.
  Tape tape;
  Variable& probs = softmax.forward(&tape, z, act);
  tape.backward(loss.forward(&tape, probs, y));
  EXPECT_FALSE(tape.has_grad(probs));
  EXPECT_TRUE(tape.has_grad(z));
}

TEST(LossGrad, SparseFusedAndFromLogits) {
  set_seed(23);
  Variable z(random_tensor({3, 4}, -3.0f, 3.0f), true);
  const Tensor labels = Tensor::from_vector<int64_t>({3, 0, 2}, {3});
  losses::SparseCategoricalCrossentropy logits_loss({.from_logits = true});
  gradcheck([&](Tape* t, auto& in) -> Variable& { return logits_loss.forward(t, *in[0], labels); }, {&z});
  autograd::ActivationOp softmax;
  losses::SparseCategoricalCrossentropy loss;
  gradcheck(
      [&](Tape* t, auto& in) -> Variable& {
        return loss.forward(t, softmax.forward(t, *in[0], activations::get("softmax")), labels);
      },
      {&z});
}

TEST(LossGrad, BinaryFromProbabilitiesAndFusedWithSigmoid) {
  set_seed(24);
  const Tensor y = Tensor::from_vector<float>({1, 0, 1, 0, 0, 1}, {3, 2});
  Variable p = probabilities({3, 2});
  losses::BinaryCrossentropy loss;
  gradcheck([&](Tape* t, auto& in) -> Variable& { return loss.forward(t, *in[0], y); }, {&p});
  Variable z(random_tensor({3, 2}, -3.0f, 3.0f), true);
  autograd::ActivationOp sigmoid;
  gradcheck(
      [&](Tape* t, auto& in) -> Variable& {
        return loss.forward(t, sigmoid.forward(t, *in[0], activations::get("sigmoid")), y);
      },
      {&z});
}

TEST(LossGrad, MeanSquaredAndAbsoluteError) {
  set_seed(25);
  Variable p(random_tensor({4, 3}), true);
  const Tensor y = random_tensor({4, 3});
  losses::MeanSquaredError mse;
  gradcheck([&](Tape* t, auto& in) -> Variable& { return mse.forward(t, *in[0], y); }, {&p});
  losses::MeanAbsoluteError mae;
  gradcheck([&](Tape* t, auto& in) -> Variable& { return mae.forward(t, *in[0], y); }, {&p});
}

template <class E>
void expect_error(const std::function<void()>& f, const std::vector<std::string>& parts) {
  try {
    f();
    FAIL() << "expected an exception";
  } catch (const E& e) {
    for (const auto& part : parts) EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(LossErrors, UnknownName) {
  expect_error<ValueError>([] { losses::get("categorical_crossentropyy"); },
                           {"unknown loss \"categorical_crossentropyy\"", "binary_crossentropy"});
}

TEST(LossErrors, TargetShapeMismatchSuggestsTheSparseLoss) {
  Variable p(Tensor({8, 10}));
  losses::CategoricalCrossentropy loss;
  expect_error<ShapeError>([&] { loss.forward(nullptr, p, Tensor({8})); },
                           {"categorical_crossentropy", "(8,)", "(8, 10)", "sparse_categorical_crossentropy"});
}

TEST(LossErrors, SparseLabelOutOfRange) {
  Variable p(Tensor::full({2, 3}, 1.0f / 3));
  losses::SparseCategoricalCrossentropy loss;
  expect_error<ValueError>([&] { loss.forward(nullptr, p, Tensor::from_vector<int64_t>({0, 3}, {2})); },
                           {"label 3 of sample 1", "[0, 3)"});
}

}  // namespace
}  // namespace soma
