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

namespace {
bool row_wise(Kind k) {
  return k == Kind::softmax || k == Kind::log_softmax;
}
}  // namespace

Variable& ActivationOp::forward(Tape* tape, Variable& x, const activations::Activation& act, int axis) {
  if (act.kind == Kind::linear) return x;
  const Shape& s = x.value.shape();
  if (row_wise(act.kind)) {
    const int rank = s.rank();
    if (rank < 1)
      throw ShapeError(act.name + ": expected at least one dimension, received shape " + s.str() + ".");
    if (axis < -rank || axis >= rank) {
      throw ShapeError(act.name + ": expected an axis in [" + std::to_string(-rank) + ", " +
                       std::to_string(rank - 1) + "] for an input of shape " + s.str() + ", received " +
                       std::to_string(axis) + ".");
    }
    const int a = axis < 0 ? axis + rank : axis;
    outer_ = inner_ = 1;
    for (int d = 0; d < a; ++d) outer_ *= s[d];
    for (int d = a + 1; d < rank; ++d) inner_ *= s[d];
    axis_extent_ = s[a];
  }
  x_ = &x;
  act_ = act;
  out.value.resize(s);
  out.mask = x.mask;  // the activations keep the steps, so a sequence mask still applies
  if (row_wise(act.kind)) {
    const kernels::SoftmaxSpec spec{outer_, axis_extent_, inner_, act.kind == Kind::log_softmax};
    if (spec.numel() > 0) softmax_->forward(spec, x.value.f32(), out.value.f32());
  } else {
    eltwise_->forward(act, s.numel(), x.value.f32(), out.value.f32());
  }
  finish_forward(tape, out, x.requires_grad);
  return out;
}

void ActivationOp::backward(Tape& tape) {
  if (!tape.has_grad(out) || !x_->requires_grad) return;
  const Shape& s = out.value.shape();
  const float* saved = kernels::backward_uses_output(act_) ? out.value.f32() : x_->value.f32();
  tape.write_grad(*x_, scratch_, [&](Tensor& dx) {
    if (row_wise(act_.kind)) {
      const kernels::SoftmaxSpec spec{outer_, axis_extent_, inner_, act_.kind == Kind::log_softmax};
      if (spec.numel() > 0) softmax_->backward(spec, saved, out.grad.f32(), dx.f32());
    } else {
      eltwise_->backward(act_, s.numel(), saved, out.grad.f32(), dx.f32());
    }
  });
}

}  // namespace soma::autograd
