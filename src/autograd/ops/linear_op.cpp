#include "soma/autograd/ops/linear_op.hpp"

#include "kernels/loops.hpp"
#include "kernels/matmul.hpp"

namespace soma::autograd {

LinearOp::LinearOp()
    : forward_(std::make_unique<kernels::Matmul>()),
      backward_data_(std::make_unique<kernels::Matmul>()),
      backward_weights_(std::make_unique<kernels::Matmul>()) {}
LinearOp::~LinearOp() = default;
LinearOp::LinearOp(LinearOp&&) noexcept = default;
LinearOp& LinearOp::operator=(LinearOp&&) noexcept = default;

// Shapes: x (M, K) after folding leading dims, W (K, N), b (N), out (M, N).
Variable& LinearOp::forward(Tape* tape, Variable& x, Variable& w, Variable* b, bool fuse_relu) {
  const Shape& xs = x.value.shape();
  const int64_t k = w.value.dim(0), n = w.value.dim(1);
  if (xs.rank() < 1 || xs[-1] != k) {
    throw ShapeError("LinearOp: expected input with last dimension " + std::to_string(k) + ", received shape " +
                     xs.str() + ".");
  }
  const int64_t m = xs.numel() / k;
  out.value.resize(xs.with_dim(-1, n));
  kernels::MatmulSpec spec{.m = m, .n = n, .k = k, .bias = b != nullptr, .relu = fuse_relu};
  forward_->run(spec, x.value.f32(), w.value.f32(), b ? b->value.f32() : nullptr, out.value.f32());

  x_ = &x;
  w_ = &w;
  b_ = b;
  relu_ = fuse_relu;
  finish_forward(tape, out, x.requires_grad || w.requires_grad || (b && b->requires_grad));
  return out;
}

void LinearOp::backward(Tape& tape) {
  if (!tape.has_grad(out)) return;
  const int64_t k = w_->value.dim(0), n = w_->value.dim(1);
  const int64_t m = out.value.numel() / n;
  float* g = out.grad.f32();
  // We own out.grad, so the relu mask is applied in place.
  if (relu_) kernels::relu_mask(g, out.value.f32(), m * n);
  bool acc = false;
  if (w_->requires_grad) {
    Tensor& dw = tape.grad_target(*w_, acc);
    // dW (K, N) = x^T (K, M) · g (M, N)
    backward_weights_->run({.m = k, .n = n, .k = m, .trans_a = true, .accumulate = acc}, x_->value.f32(), g,
                           nullptr, dw.f32());
  }
  if (b_ && b_->requires_grad) {
    Tensor& db = tape.grad_target(*b_, acc);
    kernels::column_sum(g, m, n, db.f32(), acc);
  }
  if (x_->requires_grad) {
    Tensor& dx = tape.grad_target(*x_, acc);
    // dx (M, K) = g (M, N) · W^T (N, K)
    backward_data_->run({.m = m, .n = k, .k = n, .trans_b = true, .accumulate = acc}, g, w_->value.f32(), nullptr,
                        dx.f32());
  }
}

}  // namespace soma::autograd
