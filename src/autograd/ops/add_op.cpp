#include "soma/autograd/ops/add_op.hpp"

#include "kernels/loops.hpp"

namespace soma::autograd {

Variable& AddOp::forward(Tape* tape, Variable& a, Variable& b) {
  if (a.value.shape() != b.value.shape()) {
    throw ShapeError("AddOp: cannot add shapes " + a.value.shape().str() + " and " + b.value.shape().str() +
                     ".");
  }
  a_ = &a;
  b_ = &b;
  out.value.resize(a.value.shape());
  const int64_t n = out.value.numel();
  const float* pa = a.value.f32();
  const float* pb = b.value.f32();
  float* po = out.value.f32();
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) po[i] = pa[i] + pb[i];
  finish_forward(tape, out, a.requires_grad || b.requires_grad);
  return out;
}

void AddOp::backward(Tape& tape) {
  if (!tape.has_grad(out)) return;
  for (Variable* v : {a_, b_}) {
    if (!v->requires_grad) continue;
    bool acc = false;
    Tensor& g = tape.grad_target(*v, acc);
    kernels::copy_or_add(out.grad.f32(), g.f32(), g.numel(), acc);
  }
}

}  // namespace soma::autograd
