// ReLU, LeakyReLU, PReLU, ELU, Softmax and the Activation layer against PyTorch
// (tests/reference/activation_layers.py), through finite differences, and their errors.
#include "soma/layers/activation_layers.hpp"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "soma/layers/core_layers.hpp"
#include "support/error_matchers.hpp"
#include "support/layer_harness.hpp"
#include "support/reference_cases.hpp"

namespace soma {
namespace {

namespace L = layers;
using autograd::Variable;
using test::expect_contains;
using test::message_of;

void expect_near_rel(const Tensor& got, const Tensor& want, const std::string& what, double tol = 1e-5) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  for (int64_t i = 0; i < got.numel(); ++i) {
    const double w = want.f32()[i];
    ASSERT_NEAR(got.f32()[i], w, tol * (1.0 + std::fabs(w))) << what << " element " << i;
  }
}

float option(const std::string& v, float fallback) {
  return v == "default" ? fallback : std::stof(v);
}

std::unique_ptr<L::Layer> layer_for(const testing::ReferenceCase& c) {
  auto o = c.options;
  const std::string& n = c.name;
  if (n.rfind("activation_", 0) == 0) return std::make_unique<L::Activation>(o["activation"]);
  if (n.rfind("relu_", 0) == 0) {
    L::ReLUOptions r{.negative_slope = std::stof(o["negative_slope"]),
                     .threshold = std::stof(o["threshold"])};
    if (o["max_value"] != "none") r.max_value = std::stof(o["max_value"]);
    return std::make_unique<L::ReLU>(r);
  }
  if (n.rfind("leaky_relu_", 0) == 0) {
    return o["negative_slope"] == "default" ? std::make_unique<L::LeakyReLU>()
                                            : std::make_unique<L::LeakyReLU>(L::LeakyReLUOptions{
                                                  .negative_slope = std::stof(o["negative_slope"])});
  }
  if (n.rfind("elu_", 0) == 0) {
    return o["alpha"] == "default"
               ? std::make_unique<L::ELU>()
               : std::make_unique<L::ELU>(L::ELUOptions{.alpha = option(o["alpha"], 1.0f)});
  }
  if (n.rfind("prelu_", 0) == 0) {
    return std::make_unique<L::PReLU>(L::PReLUOptions{.shared_axes = o["shared_axes"] == "none"
                                                                         ? std::vector<int64_t>{}
                                                                         : testing::ints(o["shared_axes"])});
  }
  if (n.rfind("softmax_", 0) == 0)
    return std::make_unique<L::Softmax>(L::SoftmaxOptions{.axis = std::stoi(o["axis"])});
  return nullptr;
}

TEST(ActivationLayersVsPyTorch, EveryCase) {
  const auto cases = testing::load_reference_cases("activation_layers.txt");
  ASSERT_EQ(cases.size(), 42u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto layer = layer_for(c);
    ASSERT_TRUE(layer) << "unknown case";
    Variable x(c.tensors.at("x").clone(), true);
    if (c.tensors.count("mask")) x.mask = c.tensors.at("mask").clone();
    layer->build(x.value.shape().without_batch());
    for (auto* w : layer->trainable_weights()) w->value.copy_from(c.tensors.at("alpha"));
    autograd::Tape tape;
    Variable& y = (*layer)(&tape, x, true);
    expect_near_rel(y.value, c.tensors.at("y"), "y");
    tape.backward(y, c.tensors.at("dy"));
    expect_near_rel(x.grad, c.tensors.at("dx"), "dx", 2e-5);
    if (c.tensors.count("dalpha"))
      expect_near_rel(layer->trainable_weights()[0]->grad, c.tensors.at("dalpha"), "dalpha", 2e-5);
  }
}

// Values kept 0.05 away from the points where these functions or their slopes jump.
Variable away_from(const Shape& s, std::initializer_list<float> kinks, float scale) {
  Variable v(testing::random_tensor(s, -scale, scale), true);
  for (auto& x : v.value.span<float>())
    for (float k : kinks)
      if (std::fabs(x - k) < 0.05f) x = k + 0.1f;
  return v;
}

void gradcheck_layer(L::Layer& layer, Variable x) {
  layer.build(x.value.shape().without_batch());
  std::vector<Variable*> inputs{&x};
  for (auto* w : layer.trainable_weights()) {
    for (auto& v : w->value.span<float>()) v = random::uniform(-1.0f, 1.0f);
    inputs.push_back(w);
  }
  testing::gradcheck([&](autograd::Tape* t, auto& in) -> Variable& { return layer(t, *in[0], true); },
                     inputs);
}

TEST(ActivationLayersGrad, ReLUEveryPath) {
  set_seed(40);
  const L::ReLUOptions variants[] = {{},
                                     {.max_value = 6.0f},
                                     {.negative_slope = 0.2f},
                                     {.max_value = 1.5f, .negative_slope = 0.1f, .threshold = 0.5f},
                                     {.negative_slope = 0.3f, .threshold = 1.0f},
                                     {.max_value = 0.0f}};
  for (const auto& o : variants) {
    SCOPED_TRACE(o.negative_slope);
    L::ReLU layer(o);
    gradcheck_layer(layer, away_from({3, 4, 5}, {0.0f, 0.5f, 1.0f, 1.5f, 6.0f}, 7.0f));
  }
}

TEST(ActivationLayersGrad, LeakyReLUELUSoftmax) {
  set_seed(41);
  L::LeakyReLU leaky;
  gradcheck_layer(leaky, away_from({3, 6}, {0.0f}, 2.0f));
  L::ELU elu({.alpha = 0.7f});
  gradcheck_layer(elu, away_from({3, 6}, {0.0f}, 2.0f));
  for (int axis : {-1, 1, 2, -2}) {
    L::Softmax sm({.axis = axis});
    gradcheck_layer(sm, Variable(testing::random_tensor({2, 3, 4}, -3.0f, 3.0f), true));
  }
  // With a mask of the input's shape (Keras' Softmax(inputs, mask)).
  L::Softmax masked;
  Variable xm(testing::random_tensor({3, 5}, -3.0f, 3.0f), true);
  xm.mask = Tensor::ones({3, 5});
  for (int i : {1, 4, 7, 8}) xm.mask.f32()[i] = 0.0f;
  gradcheck_layer(masked, xm);
}

TEST(ActivationLayersGrad, PReLUWithSharedAxes) {
  set_seed(42);
  struct Case {
    std::vector<int64_t> shared;
    int64_t params;
  };
  for (const Case& c : {Case{{}, 3 * 4 * 5}, Case{{1, 2}, 5}, Case{{3}, 12}, Case{{1, 2, 3}, 1}}) {
    L::PReLU p({.shared_axes = c.shared});
    // (The harness draws inputs in [-1, 1], some next to the kink at 0, so the gradients are checked on
    // inputs kept away from it.)
    gradcheck_layer(p, away_from({2, 3, 4, 5}, {0.0f}, 1.0f));
    EXPECT_EQ(p.output_shape(Shape{3, 4, 5}), (Shape{3, 4, 5}));
    EXPECT_EQ(p.count_params(), c.params);
  }
  L::PReLU fresh;
  fresh.build(Shape{2, 3});
  EXPECT_EQ(fresh.alpha().value.shape(), (Shape{2, 3}));
  for (float v : fresh.alpha().value.span<float>())
    EXPECT_EQ(v, 0.0f) << "alpha_initializer defaults to zeros";
}

TEST(ActivationLayers, KerasDefaultsAndMaskPassThrough) {
  EXPECT_EQ(L::LeakyReLU().get_config()["negative_slope"], 0.3f);
  EXPECT_EQ(L::ELU().get_config()["alpha"], 1.0f);
  EXPECT_EQ(L::Softmax().get_config()["axis"], -1);
  EXPECT_TRUE(L::ReLU().get_config()["max_value"].is_null());
  EXPECT_EQ(L::PReLU().get_config()["alpha_initializer"], "zeros");
  EXPECT_EQ(L::ReLU().name().rfind("re_lu", 0), 0u);
  EXPECT_EQ(L::PReLU().name().rfind("p_re_lu", 0), 0u);
  EXPECT_EQ(L::LeakyReLU().name().rfind("leaky_re_lu", 0), 0u);
  // A sequence mask (Embedding mask_zero) survives every activation layer, as Keras' supports_masking.
  Variable x(testing::random_tensor({2, 3, 4}));
  x.mask = Tensor::ones({2, 3});
  x.mask.f32()[5] = 0.0f;
  Variable x2(testing::random_tensor({2, 3}));
  x2.mask = x.mask.clone();
  std::vector<std::unique_ptr<L::Layer>> all;
  all.push_back(std::make_unique<L::ReLU>());
  all.push_back(std::make_unique<L::ReLU>(L::ReLUOptions{.threshold = 0.5f}));
  all.push_back(std::make_unique<L::LeakyReLU>());
  all.push_back(std::make_unique<L::PReLU>());
  all.push_back(std::make_unique<L::ELU>());
  all.push_back(std::make_unique<L::Softmax>(L::SoftmaxOptions{.axis = 1}));
  for (auto& layer : all) {
    const bool softmax = layer->type() == "Softmax";
    // Softmax reads a mask as Keras' mask argument, which must have the input's shape.
    Variable& in = softmax ? x2 : x;
    layer->build(in.value.shape().without_batch());
    Variable& y = (*layer)(nullptr, in, false);
    ASSERT_TRUE(y.mask.defined()) << layer->type();
    EXPECT_EQ(y.mask.f32()[5], 0.0f) << layer->type();
    if (softmax) {
      EXPECT_EQ(y.value.f32()[5], 0.0f) << "a masked position's probability is 0";
    }
  }
}

TEST(ActivationLayers, BadArgumentsAreErrors) {
  expect_contains(message_of<ValueError>([] { L::ReLU({.max_value = -1.0f}); }),
                  {"ReLU \"", "max_value must be >= 0", "received -1"});
  expect_contains(message_of<ValueError>([] { L::ReLU({.negative_slope = -0.5f}); }),
                  {"ReLU", "negative_slope must be >= 0", "received -0.5"});
  expect_contains(message_of<ValueError>([] { L::ReLU({.threshold = -2.0f}); }),
                  {"ReLU", "threshold must be >= 0", "received -2"});
  expect_contains(
      message_of<ValueError>([] { L::ReLU({.threshold = std::numeric_limits<float>::quiet_NaN()}); }),
      {"threshold must be >= 0", "nan"});
  expect_contains(message_of<ValueError>([] { L::LeakyReLU({.negative_slope = -0.1f}); }),
                  {"LeakyReLU \"", "negative_slope must be >= 0", "received -0.1"});
  expect_contains(message_of<ValueError>([] {
                    L::PReLU({.shared_axes = {0, 1}});
                  }),
                  {"PReLU \"", "shared_axes", "after the batch", "received 0"});
  expect_contains(message_of<ValueError>([] { L::PReLU({.alpha_initializer = "zeroes"}); }), {"zeroes"});
  expect_contains(message_of<ShapeError>([] {
                    L::PReLU({.shared_axes = {3}}).build(Shape{4, 5});
                  }),
                  {"PReLU \"", "shared_axes entry 3", "(None, 4, 5)", "at most 2"});
  expect_contains(message_of<ShapeError>([] {
                    L::Softmax({.axis = 3}).build(Shape{4, 5});
                  }),
                  {"Softmax \"", "axis 3", "(None, 4, 5)", "[-3, 2]"});
  expect_contains(message_of<ShapeError>([] { L::Softmax({.axis = -4}).build(Shape{4, 5}); }), {"axis -4"});
  // A (batch, steps) sequence mask on a (batch, steps, features) input.
  L::Softmax sm;
  sm.build(Shape{3, 4});
  Variable x(testing::random_tensor({2, 3, 4}));
  x.mask = Tensor::ones({2, 3});
  expect_contains(message_of<ShapeError>([&] { sm(nullptr, x, false); }),
                  {"Softmax \"", "mask of the input's shape (2, 3, 4)", "received a mask of shape (2, 3)"});
}

}  // namespace
}  // namespace soma
