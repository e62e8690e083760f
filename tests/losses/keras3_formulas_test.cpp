// Where Keras 3 and tf.keras 2 differ, soma follows Keras 3 (docs/losses.md): binary cross-entropy clips
// probabilities to [eps, 1 - eps] in float32 and takes plain logs (tf.keras 2 added eps inside both logs),
// and binary accuracy compares y_true itself with the thresholded prediction.
#include <gtest/gtest.h>

#include <cmath>

#include "soma/losses/loss.hpp"
#include "soma/training/metrics.hpp"

namespace soma {
namespace {

using autograd::Variable;

double bce(float p, float y) {
  Variable v(Tensor::from_vector<float>({p}, {1, 1}));
  losses::BinaryCrossentropy loss;
  return loss.forward(nullptr, v, Tensor::from_vector<float>({y}, {1, 1})).value.item();
}

TEST(Keras3Formulas, BinaryCrossentropyClipsThenTakesPlainLogs) {
  const float eps = 1e-7f;
  // Where clipping bites: -log(eps) = 16.118 (tf.keras 2's -log(eps + eps) gave 15.42).
  EXPECT_NEAR(bce(0.0f, 1.0f), -std::log(static_cast<double>(eps)), 1e-4);
  EXPECT_NEAR(bce(0.0f, 1.0f), 16.118, 1e-3);
  // 1 - eps in float32 is 0.99999988: Keras 3 computes 1 - that in float32 too.
  EXPECT_NEAR(bce(1.0f, 0.0f), -std::log(static_cast<double>(1.0f - (1.0f - eps))), 1e-4);
  // Inside the range the logs are plain: at p = 1e-5 tf.keras 2's eps inside the log was 1% off.
  EXPECT_NEAR(bce(1e-5f, 1.0f), -std::log(static_cast<double>(1e-5f)), 1e-5);
  EXPECT_NEAR(bce(0.25f, 1.0f), -std::log(0.25), 1e-6);
  EXPECT_NEAR(bce(0.25f, 0.0f), -std::log(0.75), 1e-6);
}

TEST(Keras3Formulas, BinaryCrossentropyGradientIsZeroWhereClipped) {
  for (const float p : {0.0f, 1e-9f, 1.0f}) {
    Variable v(Tensor::from_vector<float>({p}, {1, 1}), true);
    autograd::Tape tape;
    losses::BinaryCrossentropy loss;
    autograd::Variable& out = loss.forward(&tape, v, Tensor::from_vector<float>({1.0f}, {1, 1}));
    tape.backward(out);
    EXPECT_EQ(v.grad.f32()[0], 0.0f) << "p " << p;
  }
  Variable v(Tensor::from_vector<float>({0.25f}, {1, 1}), true);
  autograd::Tape tape;
  losses::BinaryCrossentropy loss;
  tape.backward(loss.forward(&tape, v, Tensor::from_vector<float>({1.0f}, {1, 1})));
  EXPECT_NEAR(v.grad.f32()[0], -1.0 / 0.25, 1e-5);
}

TEST(Keras3Formulas, BinaryAccuracyComparesYTrueItself) {
  metrics::BinaryAccuracy acc;
  acc.reset();
  // Hard targets behave as before; a soft target 0.7 equals neither 0 nor 1 (tf.keras 2 thresholded it).
  acc.update(Tensor::from_vector<float>({0.9f, 0.2f, 0.9f, 0.2f}, {4, 1}),
             Tensor::from_vector<float>({1.0f, 0.0f, 0.7f, 0.3f}, {4, 1}));
  EXPECT_DOUBLE_EQ(acc.result(), 0.5);
}

}  // namespace
}  // namespace soma
