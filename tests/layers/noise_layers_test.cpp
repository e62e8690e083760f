// SpatialDropout1D/2D, GaussianNoise, GaussianDropout: identity at inference, the statistics of their
// noise in training, reproducibility under set_seed, gradients (the noise redrawn identically for every
// finite-difference evaluation by reseeding), and their errors.
#include <cmath>

#include "soma/layers/noise.hpp"
#include "support/error_matchers.hpp"
#include "support/layer_harness.hpp"

namespace soma {
namespace {

namespace L = layers;
using test::expect_contains;
using test::message_of;
using testing::check_layer;

// The gradient of a training-mode call, with the generator reset before every forward so that each
// finite-difference evaluation sees the same noise.
void gradcheck_training(L::Layer& layer, const Shape& per_sample, int64_t batch = 4) {
  layer.build(per_sample);
  autograd::Variable x(testing::random_tensor(per_sample.with_batch(batch)), true);
  testing::gradcheck(
      [&](autograd::Tape* t, auto& in) -> autograd::Variable& {
        set_seed(99);
        return layer(t, *in[0], true);
      },
      {&x});
}

Tensor train_call(L::Layer& layer, const Tensor& x) {
  autograd::Variable v(x);
  return layer(nullptr, v, true).value.clone();
}

void expect_inference_identity(L::Layer& layer, const Shape& shape) {
  autograd::Variable x(testing::random_tensor(shape));
  EXPECT_EQ(&layer(nullptr, x, false), &x) << layer.name();
}

TEST(SpatialDropout2D, OneDrawPerSampleAndChannelSharedOverHeightAndWidth) {
  set_seed(60);
  const float rate = 0.3f, keep = 1.0f / 0.7f;
  L::SpatialDropout2D d(rate);
  check_layer(d, {.input = {4, 5, 8}, .output = {4, 5, 8}});
  expect_inference_identity(d, Shape{2, 4, 5, 8});
  const int64_t n = 500, h = 4, w = 5, c = 8;
  const Tensor y = train_call(d, Tensor::ones({n, h, w, c}));
  int64_t dropped = 0;
  double sum = 0;
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch) {
      const float first = y.f32()[b * h * w * c + ch];
      ASSERT_TRUE(first == 0.0f || std::fabs(first - keep) < 1e-6f) << first;
      dropped += first == 0.0f;
      for (int64_t p = 0; p < h * w; ++p)
        ASSERT_EQ(y.f32()[(b * h * w + p) * c + ch], first) << "sample " << b;
    }
  for (float v : y.span<float>()) sum += v;
  EXPECT_NEAR(static_cast<double>(dropped) / (n * c), rate, 0.03);
  EXPECT_NEAR(sum / static_cast<double>(y.numel()), 1.0, 0.05);  // the expectation is kept
}

TEST(SpatialDropout1D, OneDrawPerSampleAndChannelSharedOverSteps) {
  set_seed(61);
  L::SpatialDropout1D d(0.5f);
  check_layer(d, {.input = {6, 3}, .output = {6, 3}});
  expect_inference_identity(d, Shape{2, 6, 3});
  const int64_t n = 400, steps = 6, c = 3;
  const Tensor x = testing::random_tensor({n, steps, c}, 0.5f, 1.5f);
  const Tensor y = train_call(d, x);
  int64_t dropped = 0;
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch) {
      const float m = y.f32()[b * steps * c + ch] / x.f32()[b * steps * c + ch];
      ASSERT_TRUE(m == 0.0f || std::fabs(m - 2.0f) < 1e-5f) << m;
      dropped += m == 0.0f;
      for (int64_t s = 0; s < steps; ++s) {
        const int64_t i = (b * steps + s) * c + ch;
        ASSERT_NEAR(y.f32()[i], x.f32()[i] * m, 1e-5f);
      }
    }
  EXPECT_NEAR(static_cast<double>(dropped) / (n * c), 0.5, 0.05);
}

TEST(SpatialDropout, GradientAndReproducibility) {
  set_seed(62);
  L::SpatialDropout2D d2(0.4f);
  gradcheck_training(d2, Shape{3, 2, 5});
  L::SpatialDropout1D d1(0.4f);
  gradcheck_training(d1, Shape{4, 5});
  const Tensor x = testing::random_tensor({8, 3, 2, 5});
  set_seed(5);
  const Tensor a = train_call(d2, x);
  const Tensor b = train_call(d2, x);
  set_seed(5);
  const Tensor a2 = train_call(d2, x);
  EXPECT_EQ(a.to_vector<float>(), a2.to_vector<float>());
  EXPECT_NE(a.to_vector<float>(), b.to_vector<float>());  // the next call draws a new mask
}

TEST(GaussianNoise, AddsZeroMeanNoiseOfTheGivenStddevInTrainingOnly) {
  set_seed(63);
  L::GaussianNoise g(0.3f);
  check_layer(g, {.input = {5}, .output = {5}});
  expect_inference_identity(g, Shape{3, 5});
  const Tensor x = testing::random_tensor({4000, 5});
  const Tensor y = train_call(g, x);
  double s = 0, sq = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    const double e = y.f32()[i] - x.f32()[i];
    s += e, sq += e * e;
  }
  const double n = static_cast<double>(x.numel());
  EXPECT_NEAR(s / n, 0.0, 0.01);
  EXPECT_NEAR(std::sqrt(sq / n - (s / n) * (s / n)), 0.3, 0.01);
  L::GaussianNoise g2(0.3f);
  gradcheck_training(g2, Shape{2, 3});
  set_seed(6);
  const Tensor a = train_call(g, x);
  set_seed(6);
  EXPECT_EQ(a.to_vector<float>(), train_call(g, x).to_vector<float>());
}

TEST(GaussianDropout, MultipliesByNormalOfMeanOneInTrainingOnly) {
  set_seed(64);
  const float rate = 0.2f;
  L::GaussianDropout g(rate);
  check_layer(g, {.input = {2, 3}, .output = {2, 3}});
  expect_inference_identity(g, Shape{3, 2, 3});
  const Tensor y = train_call(g, Tensor::ones({5000, 2, 3}));
  double s = 0, sq = 0;
  for (float v : y.span<float>()) s += v, sq += double(v) * v;
  const double n = static_cast<double>(y.numel()), mean = s / n;
  EXPECT_NEAR(mean, 1.0, 0.01);  // the expectation is kept
  EXPECT_NEAR(std::sqrt(sq / n - mean * mean), std::sqrt(rate / (1 - rate)), 0.01);  // Keras' stddev
  L::GaussianDropout g2(rate);
  gradcheck_training(g2, Shape{3, 2});
  const Tensor x = testing::random_tensor({6, 2, 3});
  set_seed(7);
  const Tensor a = train_call(g, x);
  set_seed(7);
  EXPECT_EQ(a.to_vector<float>(), train_call(g, x).to_vector<float>());
}

TEST(NoiseLayers, ZeroRateOrStddevIsTheIdentityEvenInTraining) {
  L::SpatialDropout2D d(0.0f);
  L::GaussianNoise g(0.0f);
  L::GaussianDropout gd(0.0f);
  for (L::Layer* l : std::initializer_list<L::Layer*>{&d, &g, &gd}) {
    autograd::Variable x(testing::random_tensor({2, 3, 3, 2}));
    EXPECT_EQ(&(*l)(nullptr, x, true), &x) << l->name();
  }
}

TEST(NoiseLayers, BadArguments) {
  expect_contains(message_of<ValueError>([] { L::SpatialDropout1D({.rate = -0.1f, .name = "sd"}); }),
                  {"SpatialDropout1D \"sd\"", "rate must be in [0, 1)", "received -0.1"});
  expect_contains(message_of<ValueError>([] { L::SpatialDropout2D(1.0f); }),
                  {"SpatialDropout2D", "rate must be in [0, 1)", "received 1"});
  expect_contains(message_of<ValueError>([] { L::GaussianDropout(1.5f); }),
                  {"GaussianDropout", "rate must be in [0, 1)", "received 1.5"});
  expect_contains(message_of<ValueError>([] { L::GaussianDropout(-1.0f); }), {"received -1"});
  expect_contains(message_of<ValueError>([] { L::GaussianNoise({.stddev = -0.5f, .name = "gn"}); }),
                  {"GaussianNoise \"gn\"", "stddev must be a finite number >= 0", "received -0.5"});
  expect_contains(message_of<ValueError>([] { L::GaussianNoise(NAN); }), {"stddev", "received nan"});
  L::SpatialDropout2D d2(0.5f);
  expect_contains(message_of<ShapeError>([&] {
                    d2.build(Shape{4, 4});
                  }),
                  {"SpatialDropout2D", "rank 4 (batch, height, width, channels)", "(None, 4, 4)"});
  L::SpatialDropout1D d1(0.5f);
  expect_contains(message_of<ShapeError>([&] {
                    d1.build(Shape{4, 4, 2});
                  }),
                  {"SpatialDropout1D", "rank 3 (batch, steps, channels)", "(None, 4, 4, 2)"});
}

}  // namespace
}  // namespace soma
