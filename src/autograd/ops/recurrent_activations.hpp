#pragma once
// The cell activations of RecurrentOp, applied in place to a gate's n values per row and step. They are
// written so that GCC vectorises them (fast_math's exp instead of std::exp), because a cell evaluates
// several per unit and step; gelu, softplus and mish stay scalar std:: calls (correct, slower). The
// derivative comes from the saved output y = f(x) where that determines it, else from the saved input.
#include <cstdint>

#include "kernels/eltwise.hpp"
#include "kernels/fast_math.hpp"
#include "soma/activations.hpp"

namespace soma::autograd::detail {

using activations::Activation;
using activations::Kind;

inline constexpr float kSeluScale = 1.0507009873554805f, kSeluAlpha = 1.6732632423543772f;

// e^x - 1 without the cancellation of fast_exp(x) - 1 near 0 (elu, selu are continuous there).
inline float fast_expm1(float x) {
  const float small = x * (1.0f + x * (0.5f + x * (0.166666667f + x * 0.0416666667f)));
  return (x > -0.0625f && x < 0.0625f) ? small : kernels::fast_exp(x) - 1.0f;
}

// Whether f'(x) is a function of y = f(x) alone.
inline bool derivative_from_output(const Activation& a) {
  switch (a.kind) {
    case Kind::linear:
    case Kind::relu:
    case Kind::sigmoid:
    case Kind::tanh:
    case Kind::hard_sigmoid:
    case Kind::relu6:
    case Kind::softsign:
    case Kind::exponential:
    case Kind::selu:
      return true;
    case Kind::elu:  // y > 0 exactly when x > 0 only for a positive alpha (and leaky_relu's slope)
      return a.alpha > 0.0f;
    case Kind::leaky_relu:
      return a.alpha >= 0.0f;
    default:  // gelu, swish, softplus, hard_silu, mish
      return false;
  }
}

// p[0..n) = f(p[0..n)).
inline void activate(const Activation& a, float* __restrict p, int64_t n) {
  const float alpha = a.alpha;
  switch (a.kind) {
    case Kind::linear:
      break;
    case Kind::tanh:
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) p[i] = kernels::fast_tanh(p[i]);
      break;
    case Kind::sigmoid:
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) p[i] = kernels::fast_sigmoid(p[i]);
      break;
    case Kind::relu:
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) p[i] = p[i] > 0.0f ? p[i] : 0.0f;
      break;
    case Kind::hard_sigmoid:
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) {
        const float z = alpha * p[i] + 0.5f;
        p[i] = z < 0.0f ? 0.0f : (z > 1.0f ? 1.0f : z);
      }
      break;
    case Kind::relu6:
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) p[i] = p[i] < 0.0f ? 0.0f : (p[i] > 6.0f ? 6.0f : p[i]);
      break;
    case Kind::softsign:
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) p[i] = p[i] / (1.0f + (p[i] < 0.0f ? -p[i] : p[i]));
      break;
    case Kind::leaky_relu:
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) p[i] = p[i] > 0.0f ? p[i] : alpha * p[i];
      break;
    case Kind::elu:
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) p[i] = p[i] > 0.0f ? p[i] : alpha * fast_expm1(p[i]);
      break;
    case Kind::selu:
#pragma omp simd
      for (int64_t i = 0; i < n; ++i)
        p[i] = kSeluScale * (p[i] > 0.0f ? p[i] : kSeluAlpha * fast_expm1(p[i]));
      break;
    case Kind::exponential:
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) p[i] = kernels::fast_exp(p[i]);
      break;
    case Kind::swish:
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) p[i] = p[i] * kernels::fast_sigmoid(p[i]);
      break;
    case Kind::hard_silu:
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) {
        const float t = p[i] + 3.0f;
        p[i] = p[i] * (t < 0.0f ? 0.0f : (t > 6.0f ? 6.0f : t)) * (1.0f / 6.0f);
      }
      break;
    default:  // gelu, softplus, mish (softmax and log_softmax are refused by supports_activation)
      for (int64_t i = 0; i < n; ++i) p[i] = kernels::activation_reference(a.kind, alpha, p[i]);
      break;
  }
}

// d[0..n) = f'(x) from y = f(x) (derivative_from_output) or from the input x (then non-null).
inline void derivative(const Activation& a, const float* __restrict y, const float* __restrict x,
                       float* __restrict d, int64_t n) {
  const float alpha = a.alpha;
  switch (a.kind) {
    case Kind::linear:
      for (int64_t i = 0; i < n; ++i) d[i] = 1.0f;
      break;
    case Kind::tanh:
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) d[i] = 1.0f - y[i] * y[i];
      break;
    case Kind::sigmoid:
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) d[i] = y[i] * (1.0f - y[i]);
      break;
    case Kind::relu:
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) d[i] = y[i] > 0.0f ? 1.0f : 0.0f;
      break;
    case Kind::hard_sigmoid:
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) d[i] = y[i] > 0.0f && y[i] < 1.0f ? alpha : 0.0f;
      break;
    case Kind::relu6:
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) d[i] = y[i] > 0.0f && y[i] < 6.0f ? 1.0f : 0.0f;
      break;
    case Kind::softsign:  // 1 / (1 + |x|)^2 = (1 - |y|)^2
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) {
        const float m = 1.0f - (y[i] < 0.0f ? -y[i] : y[i]);
        d[i] = m * m;
      }
      break;
    case Kind::exponential:
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) d[i] = y[i];
      break;
    case Kind::selu:  // negative side: scale alpha e^x = y + scale alpha
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) d[i] = y[i] > 0.0f ? kSeluScale : y[i] + kSeluScale * kSeluAlpha;
      break;
    case Kind::elu:
      if (x) {
#pragma omp simd
        for (int64_t i = 0; i < n; ++i) d[i] = x[i] > 0.0f ? 1.0f : alpha * kernels::fast_exp(x[i]);
      } else {
#pragma omp simd
        for (int64_t i = 0; i < n; ++i) d[i] = y[i] > 0.0f ? 1.0f : y[i] + alpha;
      }
      break;
    case Kind::leaky_relu:
      if (x) {
#pragma omp simd
        for (int64_t i = 0; i < n; ++i) d[i] = x[i] > 0.0f ? 1.0f : alpha;
      } else {
#pragma omp simd
        for (int64_t i = 0; i < n; ++i) d[i] = y[i] > 0.0f ? 1.0f : alpha;
      }
      break;
    case Kind::swish:
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) {
        const float s = kernels::fast_sigmoid(x[i]);
        d[i] = s + x[i] * s * (1.0f - s);
      }
      break;
    case Kind::softplus:
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) d[i] = kernels::fast_sigmoid(x[i]);
      break;
    case Kind::hard_silu:
#pragma omp simd
      for (int64_t i = 0; i < n; ++i)
        d[i] = x[i] <= -3.0f ? 0.0f : (x[i] >= 3.0f ? 1.0f : (2.0f * x[i] + 3.0f) * (1.0f / 6.0f));
      break;
    default:  // gelu, mish
      for (int64_t i = 0; i < n; ++i) d[i] = kernels::activation_derivative_reference(a.kind, alpha, x[i]);
      break;
  }
}

}  // namespace soma::autograd::detail
