// UnitNormalization: values and input gradients against PyTorch's F.normalize (tests/reference/
// unit_norm.py: last axis, a middle axis, axis blocks, a clamped all-zero row), the same bits on 1-3
// threads above the parallel threshold, finite differences, configs and errors.
#include <gtest/gtest.h>
#include <omp.h>

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

Shape sample_shape(const Shape& s) {
  return Shape(std::vector<int64_t>(s.dims().begin() + 1, s.dims().end()));
}

TEST(UnitNormalizationLayer, MatchesPyTorch) {
  const auto cases = testing::load_reference_cases("unit_norm.txt");
  ASSERT_EQ(cases.size(), 5u);
  float worst = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    L::UnitNormalization layer({.axis = testing::ints(c.options.at("axis"))});
    const Tensor& x0 = c.tensors.at("x");
    layer.build(sample_shape(x0.shape()));
    autograd::Variable x(x0.clone(), true);
    autograd::Tape tape;
    autograd::Variable& y = layer(&tape, x, false);
    testing::expect_close(y.value, c.tensors.at("y"), "y", 1e-6f);
    tape.backward(y, c.tensors.at("dy"));
    // Relative: a clamped zero row's gradient is dy * 1e12 (1e12 rounded to float).
    const Tensor& dx = c.tensors.at("dx");
    for (int64_t i = 0; i < dx.numel(); ++i)
      ASSERT_NEAR(x.grad.f32()[i], dx.f32()[i], 2e-5f * std::max(1.0f, std::fabs(dx.f32()[i]))) << i;
    for (int64_t i = 0; i < y.value.numel(); ++i)
      worst = std::max(worst, std::fabs(y.value.f32()[i] - c.tensors.at("y").f32()[i]));
  }
  RecordProperty("max_abs_diff_y", std::to_string(worst));
}

TEST(UnitNormalizationLayer, SameBitsOnAnyThreadCount) {
  const int saved = omp_get_max_threads();
  set_seed(9);
  const Tensor x0 = testing::random_tensor({37, 61, 67});  // 151,219 values: the parallel split
  const Tensor dy = testing::random_tensor({37, 61, 67});
  Tensor y1, g1;
  for (int threads : {1, 2, 3}) {
    SCOPED_TRACE(threads);
    omp_set_num_threads(threads);
    L::UnitNormalization layer({.axis = {1}});
    autograd::Variable x(x0.clone(), true);
    autograd::Tape tape;
    autograd::Variable& y = layer(&tape, x, false);
    tape.backward(y, dy);
    if (threads == 1) {
      y1 = y.value.clone(), g1 = x.grad.clone();
      // Unit norm over axis 1 for (sample 36, inner 66).
      double norm = 0;
      for (int64_t k = 0; k < 61; ++k) norm += std::pow(y.value.f32()[(36 * 61 + k) * 67 + 66], 2);
      EXPECT_NEAR(norm, 1.0, 1e-5);
    } else {
      testing::expect_close(y.value, y1, "y", 0.0f);
      testing::expect_close(x.grad, g1, "dx", 0.0f);
    }
  }
  omp_set_num_threads(saved);
}

TEST(UnitNormalizationLayer, HarnessConfigAndErrors) {
  L::UnitNormalization last;
  testing::check_layer(last, {.input = Shape{4}, .output = Shape{4}});
  L::UnitNormalization block({.axis = {1, 2}});
  testing::check_layer(block, {.input = Shape{2, 3, 2}, .output = Shape{2, 3, 2}});
  auto layer = L::deserialize(Config::parse(R"({"class_name": "UnitNormalization", "config": {"axis": 2}})"));
  EXPECT_EQ(dynamic_cast<L::UnitNormalization&>(*layer).options().axis, (std::vector<int64_t>{2}));
  expect_contains(message_of<ShapeError>([] { L::UnitNormalization({.axis = {0}}).build(Shape{3}); }),
                  {"UnitNormalization", "axis 0 is out of range", "not the batch axis"});
  expect_contains(message_of<NotImplementedError>([] { L::UnitNormalization({.axis = {1, 3}}).build(Shape{2, 3, 4}); }),
                  {"the normalised axes must be consecutive, received [1, 3]"});
  expect_contains(message_of<ValueError>([] { L::UnitNormalization({.axis = {}}); }),
                  {"axis must name at least one axis"});
}

}  // namespace
}  // namespace soma
