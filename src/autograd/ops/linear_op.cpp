#include "soma/autograd/ops/linear_op.hpp"

#include "kernels/convert.hpp"
#include "kernels/linear_backward.hpp"
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
namespace {
// A bfloat16 copy of t in `out` (reusing its buffer).
const void* as_bf16(const Tensor& t, Tensor& out) {
  out.resize(t.shape(), DType::bfloat16);
  kernels::to_bfloat16(t.f32(), out.data<bfloat16>(), t.numel());
  return out.data<bfloat16>();
}
}  // namespace

Variable& LinearOp::forward(Tape* tape, Variable& x, Variable& w, Variable* b, bool fuse_relu, bool bf16,
                            int64_t in_features) {
  const Shape& xs = x.value.shape();
  const int64_t k = in_features > 0 ? in_features : w.value.dim(0), n = w.value.numel() / k;
  if (xs.rank() < 1 || xs[-1] != k) {
    throw ShapeError("LinearOp: expected input with last dimension " + std::to_string(k) +
                     ", received shape " + xs.str() + ".");
  }
  const int64_t m = xs.numel() / k;
  k_ = k, n_ = n;
  out.value.resize(xs.with_dim(-1, n));
  kernels::MatmulSpec spec{.m = m, .n = n, .k = k, .bias = b != nullptr, .relu = fuse_relu, .bf16 = bf16};
  const void* xa = bf16 ? as_bf16(x.value, x16_) : x.value.f32();
  const void* wa = bf16 ? as_bf16(w.value, w16_) : w.value.f32();
  forward_->run(spec, xa, wa, b ? b->value.f32() : nullptr, out.value.f32());

  x_ = &x;
  w_ = &w;
  b_ = b;
  relu_ = fuse_relu;
  bf16_ = bf16;
  finish_forward(tape, out, x.requires_grad || w.requires_grad || (b && b->requires_grad));
  return out;
}

void LinearOp::backward(Tape& tape) {
  if (!tape.has_grad(out)) return;
  const int64_t k = k_, n = n_;
  const int64_t m = out.value.numel() / n;
  float* g = out.grad.f32();
  // One pass over g: the relu mask (in place: we own out.grad), the bias gradient, the bfloat16 copy.
  bool acc = false;
  Tensor* db = b_ && b_->requires_grad ? &tape.grad_target(*b_, acc) : nullptr;
  if (bf16_) g16_.resize(out.grad.shape(), DType::bfloat16);
  kernels::linear_backward_pointwise(g, relu_ ? out.value.f32() : nullptr, m, n, db ? db->f32() : nullptr,
                                     acc, bf16_ ? g16_.data<bfloat16>() : nullptr);
  // With bf16, x16_ and w16_ still hold the forward's operands: backward runs before any update.
  const void* ga = bf16_ ? static_cast<const void*>(g16_.data<bfloat16>()) : g;
  if (w_->requires_grad) {
    Tensor& dw = tape.grad_target(*w_, acc);
    // dW (K, N) = x^T (K, M) · g (M, N)
    backward_weights_->run({.m = k, .n = n, .k = m, .trans_a = true, .accumulate = acc, .bf16 = bf16_},
                           bf16_ ? x16_.data<bfloat16>() : static_cast<const void*>(x_->value.f32()), ga,
                           nullptr, dw.f32());
  }
  if (x_->requires_grad) {
    Tensor& dx = tape.grad_target(*x_, acc);
    // dx (M, K) = g (M, N) · W^T (N, K)
    backward_data_->run({.m = m, .n = k, .k = n, .trans_b = true, .accumulate = acc, .bf16 = bf16_}, ga,
                        bf16_ ? w16_.data<bfloat16>() : static_cast<const void*>(w_->value.f32()), nullptr,
                        dx.f32());
  }
}

}  // namespace soma::autograd
