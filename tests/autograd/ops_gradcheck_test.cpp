// Finite-difference gradient checks for every op, in each configuration that takes its own code path.
#include <algorithm>
#include <cmath>
#include <string>

#include "soma/autograd/ops/activation_op.hpp"
#include "soma/autograd/ops/add_op.hpp"
#include "soma/autograd/ops/dropout_op.hpp"
#include "soma/autograd/ops/linear_op.hpp"
#include "soma/autograd/ops/reshape_op.hpp"
#include "support/error_matchers.hpp"
#include "support/gradcheck.hpp"

namespace soma {
namespace {

using autograd::Tape;
using autograd::Variable;
using testing::gradcheck;
using testing::random_tensor;

Variable param(const Shape& s) {
  return Variable(random_tensor(s), true);
}

// Moves values away from relu's kink, where finite differences are meaningless.
Variable away_from_zero(const Shape& s) {
  Variable v = param(s);
  for (auto& x : v.value.span<float>()) x = x >= 0 ? x + 0.1f : x - 0.1f;
  return v;
}

TEST(LinearOpGrad, WithBias) {
  set_seed(1);
  Variable x = param({5, 7}), w = param({7, 3}), b = param({3});
  autograd::LinearOp op;
  gradcheck([&](Tape* t, auto& in) -> Variable& { return op.forward(t, *in[0], *in[1], in[2], false); },
            {&x, &w, &b});
}

TEST(LinearOpGrad, WithoutBiasRank3Input) {
  set_seed(2);
  Variable x = param({2, 3, 4}), w = param({4, 6});
  autograd::LinearOp op;
  gradcheck([&](Tape* t, auto& in) -> Variable& { return op.forward(t, *in[0], *in[1], nullptr, false); },
            {&x, &w});
}

TEST(LinearOpGrad, FusedRelu) {
  // Pick the first seed whose pre-activations all keep clear of relu's kink, where the derivative is
  // undefined and finite differences are meaningless.
  Variable x, w, b;
  for (uint64_t seed = 3;; ++seed) {
    set_seed(seed);
    x = param({6, 5}), w = param({5, 4}), b = param({4});
    autograd::LinearOp probe;
    const Variable& z = probe.forward(nullptr, x, w, &b, false);
    if (std::ranges::all_of(z.value.span<float>(), [](float v) { return std::fabs(v) > 1e-2f; })) break;
  }
  autograd::LinearOp op;
  gradcheck([&](Tape* t, auto& in) -> Variable& { return op.forward(t, *in[0], *in[1], in[2], true); },
            {&x, &w, &b});
}

TEST(LinearOpGrad, InputWithoutGradientGetsNone) {
  set_seed(4);
  Variable x(random_tensor({3, 2}), false), w = param({2, 2});
  autograd::LinearOp op;
  Tape tape;
  tape.backward(op.forward(&tape, x, w, nullptr, false), random_tensor({3, 2}));
  EXPECT_FALSE(tape.has_grad(x));
  EXPECT_TRUE(tape.has_grad(w));
}

class ActivationGrad : public ::testing::TestWithParam<std::string> {};

TEST_P(ActivationGrad, MatchesFiniteDifferences) {
  set_seed(5);
  Variable x = away_from_zero({4, 6});
  autograd::ActivationOp op;
  const auto act = activations::get(GetParam());
  gradcheck([&](Tape* t, auto& in) -> Variable& { return op.forward(t, *in[0], act); }, {&x});
}

INSTANTIATE_TEST_SUITE_P(All, ActivationGrad,
                         ::testing::Values("relu", "sigmoid", "tanh", "softmax", "elu", "leaky_relu", "gelu",
                                           "swish", "softplus", "selu", "hard_sigmoid", "hard_sigmoid_keras2",
                                           "softsign", "hard_silu", "relu6", "mish", "log_softmax",
                                           "exponential"));

// Over [-7, 7], where the clipped activations saturate (values kept clear of their kinks, where finite
// differences straddle the jump), and elu / leaky_relu with their parameter chosen.
TEST(ActivationGrad, WideRangeAndParameters) {
  set_seed(15);
  const float kinks[] = {-3.0f, -2.5f, 0.0f, 2.5f, 3.0f, 6.0f};
  Variable x = param({5, 7});
  for (auto& v : x.value.span<float>()) {
    v *= 7.0f;
    for (float k : kinks)
      if (std::fabs(v - k) < 0.05f) v = k + 0.1f;
  }
  for (const auto& act :
       {activations::get("hard_sigmoid"), activations::get("hard_sigmoid_keras2"), activations::get("relu6"),
        activations::get("hard_silu"), activations::get("softsign"), activations::get("mish"),
        activations::get("selu"), activations::elu(0.4f), activations::elu(-0.3f),
        activations::leaky_relu(0.05f), activations::leaky_relu(-0.5f)}) {
    SCOPED_TRACE(act.name + " alpha " + std::to_string(act.alpha));
    autograd::ActivationOp op;
    gradcheck([&](Tape* t, auto& in) -> Variable& { return op.forward(t, *in[0], act); }, {&x},
              {.eps = 1e-3f, .rtol = 1e-2f, .atol = 2e-3f});
  }
}

// Softmax and log_softmax over every axis of a rank-3 input, written positive and negative.
TEST(ActivationGrad, SoftmaxOverAnyAxis) {
  set_seed(16);
  Variable x = param({3, 4, 5});
  for (const char* name : {"softmax", "log_softmax"})
    for (int axis : {0, 1, 2, -1, -2, -3}) {
      SCOPED_TRACE(std::string(name) + " axis " + std::to_string(axis));
      autograd::ActivationOp op;
      const auto act = activations::get(name);
      gradcheck([&](Tape* t, auto& in) -> Variable& { return op.forward(t, *in[0], act, axis); }, {&x});
    }
}

TEST(ActivationGrad, SoftmaxAxisOutOfRangeIsAShapeError) {
  Variable x = param({3, 4});
  autograd::ActivationOp op;
  test::expect_contains(
      test::message_of<ShapeError>([&] { op.forward(nullptr, x, activations::get("softmax"), 2); }),
      {"softmax", "axis in [-2, 1]", "(3, 4)", "received 2"});
}

TEST(ReshapeOpGrad, Flatten) {
  set_seed(6);
  Variable x = param({2, 3, 4});
  autograd::ReshapeOp op;
  gradcheck([&](Tape* t, auto& in) -> Variable& { return op.forward(t, *in[0], Shape{2, 12}); }, {&x});
}

TEST(DropoutOpGrad, UsesTheSameMaskBackward) {
  set_seed(7);
  Variable x = param({8, 16});
  autograd::DropoutOp op;
  Tape tape;
  Variable& y = op.forward(&tape, x, 0.5f, true);
  const Tensor seed = random_tensor(y.value.shape());
  tape.backward(y, seed);
  int zeros = 0;
  for (int64_t i = 0; i < x.value.numel(); ++i) {
    const float m = op.mask().f32()[i];
    EXPECT_TRUE(m == 0.0f || m == 2.0f);
    zeros += m == 0.0f;
    EXPECT_FLOAT_EQ(y.value.f32()[i], x.value.f32()[i] * m);
    EXPECT_FLOAT_EQ(x.grad.f32()[i], seed.f32()[i] * m);
  }
  EXPECT_GT(zeros, 128 / 4);
  EXPECT_LT(zeros, 128 * 3 / 4);
}

TEST(DropoutOpGrad, IdentityAtInference) {
  Variable x = param({2, 2});
  autograd::DropoutOp op;
  EXPECT_EQ(&op.forward(nullptr, x, 0.5f, false), &x);
}

TEST(AddOpGrad, Adds) {
  set_seed(9);
  Variable a = param({3, 4}), b = param({3, 4});
  autograd::AddOp op;
  gradcheck([&](Tape* t, auto& in) -> Variable& { return op.forward(t, *in[0], *in[1]); }, {&a, &b});
}

TEST(TapeGrad, AccumulatesWhenAVariableFeedsTwoOps) {
  // x feeds two matmuls whose outputs are added: x's gradient is the sum of both paths.
  set_seed(10);
  Variable x = param({3, 4}), w1 = param({4, 2}), w2 = param({4, 2});
  autograd::LinearOp a, b;
  autograd::AddOp add;
  gradcheck(
      [&](Tape* t, auto& in) -> Variable& {
        return add.forward(t, a.forward(t, *in[0], *in[1], nullptr, false),
                           b.forward(t, *in[0], *in[2], nullptr, false));
      },
      {&x, &w1, &w2});
}

}  // namespace
}  // namespace soma
