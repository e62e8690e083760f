// Masking: the output and the mask against the definition (any feature != mask_value), the gradient
// (dy where kept, 0 where masked), and its meaning downstream: an LSTM after Masking gives, for a
// sequence padded at the end with mask_value steps, the same last output as on the sequence alone.
#include <gtest/gtest.h>

#include <cmath>

#include "soma/soma.hpp"
#include "support/error_matchers.hpp"
#include "support/layer_harness.hpp"

namespace soma {
namespace {

namespace L = layers;

TEST(MaskingLayer, ZeroesAndMasksStepsWhoseFeaturesAllEqualTheValue) {
  L::Masking masking({.mask_value = -1.0f});
  // (2, 3, 2): steps [b0: keep, masked, keep(one feature differs)], [b1: keep(NaN), masked, keep]
  const float nan = std::nanf("");
  Tensor xv = Tensor::from_vector<float>({1, 2, -1, -1, -1, 0.5f, nan, -1, -1, -1, 3, -1}, Shape{2, 3, 2});
  autograd::Variable x(xv, true);
  autograd::Tape tape;
  autograd::Variable& y = masking(&tape, x, false);
  ASSERT_TRUE(y.mask.defined());
  ASSERT_EQ(y.mask.shape(), Shape({2, 3}));
  const std::vector<float> keep = {1, 0, 1, 1, 0, 1};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(y.mask.f32()[i], keep[static_cast<size_t>(i)]) << i;
  for (int i = 0; i < 12; ++i) {
    const float want = keep[static_cast<size_t>(i / 2)] * xv.f32()[i];
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(y.value.f32()[i]));
    } else {
      EXPECT_EQ(y.value.f32()[i], want) << i;
    }
  }
  const Tensor dy = testing::random_tensor({2, 3, 2});
  tape.backward(y, dy);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(x.grad.f32()[i], keep[static_cast<size_t>(i / 2)] * dy.f32()[i]) << i;
}

TEST(MaskingLayer, LstmSkipsThePaddedSteps) {
  set_seed(7);
  auto in = Input({5, 3});
  auto lstm = std::make_shared<L::LSTM>(L::LSTMOptions{.units = 4});
  Model masked({in}, {(*lstm)(L::Masking()(in))});
  auto short_in = Input({3, 3});
  Model plain({short_in}, {L::LSTM({.units = 4})(short_in)});
  plain.set_weights(masked.get_weights());  // the same LSTM weights, built for 3 steps
  Tensor padded = Tensor::zeros(Shape{2, 5, 3});
  const Tensor real = testing::random_tensor({2, 3, 3});
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t i = 0; i < 9; ++i) padded.f32()[b * 15 + i] = real.f32()[b * 9 + i];
  const Tensor a = masked.predict(padded), b = plain.predict(real);
  ASSERT_EQ(a.shape(), b.shape());
  for (int64_t i = 0; i < a.numel(); ++i) EXPECT_NEAR(a.f32()[i], b.f32()[i], 1e-6f) << i;
  // Without the Masking layer the zero steps change the result: the test can tell.
  Model unmasked({in}, {(*lstm)(in)});
  const Tensor c = unmasked.predict(padded);
  float diff = 0;
  for (int64_t i = 0; i < a.numel(); ++i) diff = std::max(diff, std::fabs(c.f32()[i] - a.f32()[i]));
  EXPECT_GT(diff, 1e-3f);
}

TEST(MaskingLayer, HarnessConfigAndErrors) {
  L::Masking masking({.mask_value = 5.0f});  // random inputs never equal 5: gradcheck sees every path
  testing::check_layer(masking, {.input = Shape{3, 2}, .output = Shape{3, 2}});
  auto layer = L::deserialize(Config::parse(R"({"class_name": "Masking", "config": {"mask_value": 2.5}})"));
  EXPECT_EQ(dynamic_cast<L::Masking&>(*layer).options().mask_value, 2.5f);
  autograd::Variable flat(testing::random_tensor({4}));
  test::expect_contains(test::message_of<ShapeError>([&] { L::Masking()(nullptr, flat, false); }),
                        {"Masking", "expected input (batch, ..., features), received (4,)"});
}

}  // namespace
}  // namespace soma
