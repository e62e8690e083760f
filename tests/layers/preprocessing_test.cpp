// Rescaling and CenterCrop: values against the formula and index arithmetic (odd and even margins,
// both data formats), gradients, finite differences, a saved model that takes raw pixels, configs
// (Keras' forms, arrays refused by name) and errors.
#include <gtest/gtest.h>

#include <cmath>

#include "soma/soma.hpp"
#include "support/error_matchers.hpp"
#include "support/layer_harness.hpp"
#include "support/reference_cases.hpp"

namespace soma {
namespace {

namespace L = layers;
using test::expect_contains;
using test::message_of;

TEST(RescalingLayer, ScalesShiftsAndScalesTheGradient) {
  L::Rescaling layer({.scale = 1.0f / 127.5f, .offset = -1.0f});
  autograd::Variable x(Tensor::from_vector<float>({0, 127.5f, 255, 51}, Shape{2, 2}), true);
  autograd::Tape tape;
  autograd::Variable& y = layer(&tape, x, false);
  const float want[] = {-1.0f, 0.0f, 1.0f, 51 / 127.5f - 1};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(y.value.f32()[i], want[i], 1e-6f);  // 127.5 * (1 / 127.5f) != 1
  tape.backward(y, Tensor::full(Shape{2, 2}, 2.0f));
  for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(x.grad.f32()[i], 2.0f / 127.5f);
  L::Rescaling harness({.scale = -0.5f, .offset = 3.0f});
  testing::check_layer(harness, {.input = Shape{3, 2}, .output = Shape{3, 2}});
}

TEST(CenterCropLayer, TheCentralWindowFromFloorOfHalfTheMargin) {
  for (const char* format : {"channels_last", "channels_first"}) {
    SCOPED_TRACE(format);
    const bool cf = std::string(format) == "channels_first";
    // Height 7 -> 4: margin 3, start 1. Width 6 -> 3: margin 3, start 1. Channels 2.
    L::CenterCrop crop({.height = 4, .width = 3, .data_format = format});
    const Shape in = cf ? Shape{2, 7, 6} : Shape{7, 6, 2};
    autograd::Variable x(testing::random_tensor(in.with_batch(3)), true);
    autograd::Tape tape;
    autograd::Variable& y = crop(&tape, x, false);
    ASSERT_EQ(y.value.shape(), (cf ? Shape{2, 4, 3} : Shape{4, 3, 2}).with_batch(3));
    for (int64_t b = 0; b < 3; ++b)
      for (int64_t r = 0; r < 4; ++r)
        for (int64_t c = 0; c < 3; ++c)
          for (int64_t ch = 0; ch < 2; ++ch) {
            const int64_t yi = cf ? ((b * 2 + ch) * 4 + r) * 3 + c : ((b * 4 + r) * 3 + c) * 2 + ch;
            const int64_t xi = cf ? ((b * 2 + ch) * 7 + r + 1) * 6 + c + 1 : ((b * 7 + r + 1) * 6 + c + 1) * 2 + ch;
            ASSERT_EQ(y.value.f32()[yi], x.value.f32()[xi]);
          }
    tape.backward(y, Tensor::ones(y.value.shape()));
    float total = 0;
    for (int64_t i = 0; i < x.grad.numel(); ++i) total += x.grad.f32()[i];
    EXPECT_EQ(total, 3 * 4 * 3 * 2);  // ones inside the window, zeros outside
  }
  {  // Even margin: 6 -> 2 starts at 2.
    L::CenterCrop crop({.height = 2, .width = 1});
    autograd::Variable x(Tensor::from_vector<float>({0, 1, 2, 3, 4, 5}, Shape{1, 6, 1, 1}));
    autograd::Variable& y = crop(nullptr, x, false);
    EXPECT_EQ(y.value.f32()[0], 2.0f);
    EXPECT_EQ(y.value.f32()[1], 3.0f);
  }
  L::CenterCrop harness({.height = 2, .width = 2});
  testing::check_layer(harness, {.input = Shape{3, 4, 2}, .output = Shape{2, 2, 2}});
}

TEST(PreprocessingLayers, TravelWithTheSavedModel) {
  set_seed(8);
  auto in = Input({9, 8, 1});
  auto y = L::CenterCrop({.height = 6, .width = 6})(in);
  y = L::Rescaling({.scale = 1.0f / 255})(y);
  y = L::Flatten()(y);
  y = L::Dense({.units = 3})(y);
  Model model({in}, {y});
  const Tensor raw = testing::random_tensor({4, 9, 8, 1}, 0.0f, 255.0f);
  const Tensor want = model.predict(raw);
  const std::string path = ::testing::TempDir() + "/preprocessing_model.soma";
  model.save(path);
  Model loaded = load_model(path);
  testing::expect_close(loaded.predict(raw), want, "loaded", 0.0f);
}

TEST(PreprocessingLayers, ConfigsAndErrors) {
  auto r = L::deserialize(Config::parse(R"({"class_name": "Rescaling", "config": {"scale": 0.5, "offset": 1}})"));
  EXPECT_EQ(dynamic_cast<L::Rescaling&>(*r).options().offset, 1.0f);
  expect_contains(message_of<NotImplementedError>([] {
                    L::deserialize(Config::parse(R"({"class_name": "Rescaling", "config": {"scale": [1, 2, 3]}})"));
                  }),
                  {"Rescaling config: scale must be a number", "per-channel arrays", "[1,2,3]"});
  expect_contains(message_of<ValueError>([] { L::Rescaling({.scale = std::nanf("")}); }),
                  {"Rescaling", "scale and offset must be finite"});
  auto c = L::deserialize(
      Config::parse(R"({"class_name": "CenterCrop", "config": {"height": 3, "width": 2, "name": "cc"}})"));
  EXPECT_EQ(dynamic_cast<L::CenterCrop&>(*c).options().width, 2);
  expect_contains(message_of<ValueError>([] { L::CenterCrop({.height = 0, .width = 2}); }),
                  {"CenterCrop", "height and width must be positive integers, received 0 and 2"});
  expect_contains(message_of<ShapeError>([] { L::CenterCrop({.height = 1, .width = 1}).build(Shape{4, 4}); }),
                  {"expected images (batch, height, width, channels)", "(None, 4, 4)"});
}

}  // namespace
}  // namespace soma
