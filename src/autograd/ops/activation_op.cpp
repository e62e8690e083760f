#include "soma/autograd/ops/activation_op.hpp"

#include "kernels/eltwise.hpp"
#include "kernels/loops.hpp"
#include "kernels/softmax.hpp"

namespace soma::autograd {

using activations::Kind;

ActivationOp::ActivationOp()
    : eltwise_(std::make_unique<kernels::Eltwise>()), softmax_(std::make_unique<kernels::Softmax>()) {}
ActivationOp::~ActivationOp() = default;
ActivationOp::ActivationOp(ActivationOp&&) noexcept = default;
ActivationOp& ActivationOp::operator=(ActivationOp&&) noexcept = default;

Variable& ActivationOp::forward(Tape* tape, Variable& x, const activations::Activation& act) {
  if (act.kind == Kind::linear) return x;
  x_ = &x;
  act_ = act;
  const Shape& s = x.value.shape();
  out.value.resize(s);
  if (act.kind == Kind::softmax) {
    if (s.rank() < 1)
      throw ShapeError("softmax: expected at least one dimension, received shape " + s.str() + ".");
    const int64_t cols = s[-1];
    softmax_->forward(s.numel() / cols, cols, x.value.f32(), out.value.f32());
  } else {
    eltwise_->forward(act, s.numel(), x.value.f32(), out.value.f32());
  }
  finish_forward(tape, out, x.requires_grad);
  return out;
}

void ActivationOp::backward(Tape& tape) {
  if (!tape.has_grad(out) || !x_->requires_grad) return;
  const Shape& s = out.value.shape();
  const float* saved = kernels::backward_uses_output(act_.kind) ? out.value.f32() : x_->value.f32();
  tape.write_grad(*x_, scratch_, [&](Tensor& dx) {
    if (act_.kind == Kind::softmax) {
      softmax_->backward(s.numel() / s[-1], s[-1], saved, out.grad.f32(), dx.f32());
    } else {
      eltwise_->backward(act_, s.numel(), saved, out.grad.f32(), dx.f32());
    }
  });
}

}  // namespace soma::autograd
