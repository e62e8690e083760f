#include "soma/autograd/ops/mask_ops.hpp"

#include "kernels/loops.hpp"

namespace soma::autograd {

namespace {
// keras.src.layers.activations.softmax._large_negative_number for float32.
constexpr float kLargeNegative = -1e9f;
}  // namespace

Variable& MaskOp::forward(Tape* tape, Variable& x, const Tensor& mask, MaskMode mode) {
  if (mask.shape() != x.value.shape()) {
    throw ShapeError("MaskOp: expected a mask of the input's shape " + x.value.shape().str() + ", received " +
                     mask.shape().str() + ".");
  }
  x_ = &x;
  mask_ = mask;
  mode_ = mode;
  out.value.resize(x.value.shape());
  out.mask = x.mask;
  const int64_t n = x.value.numel();
  const float* xv = x.value.f32();
  const float* m = mask.f32();
  float* y = out.value.f32();
  if (mode == MaskMode::multiply) {
    kernels::multiply(xv, m, y, n, false);
  } else {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) y[i] = xv[i] + (1.0f - m[i]) * kLargeNegative;
  }
  finish_forward(tape, out, x.requires_grad);
  return out;
}

void MaskOp::backward(Tape& tape) {
  if (!tape.has_grad(out) || !x_->requires_grad) return;
  bool acc = false;
  Tensor& dx = tape.grad_target(*x_, acc);
  if (mode_ == MaskMode::multiply) {
    kernels::multiply(out.grad.f32(), mask_.f32(), dx.f32(), dx.numel(), acc);
  } else {
    kernels::copy_or_add(out.grad.f32(), dx.f32(), dx.numel(), acc);
  }
}

}  // namespace soma::autograd
