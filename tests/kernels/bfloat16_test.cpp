// The mixed_bfloat16 kernels: conversion, bf16 matmul and the fused backward pass against references.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "kernels/convert.hpp"
#include "kernels/convolution.hpp"
#include "kernels/linear_backward.hpp"
#include "kernels/matmul.hpp"
#include "support/gradcheck.hpp"

namespace soma::kernels {
namespace {

using soma::testing::random_tensor;

TEST(Bfloat16, ScalarConversionRoundsToNearestEven) {
  EXPECT_EQ(bfloat16::from_float(1.0f).bits, 0x3f80);
  EXPECT_EQ(bfloat16::from_float(-2.5f).to_float(), -2.5f);
  // 1 + 2^-8 lies exactly between two bfloat16 values: ties go to the even one (1.0).
  EXPECT_EQ(bfloat16::from_float(1.0f + 0x1p-8f).to_float(), 1.0f);
  EXPECT_EQ(bfloat16::from_float(1.0f + 0x1p-7f + 0x1p-8f).to_float(), 1.0f + 0x1p-6f);
  EXPECT_TRUE(std::isinf(bfloat16::from_float(std::numeric_limits<float>::infinity()).to_float()));
  EXPECT_TRUE(std::isnan(bfloat16::from_float(std::numeric_limits<float>::quiet_NaN()).to_float()));
  // Error at most half a unit in the last place: 2^-8 relative.
  for (float f : {0.1f, 3.14159f, -1234.5678f, 1e-20f, 6.5e4f}) {
    EXPECT_LE(std::fabs(bfloat16::from_float(f).to_float() - f), std::fabs(f) * 0x1p-8f) << f;
  }
}

TEST(Bfloat16, VectorConversionMatchesScalar) {
  for (int64_t n : {int64_t{7}, int64_t{1000}, int64_t{100003}}) {
    set_seed(static_cast<uint64_t>(n));
    Tensor x = random_tensor({n});
    x.f32()[0] = std::numeric_limits<float>::quiet_NaN();
    x.f32()[n - 1] = -std::numeric_limits<float>::infinity();
    std::vector<bfloat16> got(static_cast<size_t>(n));
    to_bfloat16(x.f32(), got.data(), n);
    for (int64_t i = 1; i < n; ++i) ASSERT_EQ(got[i].bits, bfloat16::from_float(x.f32()[i]).bits) << i;
    EXPECT_TRUE(std::isnan(got[0].to_float()));
  }
}

TEST(Bfloat16, TensorAstypeRoundTrips) {
  const Tensor x = Tensor::from_vector<float>({1.0f, -0.5f, 3.0f}, {3});
  const Tensor b = x.astype(DType::bfloat16);
  EXPECT_EQ(b.dtype(), DType::bfloat16);
  EXPECT_EQ(b.nbytes(), 6u);
  EXPECT_EQ(b.astype(DType::float32).to_vector<float>(), x.to_vector<float>());
  EXPECT_EQ(b.rows(1, 2).item(), -0.5f);
}

struct Bf16MatmulCase {
  bool trans_a, trans_b, bias, relu, accumulate;
};
class Bf16MatmulVsReference : public ::testing::TestWithParam<Bf16MatmulCase> {};

// The reference runs in double on the bfloat16-rounded operands, so the only difference left is the
// order of float32 accumulation.
TEST_P(Bf16MatmulVsReference, Agrees) {
  const auto c = GetParam();
  set_seed(12);
  const MatmulSpec spec{.m = 37,
                        .n = 19,
                        .k = 53,
                        .trans_a = c.trans_a,
                        .trans_b = c.trans_b,
                        .bias = c.bias,
                        .relu = c.relu,
                        .accumulate = c.accumulate,
                        .bf16 = true};
  Tensor a = random_tensor({spec.m * spec.k}), b = random_tensor({spec.k * spec.n});
  const Tensor bias = random_tensor({spec.n}), init = random_tensor({spec.m * spec.n});
  const Tensor a16 = a.astype(DType::bfloat16), b16 = b.astype(DType::bfloat16);
  a = a16.astype(DType::float32);
  b = b16.astype(DType::float32);
  Tensor got = init.clone(), want = init.clone();
  Matmul mm;
  mm.run(spec, a16.data<bfloat16>(), b16.data<bfloat16>(), bias.f32(), got.f32());
  MatmulSpec f32 = spec;
  f32.bf16 = false;
  matmul_reference(f32, a.f32(), b.f32(), bias.f32(), want.f32());
  for (int64_t i = 0; i < got.numel(); ++i) ASSERT_NEAR(got.f32()[i], want.f32()[i], 1e-4f) << i;
}

INSTANTIATE_TEST_SUITE_P(Layouts, Bf16MatmulVsReference,
                         ::testing::Values(Bf16MatmulCase{false, false, false, false, false},
                                           Bf16MatmulCase{true, false, false, false, true},
                                           Bf16MatmulCase{false, true, false, false, true},
                                           Bf16MatmulCase{false, false, true, true, false}));

// bf16 convolution: forward against the reference on bfloat16-rounded operands; backward through the adjoint
// identity, which holds exactly for the rounded operands up to float32 accumulation.
TEST(Bf16Convolution, ForwardAndBackwardAgree) {
  for (const bool same : {false, true}) {
    set_seed(13);
    ConvSpec s{.n = 2, .h = 9, .w = 8, .c = 5, .o = 6, .kh = 3, .kw = 3, .bias = true, .bf16 = true};
    if (same) s.pt = s.pl = s.pb = s.pr = 1;
    const Tensor x16 = random_tensor({s.n, s.h, s.w, s.c}).astype(DType::bfloat16);
    const Tensor k = random_tensor({s.kh, s.kw, s.c, s.o}).astype(DType::bfloat16).astype(DType::float32);
    const Tensor b = random_tensor({s.o});
    const Tensor x = x16.astype(DType::float32);
    Tensor got = Tensor::empty({s.n, s.oh(), s.ow(), s.o}), want = got.clone();
    Convolution conv;
    conv.forward(s, x16.data<bfloat16>(), k.f32(), b.f32(), got.f32());
    ConvSpec f32 = s;
    f32.bf16 = false;
    conv_reference(f32, x.f32(), k.f32(), b.f32(), want.f32());
    for (int64_t i = 0; i < got.numel(); ++i) ASSERT_NEAR(got.f32()[i], want.f32()[i], 1e-4f) << i;

    const Tensor dy16 = random_tensor(got.shape()).astype(DType::bfloat16);
    const Tensor dy = dy16.astype(DType::float32);
    Tensor dx = Tensor::empty(x.shape()), dk = Tensor::empty(k.shape()), y = Tensor::empty(got.shape());
    conv.backward_data(s, dy16.data<bfloat16>(), k.f32(), dx.f32());
    conv.backward_weights(s, x16.data<bfloat16>(), dy16.data<bfloat16>(), dk.f32());
    f32.bias = false;
    conv_reference(f32, x.f32(), k.f32(), nullptr, y.f32());
    auto dot = [](const Tensor& a, const Tensor& c) {
      double acc = 0.0;
      for (int64_t i = 0; i < a.numel(); ++i) acc += static_cast<double>(a.f32()[i]) * c.f32()[i];
      return acc;
    };
    const double ydy = dot(y, dy);
    EXPECT_NEAR(dot(x, dx), ydy, 1e-3 * (1.0 + std::fabs(ydy)));
    EXPECT_NEAR(dot(k, dk), ydy, 1e-3 * (1.0 + std::fabs(ydy)));
  }
}

// The fused pass against its three separate steps, serial and parallel sizes, with and without each part.
TEST(LinearBackwardPointwise, MatchesSeparateSteps) {
  for (auto [rows, cols] : {std::pair<int64_t, int64_t>{5, 7}, {300, 200}}) {
    for (int variant = 0; variant < 4; ++variant) {
      const bool relu = variant & 1, acc = variant & 2;
      set_seed(static_cast<uint64_t>(rows + variant));
      const Tensor g0 = random_tensor({rows, cols}), y = random_tensor({rows, cols}),
                   db0 = random_tensor({cols});
      Tensor g = g0.clone(), db = db0.clone();
      std::vector<bfloat16> g16(static_cast<size_t>(rows * cols));
      linear_backward_pointwise(g.f32(), relu ? y.f32() : nullptr, rows, cols, db.f32(), acc, g16.data());
      for (int64_t c = 0; c < cols; ++c) {
        double sum = acc ? db0.f32()[c] : 0.0;
        for (int64_t r = 0; r < rows; ++r) {
          const int64_t i = r * cols + c;
          const float want = relu && y.f32()[i] <= 0.0f ? 0.0f : g0.f32()[i];
          ASSERT_EQ(g.f32()[i], want);
          ASSERT_EQ(g16[static_cast<size_t>(i)].bits, bfloat16::from_float(want).bits);
          sum += want;
        }
        ASSERT_NEAR(db.f32()[c], sum, 1e-4) << c;
      }
    }
  }
}

}  // namespace
}  // namespace soma::kernels
