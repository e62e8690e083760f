#include "soma/autograd/ops/scale_shift_op.hpp"

namespace soma::autograd {

Variable& ScaleShiftOp::forward(Tape* tape, Variable& x, float scale, float offset) {
  x_ = &x;
  scale_ = scale;
  out.value.resize(x.value.shape());
  out.mask = x.mask;
  const int64_t n = x.value.numel();
  const float* xv = x.value.f32();
  float* y = out.value.f32();
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) y[i] = xv[i] * scale + offset;
  finish_forward(tape, out, x.requires_grad);
  return out;
}

void ScaleShiftOp::backward(Tape& tape) {
  if (!tape.has_grad(out) || !x_->requires_grad) return;
  bool acc = false;
  Tensor& dx = tape.grad_target(*x_, acc);
  const int64_t n = dx.numel();
  const float* g = out.grad.f32();
  float* d = dx.f32();
  if (acc) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) d[i] += g[i] * scale_;
  } else {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) d[i] = g[i] * scale_;
  }
}

}  // namespace soma::autograd
