// Activity regularizers: the op's penalty against the formula, its gradient (numeric side including the
// penalty), the activity_regularizer option of Dense/Conv1D/Conv2D, and the ActivityRegularization layer.
#include <cmath>

#include "soma/autograd/ops/activity_regularization_op.hpp"
#include "soma/layers/convolutional.hpp"
#include "soma/layers/core_layers.hpp"
#include "soma/layers/dense.hpp"
#include "support/error_matchers.hpp"
#include "support/layer_harness.hpp"

namespace soma {
namespace {

namespace L = layers;
using autograd::Variable;
using test::expect_contains;
using test::message_of;

// Keras: (l1 * sum|y| + l2 * sum y^2) / batch.
double expected_penalty(const Tensor& y, float l1, float l2) {
  double a = 0, s = 0;
  for (float v : y.span<float>()) a += std::fabs(v), s += double(v) * v;
  return (l1 * a + l2 * s) / static_cast<double>(y.dim(0));
}

TEST(ActivityRegularizationOp, PenaltyByHandAndIdentityValues) {
  Variable x(Tensor::from_vector<float>({1, -2, 0.5f, 3}, {2, 2}), true);
  autograd::ActivityRegularizationOp op;
  EXPECT_EQ(op.penalty(), 0.0);
  Variable& y = op.forward(nullptr, x, {.l1 = 0.1f, .l2 = 0.2f});
  // sum|x| = 6.5, sum x^2 = 14.25, batch 2: (0.65 + 2.85) / 2 = 1.75
  EXPECT_NEAR(op.penalty(), 1.75, 1e-6);
  EXPECT_EQ(y.value.to_vector<float>(), x.value.to_vector<float>());
  // d/dx = seed + (0.1 sign(x) + 0.4 x) / 2
  autograd::Tape tape;
  Variable& y2 = op.forward(&tape, x, {.l1 = 0.1f, .l2 = 0.2f});
  tape.backward(y2, Tensor::from_vector<float>({1, 1, 0, 0}, {2, 2}));
  const std::vector<float> expected{1 + 0.05f + 0.2f, 1 - 0.05f - 0.4f, 0.05f + 0.1f, 0.05f + 0.6f};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(x.grad.f32()[i], expected[static_cast<size_t>(i)], 1e-6f);
}

TEST(ActivityRegularizationOp, Gradcheck) {
  set_seed(70);
  Variable x(testing::random_tensor({3, 5}), true);
  autograd::ActivityRegularizationOp op;
  testing::gradcheck([&](autograd::Tape* t,
                         auto& in) -> Variable& { return op.forward(t, *in[0], {.l1 = 0.3f, .l2 = 0.7f}); },
                     {&x}, {}, [&] { return op.penalty(); });
}

TEST(ActivityRegularizer, DenseAndConvPenaliseTheirActivatedOutput) {
  set_seed(71);
  const regularizers::Regularizer r{.l1 = 0.05f, .l2 = 0.1f};
  L::Dense d({.units = 3, .activation = "tanh", .activity_regularizer = r});
  L::Conv2D c2({.filters = 2, .kernel_size = {2}, .activation = "sigmoid", .activity_regularizer = r});
  L::Conv1D c1({.filters = 2, .kernel_size = {3}, .activity_regularizer = regularizers::L2(0.3f)});
  const std::pair<L::Layer*, Shape> cases[] = {{&d, Shape{4}}, {&c2, Shape{3, 3, 2}}, {&c1, Shape{5, 2}}};
  for (const auto& [layer, in] : cases) {
    layer->build(in);
    for (auto* w : layer->trainable_weights())
      for (auto& v : w->value.span<float>()) v = random::uniform(-1.0f, 1.0f);
    Variable x(testing::random_tensor(in.with_batch(4)), true);
    const Tensor y = (*layer)(nullptr, x, false).value.clone();
    const bool l2_only = layer == &c1;
    EXPECT_NEAR(layer->activity_penalty(), expected_penalty(y, l2_only ? 0.0f : 0.05f, l2_only ? 0.3f : 0.1f),
                1e-5)
        << layer->name();
    std::vector<Variable*> inputs{&x};
    for (auto* w : layer->trainable_weights()) inputs.push_back(w);
    testing::gradcheck([&](autograd::Tape* t, auto& v) -> Variable& { return (*layer)(t, *v[0], true); },
                       inputs, {}, [&] { return layer->activity_penalty(); });
  }
  L::Dense plain({.units = 3});
  plain.build(Shape{4});
  Variable x(testing::random_tensor({2, 4}));
  plain(nullptr, x, false);
  EXPECT_EQ(plain.activity_penalty(), 0.0);
}

TEST(ActivityRegularizationLayer, IdentityWithPenaltyAndGradient) {
  set_seed(72);
  L::ActivityRegularization a({.l1 = 0.2f, .l2 = 0.4f});
  EXPECT_EQ(a.type(), "ActivityRegularization");
  EXPECT_EQ(a.name().rfind("activity_regularization", 0), 0u);
  a.build(Shape{2, 3});
  EXPECT_EQ(a.count_params(), 0);
  Variable x(testing::random_tensor({5, 2, 3}), true);
  const Tensor y = a(nullptr, x, false).value.clone();
  EXPECT_EQ(y.to_vector<float>(), x.value.to_vector<float>());
  EXPECT_NEAR(a.activity_penalty(), expected_penalty(x.value, 0.2f, 0.4f), 1e-6);
  testing::gradcheck([&](autograd::Tape* t, auto& v) -> Variable& { return a(t, *v[0], true); }, {&x}, {},
                     [&] { return a.activity_penalty(); });
  // Keras' defaults: l1 = l2 = 0, no penalty.
  L::ActivityRegularization none;
  none.build(Shape{3});
  Variable z(testing::random_tensor({2, 3}));
  none(nullptr, z, false);
  EXPECT_EQ(none.activity_penalty(), 0.0);
}

TEST(ActivityRegularizationLayer, BadArguments) {
  expect_contains(message_of<ValueError>([] { L::ActivityRegularization({.l1 = -0.1f, .name = "ar"}); }),
                  {"ActivityRegularization \"ar\"", "l1 and l2 must be >= 0", "l1 -0.1"});
  expect_contains(message_of<ValueError>([] { L::ActivityRegularization({.l2 = -1.0f}); }), {"l2 -1"});
}

}  // namespace
}  // namespace soma
