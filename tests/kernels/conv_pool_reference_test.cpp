// The oneDNN convolution and pooling kernels against their naive references, over every geometry the
// layers can ask for: strides, padding (including TensorFlow's asymmetric "same"), dilation, bias, relu.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/convolution.hpp"
#include "kernels/pooling.hpp"
#include "support/gradcheck.hpp"

namespace soma::kernels {
namespace {

using soma::testing::random_tensor;

void expect_close(const Tensor& got, const Tensor& want, float tol) {
  ASSERT_EQ(got.numel(), want.numel());
  for (int64_t i = 0; i < got.numel(); ++i) {
    ASSERT_NEAR(got.f32()[i], want.f32()[i], tol * (1.0f + std::fabs(want.f32()[i]))) << "element " << i;
  }
}

class ConvVsReference : public ::testing::TestWithParam<ConvSpec> {};

Tensor conv_input(const ConvSpec& s) { return random_tensor({s.n, s.d, s.h, s.w, s.c}); }
Tensor conv_kernel(const ConvSpec& s) { return random_tensor({s.kernel_numel()}); }
Tensor conv_output(const ConvSpec& s) { return Tensor::empty({s.n, s.od(), s.oh(), s.ow(), s.o}); }

TEST_P(ConvVsReference, ForwardAgrees) {
  const ConvSpec s = GetParam();
  set_seed(21);
  const Tensor x = conv_input(s), k = conv_kernel(s), b = random_tensor({s.o});
  Tensor got = conv_output(s), want = conv_output(s);
  Convolution conv;
  conv.forward(s, x.f32(), k.f32(), b.f32(), got.f32());
  conv_reference(s, x.f32(), k.f32(), b.f32(), want.f32());
  expect_close(got, want, 1e-4f);
}

// Backward data and weights against the reference through the adjoint identity
// <conv(x, k), dy> = <x, dx(dy)> = <k, dk(dy)>, which holds for any x, k, dy.
TEST_P(ConvVsReference, BackwardIsTheAdjointOfForward) {
  ConvSpec s = GetParam();
  s.bias = false;
  s.relu = false;
  set_seed(22);
  const Tensor x = conv_input(s), k = conv_kernel(s);
  Tensor y = conv_output(s);
  const Tensor dy = random_tensor(y.shape());
  Tensor dx = Tensor::empty(x.shape()), dk = Tensor::empty(k.shape());
  conv_reference(s, x.f32(), k.f32(), nullptr, y.f32());
  Convolution conv;
  conv.backward_data(s, dy.f32(), k.f32(), dx.f32());
  conv.backward_weights(s, x.f32(), dy.f32(), dk.f32());
  auto dot = [](const Tensor& a, const Tensor& b) {
    double acc = 0.0;
    for (int64_t i = 0; i < a.numel(); ++i) acc += static_cast<double>(a.f32()[i]) * b.f32()[i];
    return acc;
  };
  const double ydy = dot(y, dy);
  EXPECT_NEAR(dot(x, dx), ydy, 1e-3 * (1.0 + std::fabs(ydy)));
  EXPECT_NEAR(dot(k, dk), ydy, 1e-3 * (1.0 + std::fabs(ydy)));
}

INSTANTIATE_TEST_SUITE_P(
    Geometries, ConvVsReference,
    ::testing::Values(
        ConvSpec{.n = 2, .h = 7, .w = 6, .c = 3, .o = 4, .kh = 3, .kw = 3, .bias = true},
        ConvSpec{.n = 2, .h = 7, .w = 6, .c = 3, .o = 4, .kh = 3, .kw = 3, .bias = true, .relu = true},
        ConvSpec{.n = 1, .h = 8, .w = 9, .c = 2, .o = 5, .kh = 3, .kw = 2, .sh = 2, .sw = 3},
        ConvSpec{.n = 2, .h = 9, .w = 9, .c = 2, .o = 3, .kh = 3, .kw = 3, .dh = 2, .dw = 2},
        // "same" with stride 2 on an even size: TensorFlow pads 0 before, 1 after.
        ConvSpec{.n = 2,
                 .h = 6,
                 .w = 6,
                 .c = 2,
                 .o = 3,
                 .kh = 3,
                 .kw = 3,
                 .sh = 2,
                 .sw = 2,
                 .pt = 0,
                 .pl = 0,
                 .pb = 1,
                 .pr = 1,
                 .bias = true},
        ConvSpec{
            .n = 1, .h = 5, .w = 5, .c = 4, .o = 2, .kh = 3, .kw = 3, .pt = 1, .pl = 1, .pb = 1, .pr = 1},
        // Groups: 6 channels in 3 groups to 9 filters; and depthwise, a group per channel, multiplier 2.
        ConvSpec{.n = 2, .h = 6, .w = 7, .c = 6, .o = 9, .kh = 3, .kw = 3, .groups = 3, .bias = true},
        ConvSpec{.n = 2, .h = 7, .w = 5, .c = 5, .o = 10, .kh = 3, .kw = 3, .sh = 2, .sw = 2, .pt = 1,
                 .pl = 1, .pb = 1, .pr = 1, .groups = 5, .bias = true, .relu = true},
        // 3-D: depth with its own stride, padding and dilation.
        ConvSpec{.n = 2, .h = 5, .w = 4, .c = 3, .o = 2, .kh = 3, .kw = 2, .d = 6, .kd = 3, .sd = 2,
                 .pf = 1, .pk = 1, .bias = true},
        ConvSpec{.n = 1, .h = 4, .w = 4, .c = 2, .o = 3, .kh = 2, .kw = 2, .d = 7, .kd = 2, .dd = 2},
        // Transposed: strides, cropping "same" padding, odd sizes, and an output grown past the full
        // length (negative padding after: Keras' output_padding).
        ConvSpec{.n = 2, .h = 4, .w = 5, .c = 3, .o = 4, .kh = 3, .kw = 3, .sh = 2, .sw = 2, .transposed = true,
                 .bias = true},
        ConvSpec{.n = 2, .h = 4, .w = 3, .c = 2, .o = 3, .kh = 3, .kw = 4, .sh = 2, .sw = 2, .pt = 1,
                 .pl = 1, .pb = 0, .pr = 1, .transposed = true, .bias = true, .relu = true},
        ConvSpec{.n = 1, .h = 3, .w = 3, .c = 2, .o = 2, .kh = 3, .kw = 2, .sh = 2, .sw = 3, .pt = 1,
                 .pl = 0, .pb = 0, .pr = -1, .transposed = true, .bias = true},
        ConvSpec{.n = 1, .h = 3, .w = 4, .c = 2, .o = 3, .kh = 2, .kw = 2, .dh = 2, .dw = 2,
                 .transposed = true},
        ConvSpec{.n = 1, .h = 3, .w = 3, .c = 2, .o = 2, .kh = 2, .kw = 2, .sh = 2, .sw = 2, .d = 3, .kd = 3,
                 .sd = 2, .pf = 1, .pk = 0, .transposed = true, .bias = true}));

class PoolVsReference : public ::testing::TestWithParam<PoolSpec> {};

TEST_P(PoolVsReference, ForwardAgreesAndBackwardRoutesTheGradient) {
  const PoolSpec s = GetParam();
  set_seed(23);
  // Flat tensors: the kernels read the layout the spec names.
  const Tensor x = random_tensor({s.n * s.d * s.h * s.w * s.c});
  Tensor got = Tensor::empty({s.n * s.od() * s.oh() * s.ow() * s.c}), want = got.clone();
  Pooling pool;
  pool.forward(s, x.f32(), got.f32());
  pool_reference(s, x.f32(), want.f32());
  expect_close(got, want, 1e-6f);
  // Pooling is linear in x for a fixed argmax (max) or always (average): <pool(x), dy> = <x, dx(dy)>.
  const Tensor dy = random_tensor(got.shape());
  Tensor dx = Tensor::empty(x.shape());
  pool.backward(s, dy.f32(), dx.f32());
  double lhs = 0.0, rhs = 0.0;
  for (int64_t i = 0; i < got.numel(); ++i) lhs += static_cast<double>(got.f32()[i]) * dy.f32()[i];
  for (int64_t i = 0; i < x.numel(); ++i) rhs += static_cast<double>(x.f32()[i]) * dx.f32()[i];
  EXPECT_NEAR(lhs, rhs, 1e-4 * (1.0 + std::fabs(lhs)));
}

INSTANTIATE_TEST_SUITE_P(
    Geometries, PoolVsReference,
    ::testing::Values(PoolSpec{.n = 2, .h = 6, .w = 6, .c = 3},
                      PoolSpec{.n = 2, .h = 7, .w = 7, .c = 3},  // floor: last row dropped
                      PoolSpec{.n = 2, .h = 6, .w = 6, .c = 3, .max = false},
                      PoolSpec{.n = 1,
                               .h = 7,
                               .w = 5,
                               .c = 2,
                               .kh = 3,
                               .kw = 3,
                               .sh = 2,
                               .sw = 2,
                               .pt = 1,
                               .pl = 1,
                               .pb = 1,
                               .pr = 1,
                               .max = false},
                      PoolSpec{.n = 1,
                               .h = 5,
                               .w = 5,
                               .c = 2,
                               .kh = 2,
                               .kw = 2,
                               .sh = 2,
                               .sw = 2,
                               .pt = 0,
                               .pl = 0,
                               .pb = 1,
                               .pr = 1},
                      PoolSpec{.n = 2, .h = 4, .w = 6, .c = 3, .kh = 4, .kw = 6, .sh = 1, .sw = 1},
                      // channels_first (nchw): oneDNN reads the layout as it is.
                      PoolSpec{.n = 2,
                               .h = 7,
                               .w = 5,
                               .c = 3,
                               .kh = 3,
                               .kw = 2,
                               .sh = 2,
                               .sw = 1,
                               .pt = 1,
                               .pl = 0,
                               .pb = 1,
                               .pr = 1,
                               .max = true,
                               .channels_first = true},
                      PoolSpec{.n = 2,
                               .h = 7,
                               .w = 5,
                               .c = 3,
                               .kh = 3,
                               .kw = 2,
                               .sh = 2,
                               .sw = 1,
                               .pt = 1,
                               .pl = 0,
                               .pb = 1,
                               .pr = 1,
                               .max = false,
                               .channels_first = true},
                      // 3-D: depth windows, strides and "same" padding, in both layouts.
                      PoolSpec{.n = 2, .h = 5, .w = 4, .c = 3, .d = 6},
                      PoolSpec{.n = 1, .h = 5, .w = 5, .c = 2, .kh = 3, .kw = 2, .sh = 2, .sw = 1, .pt = 1,
                               .pb = 1, .pr = 1, .d = 5, .kd = 3, .sd = 2, .pf = 1, .pk = 1, .max = false},
                      PoolSpec{.n = 2, .h = 4, .w = 5, .c = 3, .kh = 2, .kw = 3, .sh = 1, .sw = 2, .d = 3,
                               .kd = 2, .sd = 1, .channels_first = true},
                      PoolSpec{.n = 1, .h = 3, .w = 4, .c = 2, .kh = 3, .kw = 4, .sh = 1, .sw = 1, .d = 5,
                               .kd = 5, .sd = 1, .max = false, .channels_first = true}));

}  // namespace
}  // namespace soma::kernels
