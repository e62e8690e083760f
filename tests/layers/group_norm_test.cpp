// GroupNormalization: values and the gradients of x, gamma and beta against PyTorch's F.group_norm
// (tests/reference/group_norm.py: channels last and first, one group, one group per channel, a middle
// channel axis, no center, no scale), the same bits on 1-3 threads above the parallel threshold, finite
// differences, configs and errors.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstdio>

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

TEST(GroupNormalizationLayer, MatchesPyTorch) {
  const auto cases = testing::load_reference_cases("group_norm.txt");
  ASSERT_EQ(cases.size(), 6u);
  float worst = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    L::GroupNormalization layer({.groups = std::stoll(c.options.at("groups")),
                                 .axis = std::stoll(c.options.at("axis")),
                                 .epsilon = std::stof(c.options.at("epsilon")),
                                 .center = c.options.at("center") == "1",
                                 .scale = c.options.at("scale") == "1"});
    const Tensor& x0 = c.tensors.at("x");
    L::Layer& base = layer;
    base.build(sample_shape(x0.shape()));
    std::vector<autograd::Variable*> weights = base.weights();
    size_t w = 0;
    if (c.tensors.count("gamma")) weights.at(w++)->value = c.tensors.at("gamma").clone();
    if (c.tensors.count("beta")) weights.at(w++)->value = c.tensors.at("beta").clone();
    ASSERT_EQ(w, weights.size());
    autograd::Variable x(x0.clone(), true);
    autograd::Tape tape;
    autograd::Variable& y = layer(&tape, x, true);
    testing::expect_close(y.value, c.tensors.at("y"), "y", 2e-6f);
    for (int64_t i = 0; i < y.value.numel(); ++i)
      worst = std::max(worst, std::fabs(y.value.f32()[i] - c.tensors.at("y").f32()[i]));
    tape.backward(y, c.tensors.at("dy"));
    testing::expect_close(x.grad, c.tensors.at("dx"), "dx", 2e-5f);
    w = 0;
    if (c.tensors.count("gamma")) testing::expect_close(weights[w++]->grad, c.tensors.at("dgamma"), "dgamma", 2e-5f);
    if (c.tensors.count("beta")) testing::expect_close(weights[w++]->grad, c.tensors.at("dbeta"), "dbeta", 2e-5f);
  }
  std::printf("GroupNormalization vs F.group_norm: max |y - y_torch| = %.3g\n", static_cast<double>(worst));
}

TEST(GroupNormalizationLayer, SameBitsOnAnyThreadCount) {
  const int saved = omp_get_max_threads();
  set_seed(11);
  const Tensor x0 = testing::random_tensor({7, 33, 29, 24});  // 160,776 values: the parallel split
  const Tensor dy = testing::random_tensor({7, 33, 29, 24});
  Tensor y1, g1, dg1;
  for (int threads : {1, 2, 3}) {
    SCOPED_TRACE(threads);
    omp_set_num_threads(threads);
    L::GroupNormalization layer({.groups = 6});
    L::Layer& base = layer;
    base.build(Shape{33, 29, 24});
    for (int64_t c = 0; c < 24; ++c) base.weights().at(0)->value.f32()[c] = 0.5f + 0.05f * static_cast<float>(c);
    autograd::Variable x(x0.clone(), true);
    autograd::Tape tape;
    autograd::Variable& y = layer(&tape, x, true);
    tape.backward(y, dy);
    const Tensor& dgamma = base.weights().at(0)->grad;
    if (threads == 1) {
      y1 = y.value.clone(), g1 = x.grad.clone(), dg1 = dgamma.clone();
    } else {
      testing::expect_close(y.value, y1, "y", 0.0f);
      testing::expect_close(x.grad, g1, "dx", 0.0f);
      testing::expect_close(dgamma, dg1, "dgamma", 0.0f);
    }
  }
  omp_set_num_threads(saved);
}

TEST(GroupNormalizationLayer, HarnessConfigAndErrors) {
  L::GroupNormalization layer({.groups = 2});
  testing::check_layer(layer, {.input = Shape{3, 4}, .output = Shape{3, 4}, .params = 8});
  L::GroupNormalization first({.groups = -1, .axis = 1});
  testing::check_layer(first, {.input = Shape{3, 2, 2}, .output = Shape{3, 2, 2}, .params = 6});
  auto d = L::deserialize(Config::parse(R"({"class_name": "GroupNormalization", "config": {"groups": 4}})"));
  EXPECT_EQ(dynamic_cast<L::GroupNormalization&>(*d).options().groups, 4);
  EXPECT_EQ(dynamic_cast<L::GroupNormalization&>(*d).options().epsilon, 1e-3f);
  expect_contains(message_of<ShapeError>([] { L::GroupNormalization().build(Shape{5, 12}); }),
                  {"GroupNormalization", "32 groups must divide the 12 channels of axis -1", "(None, 5, 12)"});
  expect_contains(message_of<ShapeError>([] { L::GroupNormalization({.groups = 5}).build(Shape{10, 12}); }),
                  {"5 groups must divide the 12 channels"});
  expect_contains(message_of<ValueError>([] { L::GroupNormalization({.groups = 0}); }),
                  {"groups must be a positive integer or -1", "received 0"});
  expect_contains(message_of<ShapeError>([] { L::GroupNormalization({.groups = 1, .axis = 0}).build(Shape{4}); }),
                  {"axis 0 is out of range", "not the batch axis"});
}

}  // namespace
}  // namespace soma
