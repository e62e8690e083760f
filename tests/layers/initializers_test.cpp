// keras.initializers with arguments: Constant and the parameterised random ones, checked by their
// values and sample statistics; names keep working everywhere a string did.
#include "soma/layers/initializers.hpp"

#include <cmath>

#include "soma/core/random.hpp"
#include "soma/layers/convolutional.hpp"
#include "soma/layers/dense.hpp"
#include "soma/layers/normalization.hpp"
#include "support/error_matchers.hpp"

namespace soma {
namespace {

namespace I = initializers;
namespace L = layers;
using test::expect_contains;
using test::message_of;

struct Stats {
  double mean, stddev, lo, hi;
};
Stats stats_of(const Tensor& t) {
  double s = 0, sq = 0, lo = 1e30, hi = -1e30;
  for (float v : t.span<float>())
    s += v, sq += double(v) * v, lo = std::min<double>(lo, v), hi = std::max<double>(hi, v);
  const double n = static_cast<double>(t.numel()), mean = s / n;
  return {mean, std::sqrt(sq / n - mean * mean), lo, hi};
}

Tensor filled(const I::Initializer& init, const Shape& shape = Shape{200, 100}) {
  Tensor t = Tensor::empty(shape);
  I::initialize(init, t);
  return t;
}

TEST(Initializers, ConstantZerosOnes) {
  const std::pair<I::Initializer, float> cases[] = {{I::Constant(0.5f), 0.5f},
                                                    {"constant", 0.0f} /* Keras' Constant() */,
                                                    {I::Ones(), 1.0f},
                                                    {I::Zeros(), 0.0f}};
  for (const auto& [init, value] : cases) {
    const Tensor t = filled(init);
    for (float v : t.span<float>()) ASSERT_EQ(v, value) << init.name;
  }
  const I::Initializer c = I::Constant(-3.0f);
  EXPECT_EQ(c.name, "constant");
  EXPECT_EQ(c.value, -3.0f);
}

TEST(Initializers, RandomWithArgumentsHaveTheirMoments) {
  set_seed(40);
  const Stats n = stats_of(filled(I::RandomNormal({.mean = 1.0f, .stddev = 0.2f})));
  EXPECT_NEAR(n.mean, 1.0, 0.01);
  EXPECT_NEAR(n.stddev, 0.2, 0.01);
  const Stats u = stats_of(filled(I::RandomUniform({.minval = 2.0f, .maxval = 3.0f})));
  EXPECT_GE(u.lo, 2.0);
  EXPECT_LT(u.hi, 3.0);
  EXPECT_NEAR(u.mean, 2.5, 0.01);
  // Truncated at two standard deviations: stddev of N(0,1) cut at +-2 is 0.8796.
  const Stats t = stats_of(filled(I::TruncatedNormal({.mean = -1.0f, .stddev = 0.5f})));
  EXPECT_GE(t.lo, -2.0);
  EXPECT_LE(t.hi, 0.0);
  EXPECT_NEAR(t.mean, -1.0, 0.01);
  EXPECT_NEAR(t.stddev, 0.5 * 0.8796, 0.01);
  // Keras defaults: N(0, 0.05), U(-0.05, 0.05).
  const I::Initializer d = I::RandomNormal();
  EXPECT_EQ(d.name, "random_normal");
  EXPECT_EQ(d.mean, 0.0f);
  EXPECT_EQ(d.stddev, 0.05f);
  EXPECT_EQ(I::RandomUniform().minval, -0.05f);
  EXPECT_EQ(I::RandomUniform().maxval, 0.05f);
}

TEST(Initializers, OrthogonalGainScalesAnOrthonormalBasis) {
  set_seed(41);
  const Tensor q = filled(I::Orthogonal({.gain = 2.0f}), Shape{6, 4});
  for (int a = 0; a < 4; ++a)
    for (int b = 0; b < 4; ++b) {
      double dot = 0;
      for (int r = 0; r < 6; ++r) dot += double(q.f32()[r * 4 + a]) * q.f32()[r * 4 + b];
      EXPECT_NEAR(dot, a == b ? 4.0 : 0.0, 1e-5);
    }
}

TEST(Initializers, LayerOptionsTakeNamesAndValues) {
  set_seed(42);
  L::Dense d({.units = 3, .kernel_initializer = I::Constant(0.25f), .bias_initializer = I::Constant(-1.0f)});
  d.build(Shape{2});
  for (float v : d.kernel().value.span<float>()) EXPECT_EQ(v, 0.25f);
  for (float v : d.bias()->value.span<float>()) EXPECT_EQ(v, -1.0f);
  const std::string name = "he_normal";  // a std::string converts as a literal does
  L::Conv2D c({.filters = 2, .kernel_size = {3}, .kernel_initializer = name, .bias_initializer = "ones"});
  c.build(Shape{5, 5, 1});
  for (float v : c.bias()->value.span<float>()) EXPECT_EQ(v, 1.0f);
  L::BatchNormalization bn({.gamma_initializer = I::Constant(2.0f)});
  bn.build(Shape{3});
  EXPECT_EQ(bn.weights()[0]->value.f32()[0], 2.0f);
}

TEST(Initializers, BadNamesAndArguments) {
  expect_contains(message_of<ValueError>([] { L::Dense({.units = 3, .kernel_initializer = "constnt"}); }),
                  {"unknown initializer \"constnt\"", "constant, zeros, ones"});
  expect_contains(message_of<ValueError>([] { I::RandomNormal({.stddev = -0.1f}); }),
                  {"random_normal stddev must be >= 0", "-0.1"});
  expect_contains(message_of<ValueError>([] { I::TruncatedNormal({.stddev = -1.0f}); }),
                  {"truncated_normal stddev must be >= 0"});
  expect_contains(message_of<ValueError>([] { I::RandomUniform({.minval = 1.0f, .maxval = 0.0f}); }),
                  {"random_uniform needs minval <= maxval", "minval 1", "maxval 0"});
  I::Initializer bad = I::RandomNormal();
  bad.stddev = -2.0f;  // public fields: the layer checks them again
  expect_contains(message_of<ValueError>([&] { L::Dense({.units = 3, .kernel_initializer = bad}); }),
                  {"random_normal stddev must be >= 0", "-2"});
}

}  // namespace
}  // namespace soma
