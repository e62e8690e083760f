#include "soma/autograd/ops/scale_shift_op.hpp"

namespace soma::autograd {

namespace {
// y[i] (+)= x[i] * s[i % period] (+ o[i % period]); o may be null.
void scale_rows(const float* __restrict x, const float* s, const float* o, float* __restrict y, int64_t n,
                int64_t period, bool accumulate) {
  for (int64_t start = 0; start < n; start += period) {
    const float* xb = x + start;
    float* yb = y + start;
    if (accumulate) {
#pragma omp simd
      for (int64_t i = 0; i < period; ++i) yb[i] += xb[i] * s[i];
    } else if (o) {
#pragma omp simd
      for (int64_t i = 0; i < period; ++i) yb[i] = xb[i] * s[i] + o[i];
    } else {
#pragma omp simd
      for (int64_t i = 0; i < period; ++i) yb[i] = xb[i] * s[i];
    }
  }
}
// A scalar scale is spread over this many values, so the inner loops stay long.
constexpr int64_t kScalarPeriod = 256;
}  // namespace

Variable& ScaleShiftOp::forward(Tape* tape, Variable& x, float scale, float offset) {
  const int64_t n = x.value.numel();
  int64_t period = 1;
  while (period * 2 <= kScalarPeriod && n % (period * 2) == 0) period *= 2;
  scale_.resize(Shape{period});
  offset_.resize(Shape{period});
  for (int64_t i = 0; i < period; ++i) scale_.f32()[i] = scale, offset_.f32()[i] = offset;
  return run(tape, x);
}

Variable& ScaleShiftOp::forward(Tape* tape, Variable& x, const Tensor& scale, const Tensor& offset) {
  const int64_t period = scale.numel();
  if (period == 0 || offset.numel() != period || x.value.numel() % period != 0) {
    throw ShapeError("ScaleShiftOp: scale " + scale.shape().str() + " and offset " + offset.shape().str() +
                     " must hold the same number of values, dividing x " + x.value.shape().str() + "'s.");
  }
  scale_.resize(scale.shape());
  offset_.resize(offset.shape());
  scale_.copy_from(scale);
  offset_.copy_from(offset);
  return run(tape, x);
}

Variable& ScaleShiftOp::run(Tape* tape, Variable& x) {
  x_ = &x;
  out.value.resize(x.value.shape());
  out.mask = x.mask;
  scale_rows(x.value.f32(), scale_.f32(), offset_.f32(), out.value.f32(), x.value.numel(), scale_.numel(), false);
  finish_forward(tape, out, x.requires_grad);
  return out;
}

void ScaleShiftOp::backward(Tape& tape) {
  if (!tape.has_grad(out) || !x_->requires_grad) return;
  bool acc = false;
  Tensor& dx = tape.grad_target(*x_, acc);
  scale_rows(out.grad.f32(), scale_.f32(), nullptr, dx.f32(), dx.numel(), scale_.numel(), acc);
}

}  // namespace soma::autograd
