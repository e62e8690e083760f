// Dense, Activation, Flatten, Dropout through the generic harness, plus their Keras details and errors.
#include "soma/layers/core_layers.hpp"

#include "soma/layers/dense.hpp"
#include "support/error_matchers.hpp"
#include "support/layer_harness.hpp"

namespace soma {
namespace {

namespace L = layers;
using test::expect_contains;
using test::message_of;
using testing::check_layer;

template <class E>
void expect_error(const std::function<void()>& f, const std::vector<std::string>& parts) {
  try {
    f();
    FAIL() << "expected an exception";
  } catch (const E& e) {
    for (const auto& part : parts) EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(DenseLayer, HarnessForEveryActivationPath) {
  set_seed(30);
  for (const char* act : {"linear", "tanh", "sigmoid", "softmax", "gelu"}) {
    L::Dense d({.units = 4, .activation = act});
    check_layer(d, {.input = {6}, .output = {4}, .params = 6 * 4 + 4});
  }
}

// mixed_bfloat16: the same layer computes the same outputs and gradients as in float32, up to the rounding
// of its matmul operands to 8-bit mantissas. (A finite-difference check cannot see through that rounding,
// so float32 is the reference here; the float32 path itself is gradient-checked above.)
TEST(DenseLayer, MixedBfloat16AgreesWithFloat32) {
  for (const char* act : {"relu", "tanh"}) {
    set_seed(31);
    L::Dense f32({.units = 24, .activation = act, .dtype = "float32"});
    L::Dense b16({.units = 24, .activation = act, .dtype = "mixed_bfloat16"});
    EXPECT_EQ(b16.dtype_policy(), mixed_precision::Policy::mixed_bfloat16);
    f32.build(Shape{40});
    b16.build(Shape{40});
    for (size_t i = 0; i < 2; ++i) {
      for (auto& v : f32.weights()[i]->value.span<float>()) v = random::uniform(-0.5f, 0.5f);
      b16.weights()[i]->value.copy_from(f32.weights()[i]->value);
    }
    const Tensor x0 = testing::random_tensor({16, 40}), seed = testing::random_tensor({16, 24});
    std::vector<std::vector<float>> results[2];
    L::Dense* layers[] = {&f32, &b16};
    for (int l = 0; l < 2; ++l) {
      autograd::Variable x(x0.clone(), true);
      autograd::Tape tape;
      autograd::Variable& y = (*layers[l])(&tape, x, true);
      tape.backward(y, seed);
      results[l] = {y.value.to_vector<float>(), x.grad.to_vector<float>(),
                    layers[l]->kernel().grad.to_vector<float>(), layers[l]->bias()->grad.to_vector<float>()};
    }
    const char* what[] = {"output", "input gradient", "kernel gradient", "bias gradient"};
    for (int k = 0; k < 4; ++k) {
      double err = 0, scale = 0;
      for (size_t i = 0; i < results[0][k].size(); ++i) {
        err = std::max(err, static_cast<double>(std::fabs(results[0][k][i] - results[1][k][i])));
        scale = std::max(scale, static_cast<double>(std::fabs(results[0][k][i])));
      }
      EXPECT_LT(err, 2e-2 * scale) << act << " " << what[k];
      if (k < 3) {
        EXPECT_GT(err, 0.0) << act << " " << what[k] << ": bfloat16 was not used";
      }
    }
  }
}

TEST(MixedPrecision, PolicyByName) {
  EXPECT_EQ(mixed_precision::global_policy(), mixed_precision::Policy::float32);
  mixed_precision::set_global_policy("mixed_bfloat16");
  EXPECT_EQ(L::Dense({.units = 2}).dtype_policy(), mixed_precision::Policy::mixed_bfloat16);
  EXPECT_EQ(L::Dense({.units = 2, .dtype = "float32"}).dtype_policy(), mixed_precision::Policy::float32);
  mixed_precision::set_global_policy("float32");
  EXPECT_EQ(L::Dense({.units = 2}).dtype_policy(), mixed_precision::Policy::float32);
  expect_contains(
      message_of<NotImplementedError>([] { mixed_precision::set_global_policy("mixed_float16"); }),
      {"mixed_float16", "mixed_bfloat16"});
  expect_contains(message_of<ValueError>([] { L::Dense({.units = 2, .dtype = "bf16"}); }),
                  {"\"bf16\"", "float32, mixed_bfloat16"});
}

TEST(DenseLayer, HarnessWithoutBiasOnRank3Input) {
  set_seed(31);
  L::Dense d({.units = 5, .use_bias = false});
  check_layer(d, {.input = {2, 3}, .output = {2, 5}, .params = 15});
}

TEST(DenseLayer, KerasDefaultsAndNames) {
  set_seed(32);
  L::Dense d({.units = 300, .input_dim = 100, .name = "hidden"});
  d.build({100});
  EXPECT_EQ(d.name(), "hidden");
  // glorot_uniform: limit sqrt(6 / (fan_in + fan_out)); zeros for the bias.
  const float limit = std::sqrt(6.0f / 400.0f);
  float lo = 1, hi = -1;
  for (float v : d.kernel().value.span<float>()) lo = std::min(lo, v), hi = std::max(hi, v);
  EXPECT_GE(lo, -limit);
  EXPECT_LE(hi, limit);
  EXPECT_LT(lo, -0.9f * limit);
  EXPECT_GT(hi, 0.9f * limit);
  for (float v : d.bias()->value.span<float>()) EXPECT_EQ(v, 0.0f);
  L::Dense auto_named({.units = 1});
  EXPECT_EQ(auto_named.name().rfind("dense", 0), 0u);
}

TEST(DenseLayer, WrongInputShapeNamesTheLayer) {
  L::Dense d({.units = 10, .name = "dense_2"});
  d.build({512});
  autograd::Variable x(Tensor({128, 100}));
  expect_error<ShapeError>(
      [&] { d(nullptr, x, false); },
      {"Dense \"dense_2\"", "expected input of shape (None, 512)", "received shape (128, 100)"});
}

TEST(DenseLayer, BadOptions) {
  expect_error<ValueError>([] { L::Dense({.units = 0}); }, {"units must be a positive integer, received 0"});
  expect_error<ValueError>([] { L::Dense({.units = 3, .activation = "rellu"}); },
                           {"unknown activation \"rellu\""});
  expect_error<ValueError>([] { L::Dense({.units = 3, .kernel_initializer = "glorot"}); },
                           {"unknown initializer \"glorot\""});
}

TEST(ActivationLayer, Harness) {
  set_seed(33);
  L::Activation a("tanh");
  check_layer(a, {.input = {3, 2}, .output = {3, 2}});
}

TEST(FlattenLayer, HarnessAndRowMajorOrder) {
  set_seed(34);
  L::Flatten f;
  check_layer(f, {.input = {2, 3, 4}, .output = {24}});
  // Channels-last order: element (h, w, c) lands at (h * W + w) * C + c, as in Keras.
  L::Flatten g;
  autograd::Variable x(Tensor::from_vector<float>({0, 1, 2, 3, 4, 5, 6, 7}, {1, 2, 2, 2}));
  const auto& y = g(nullptr, x, false);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(y.value.f32()[i], static_cast<float>(i));
}

TEST(DropoutLayer, InferenceIsIdentityTrainingScalesSurvivors) {
  set_seed(35);
  L::Dropout d(0.25f);
  check_layer(d, {.input = {10}, .output = {10}});
  autograd::Variable x(Tensor::ones({1000, 10}));
  const auto& y = d(nullptr, x, true);
  double sum = 0;
  for (float v : y.value.span<float>()) {
    EXPECT_TRUE(v == 0.0f || std::fabs(v - 1.0f / 0.75f) < 1e-6f);
    sum += v;
  }
  EXPECT_NEAR(sum / 10000.0, 1.0, 0.05);  // inverted dropout keeps the expectation
  expect_error<ValueError>([] { L::Dropout(1.0f); }, {"rate must be in [0, 1)"});
}

}  // namespace
}  // namespace soma
