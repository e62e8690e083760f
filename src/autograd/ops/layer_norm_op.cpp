#include "soma/autograd/ops/layer_norm_op.hpp"

#include "kernels/layer_norm.hpp"
#include "kernels/loops.hpp"

namespace soma::autograd {

namespace {
kernels::LayerNormDims dims(const LayerNormParams& p) {
  return {.outer = p.outer, .reduced = p.reduced, .inner = p.inner, .epsilon = p.epsilon, .rms_scaling = p.rms_scaling};
}
}  // namespace

Variable& LayerNormOp::forward(Tape* tape, Variable& x, Variable* gamma, Variable* beta, const LayerNormParams& p) {
  x_ = &x, gamma_ = gamma, beta_ = beta, params_ = p;
  out.value.resize(x.value.shape());
  out.mask = x.mask;
  mean_.resize(Shape{p.outer * p.inner});
  inv_.resize(Shape{p.outer * p.inner});
  kernels::layer_norm_forward(dims(p), x.value.f32(), gamma ? gamma->value.f32() : nullptr,
                              beta ? beta->value.f32() : nullptr, out.value.f32(), mean_.f32(), inv_.f32());
  const bool needs = x.requires_grad || (gamma && gamma->requires_grad) || (beta && beta->requires_grad);
  finish_forward(tape, out, needs);
  return out;
}

void LayerNormOp::backward(Tape& tape) {
  if (!tape.has_grad(out)) return;
  const bool want_gamma = gamma_ && gamma_->requires_grad, want_beta = beta_ && beta_->requires_grad;
  float* dx = nullptr;
  bool acc = false;
  if (x_->requires_grad) dx = tape.grad_target(*x_, acc).f32();
  if (want_gamma) dgamma_.resize(gamma_->value.shape());
  if (want_beta) dbeta_.resize(beta_->value.shape());
  kernels::layer_norm_backward(dims(params_), x_->value.f32(), gamma_ ? gamma_->value.f32() : nullptr, mean_.f32(),
                               inv_.f32(), out.grad.f32(), dx, acc, want_gamma ? dgamma_.f32() : nullptr,
                               want_beta ? dbeta_.f32() : nullptr);
  // A shared layer's weights collect a gradient from each call: add to what earlier calls wrote.
  for (auto [w, g] : {std::pair{gamma_, &dgamma_}, std::pair{beta_, &dbeta_}}) {
    if (!w || !w->requires_grad) continue;
    bool wacc = false;
    Tensor& t = tape.grad_target(*w, wacc);
    kernels::copy_or_add(g->f32(), t.f32(), t.numel(), wacc);
  }
}

}  // namespace soma::autograd
