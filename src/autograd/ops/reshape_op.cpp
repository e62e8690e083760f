#include "soma/autograd/ops/reshape_op.hpp"

#include "kernels/loops.hpp"

namespace soma::autograd {

Variable& ReshapeOp::forward(Tape* tape, Variable& x, const Shape& shape) {
  x_ = &x;
  out.value = x.value.reshape(shape);
  finish_forward(tape, out, x.requires_grad);
  return out;
}

void ReshapeOp::backward(Tape& tape) {
  if (!tape.has_grad(out) || !x_->requires_grad) return;
  bool acc = false;
  Tensor& dx = tape.grad_target(*x_, acc);
  kernels::copy_or_add(out.grad.f32(), dx.f32(), dx.numel(), acc);
}

}  // namespace soma::autograd
