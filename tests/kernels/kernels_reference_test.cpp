// Every oneDNN-backed kernel against its naive reference.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/eltwise.hpp"
#include "kernels/matmul.hpp"
#include "kernels/softmax.hpp"
#include "support/gradcheck.hpp"

namespace soma::kernels {
namespace {

using soma::testing::random_tensor;

void expect_close(const Tensor& a, const Tensor& b, float tol) {
  ASSERT_EQ(a.numel(), b.numel());
  for (int64_t i = 0; i < a.numel(); ++i) {
    EXPECT_NEAR(a.f32()[i], b.f32()[i], tol * (1.0f + std::fabs(b.f32()[i]))) << "element " << i;
  }
}

struct MatmulCase {
  bool trans_a, trans_b, bias, relu, accumulate;
};

class MatmulVsReference : public ::testing::TestWithParam<MatmulCase> {};

TEST_P(MatmulVsReference, Agrees) {
  const MatmulCase c = GetParam();
  set_seed(11);
  const MatmulSpec spec{.m = 37,
                        .n = 19,
                        .k = 53,
                        .trans_a = c.trans_a,
                        .trans_b = c.trans_b,
                        .bias = c.bias,
                        .relu = c.relu,
                        .accumulate = c.accumulate};
  const Tensor a = random_tensor({spec.m * spec.k}), b = random_tensor({spec.k * spec.n}),
               bias = random_tensor({spec.n});
  const Tensor init = random_tensor({spec.m * spec.n});
  Tensor got = init.clone(), want = init.clone();
  Matmul mm;
  mm.run(spec, a.f32(), b.f32(), bias.f32(), got.f32());
  matmul_reference(spec, a.f32(), b.f32(), bias.f32(), want.f32());
  expect_close(got, want, 1e-5f);
  // The cached primitive gives the same answer again.
  Tensor again = init.clone();
  mm.run(spec, a.f32(), b.f32(), bias.f32(), again.f32());
  expect_close(again, want, 1e-5f);
}

INSTANTIATE_TEST_SUITE_P(Layouts, MatmulVsReference,
                         ::testing::Values(MatmulCase{false, false, false, false, false},
                                           MatmulCase{true, false, false, false, false},
                                           MatmulCase{false, true, false, false, false},
                                           MatmulCase{true, true, false, false, false},
                                           MatmulCase{false, false, true, false, false},
                                           MatmulCase{false, false, true, true, false},
                                           MatmulCase{true, false, false, false, true},
                                           MatmulCase{false, true, false, false, true}));

class EltwiseVsReference : public ::testing::TestWithParam<std::string> {};

TEST_P(EltwiseVsReference, ForwardAndBackwardAgree) {
  const auto act = activations::get(GetParam());
  set_seed(12);
  const int64_t n = 1000;
  const Tensor x = random_tensor({n}, -4.0f, 4.0f), dy = random_tensor({n});
  Tensor y = Tensor::empty({n}), dx = Tensor::empty({n});
  Eltwise e;
  e.forward(act, n, x.f32(), y.f32());
  e.backward(act, n, backward_uses_output(act.kind) ? y.f32() : x.f32(), dy.f32(), dx.f32());
  for (int64_t i = 0; i < n; ++i) {
    const float xi = x.f32()[i];
    EXPECT_NEAR(y.f32()[i], activation_reference(act.kind, act.alpha, xi), 1e-5f)
        << GetParam() << " at " << xi;
    EXPECT_NEAR(dx.f32()[i], dy.f32()[i] * activation_derivative_reference(act.kind, act.alpha, xi), 1e-4f)
        << GetParam() << " at " << xi;
  }
}

INSTANTIATE_TEST_SUITE_P(All, EltwiseVsReference,
                         ::testing::Values("relu", "sigmoid", "tanh", "elu", "leaky_relu", "gelu", "swish",
                                           "softplus", "selu"));

TEST(SoftmaxVsReference, ForwardAgreesAndRowsSumToOne) {
  set_seed(13);
  const int64_t rows = 33, cols = 10;
  const Tensor x = random_tensor({rows, cols}, -20.0f, 20.0f);
  Tensor got = Tensor::empty({rows, cols}), want = Tensor::empty({rows, cols});
  Softmax s;
  s.forward(rows, cols, x.f32(), got.f32());
  softmax_reference(rows, cols, x.f32(), want.f32());
  expect_close(got, want, 1e-5f);
  for (int64_t r = 0; r < rows; ++r) {
    double sum = 0;
    for (int64_t c = 0; c < cols; ++c) sum += got.f32()[r * cols + c];
    EXPECT_NEAR(sum, 1.0, 1e-5);
  }
}

TEST(ActivationsByName, UnknownNameListsTheKnownOnes) {
  try {
    activations::get("rellu");
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown activation \"rellu\""), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("relu, sigmoid"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace soma::kernels
