#include "soma/autograd/ops/activity_regularization_op.hpp"

#include "kernels/loops.hpp"

namespace soma::autograd {

Variable& ActivityRegularizationOp::forward(Tape* tape, Variable& x, const regularizers::Regularizer& r) {
  x_ = &x;
  r_ = r;
  const int64_t batch = x.value.rank() ? x.value.dim(0) : 1;
  penalty_ = batch > 0 ? r.penalty(x.value) / static_cast<double>(batch) : 0.0;
  out.value = x.value;
  out.mask = x.mask;
  finish_forward(tape, out, x.requires_grad);
  return out;
}

void ActivityRegularizationOp::backward(Tape& tape) {
  if (!x_->requires_grad) return;
  const float inv_batch = 1.0f / static_cast<float>(x_->value.rank() ? x_->value.dim(0) : 1);
  const regularizers::Regularizer scaled{.l1 = r_.l1 * inv_batch, .l2 = r_.l2 * inv_batch};
  bool acc = false;
  const bool upstream = tape.has_grad(out);
  Tensor& dx = tape.grad_target(*x_, acc);
  // The penalty is part of the loss even when nothing downstream of it is.
  if (upstream) {
    kernels::copy_or_add(out.grad.f32(), dx.f32(), dx.numel(), acc);
  } else if (!acc) {
    dx.fill(0.0f);
  }
  scaled.add_gradient(x_->value, dx);
}

}  // namespace soma::autograd
