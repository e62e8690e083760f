// RandomContrast and RandomBrightness: the formulas per image (checked directly: each image is
// (x - mean) * c + mean, or x + d, with one c or d per image inside its range), the clip to value_range,
// gradients by finite differences (clipped values pass none), the identity at inference, seeds, config,
// and the errors. No external oracle: Keras' random streams are not soma's, and the formulas are two lines.
#include <gtest/gtest.h>

#include <cmath>

#include "soma/soma.hpp"
#include "support/error_matchers.hpp"
#include "support/gradcheck.hpp"

namespace soma {
namespace {

namespace L = layers;
using test::expect_contains;
using test::message_of;

// x in (0.2, 0.8) * 255 so no clip applies at small factors.
Tensor images(const Shape& s) {
  Tensor x = Tensor::empty(s);
  for (int64_t i = 0; i < x.numel(); ++i) x.f32()[i] = static_cast<float>((0.5 + 0.3 * std::sin(0.37 * i)) * 255.0);
  return x;
}

TEST(RandomContrast, EachImageIsScaledAboutItsChannelMeans) {
  for (const char* format : {"channels_last", "channels_first"}) {
    SCOPED_TRACE(format);
    const bool cf = std::string(format) == "channels_first";
    L::RandomContrast layer({.factor = {0.2f, 0.4f}, .seed = 3, .data_format = format});
    const Tensor x0 = images({5, 4, 3, 2});
    autograd::Variable x(x0.clone());
    const Tensor y = layer(nullptr, x, true).value.clone();
    const int64_t pixels = cf ? 6 : 12, channels = cf ? 4 : 2;  // (5, 4, 3, 2): C = 4 when channels_first
    for (int64_t b = 0; b < 5; ++b) {
      double c_seen = 0.0;
      for (int64_t ch = 0; ch < channels; ++ch) {
        auto at = [&](int64_t p) { return b * 24 + (cf ? ch * pixels + p : p * channels + ch); };
        double mean = 0.0;
        for (int64_t p = 0; p < pixels; ++p) mean += x0.f32()[at(p)];
        mean /= pixels;
        for (int64_t p = 0; p < pixels; ++p) {
          const double dx = x0.f32()[at(p)] - mean, dy = y.f32()[at(p)] - mean;
          if (std::fabs(dx) < 5) continue;
          const double c = dy / dx;
          if (c_seen == 0.0) c_seen = c;
          EXPECT_NEAR(c, c_seen, 1e-3) << "one factor per image";
        }
      }
      EXPECT_GE(c_seen, 1.0 - 0.2 - 1e-4);
      EXPECT_LE(c_seen, 1.0 + 0.4 + 1e-4);
    }
    EXPECT_EQ(&layer(nullptr, x, false), &x) << "the identity at inference";
  }
}

TEST(RandomBrightness, EachImageMovesByOneOffsetAndIsClipped) {
  L::RandomBrightness layer({.factor = {0.1f}, .value_range = {0.0f, 1.0f}, .seed = 5});
  Tensor x0 = Tensor::empty({6, 3, 3, 1});
  for (int64_t i = 0; i < x0.numel(); ++i) x0.f32()[i] = static_cast<float>(i % 9) / 8.0f;  // 0 .. 1
  autograd::Variable x(x0.clone());
  const Tensor y = layer(nullptr, x, true).value.clone();
  for (int64_t b = 0; b < 6; ++b) {
    const double d = y.f32()[b * 9 + 4] - x0.f32()[b * 9 + 4];  // the middle value 0.5 is never clipped
    EXPECT_LE(std::fabs(d), 0.1 + 1e-6);
    for (int64_t i = 0; i < 9; ++i) {
      EXPECT_NEAR(y.f32()[b * 9 + i], std::clamp(x0.f32()[b * 9 + i] + d, 0.0, 1.0), 1e-6);
    }
  }
  // The same seed repeats the draws.
  L::RandomBrightness again({.factor = {0.1f}, .value_range = {0.0f, 1.0f}, .seed = 5});
  autograd::Variable x2(x0.clone());
  EXPECT_EQ(again(nullptr, x2, true).value.f32()[4], y.f32()[4]);
}

TEST(ImageAdjustOp, FiniteDifferencesWithAndWithoutClipping) {
  set_seed(12);
  for (const bool cf : {false, true}) {
    autograd::Variable x(testing::random_tensor({3, 4, 3, 2}), true);  // uniform in (-1, 1)
    const std::vector<float> factors{0.7f, 1.3f, 1.0f}, deltas{0.0f, 0.1f, -0.2f};
    autograd::ImageAdjustOp op;
    // value_range (-0.8, 0.8): some values are clipped, and pass no gradient.
    testing::gradcheck([&](autograd::Tape* tape, auto& in) -> autograd::Variable& {
      return op.forward(tape, *in[0], factors, deltas, {.low = -0.8f, .high = 0.8f, .channels_first = cf});
    }, {&x});
  }
}

TEST(ImageAdjust, ConfigAndErrors) {
  auto c = L::deserialize(Config::parse(R"({"class_name": "RandomContrast", "config": {"factor": [0.1, 0.3], "seed": 2}})"));
  EXPECT_EQ(c->get_config()["factor"].get<std::vector<float>>(), (std::vector<float>{0.1f, 0.3f}));
  auto b = L::deserialize(Config::parse(R"({"class_name": "RandomBrightness", "config": {"factor": 0.2, "value_range": [0, 1]}})"));
  EXPECT_TRUE(b->get_config()["seed"].is_null());
  expect_contains(message_of<ValueError>([] { L::RandomContrast({.factor = {1.5f}}); }),
                  {"RandomContrast", "factor must lie in [0, 1], received (1.5)"});
  expect_contains(message_of<ValueError>([] { L::RandomBrightness({.factor = {0.1f}, .value_range = {1.0f, 0.0f}}); }),
                  {"RandomBrightness", "value_range must be (low, high) with low < high, received (1, 0)"});
  expect_contains(message_of<ValueError>([] { L::RandomBrightness({}); }),
                  {"factor must be a number or a (lower, upper) pair, received ()"});
}

}  // namespace
}  // namespace soma
