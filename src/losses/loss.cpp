#include "soma/losses/loss.hpp"

#include <cmath>

#include "kernels/loops.hpp"
#include "soma/autograd/ops/activation_op.hpp"

namespace soma::losses {

void Loss::check_targets(const Shape& pred, const Tensor& y_true) const {
  if (y_true.shape() != pred) {
    throw ShapeError(name() + ": y_true of shape " + y_true.shape().str() +
                     " does not match y_pred of shape " + pred.str() +
                     "; for integer class labels use sparse_categorical_crossentropy, for "
                     "one-hot targets see utils::to_categorical.");
  }
  if (y_true.dtype() != DType::float32) {
    throw ValueError(name() + ": y_true must be float32, received " + dtype_name(y_true.dtype()) +
                     "; convert with astype(DType::float32).");
  }
}

autograd::Variable& Loss::forward(autograd::Tape* tape, autograd::Variable& y_pred, const Tensor& y_true,
                                  std::span<const float> sample_weight) {
  check_targets(y_pred.value.shape(), y_true);
  const int64_t samples = y_pred.value.rank() < 1 ? 1 : y_pred.value.dim(0);
  if (!sample_weight.empty() && static_cast<int64_t>(sample_weight.size()) != samples) {
    throw ShapeError(name() + ": expected one sample weight per sample, " + std::to_string(samples) +
                     " for y_pred of shape " + y_pred.value.shape().str() + ", received " +
                     std::to_string(sample_weight.size()) + ".");
  }
  target_ = &y_pred;
  bool logits = options_.from_logits;
  if (!logits && fuses_with()) {
    if (auto* act = dynamic_cast<autograd::ActivationOp*>(y_pred.producer);
        act && act->activation().kind == *fuses_with()) {
      target_ = &act->input();
      logits = true;
    }
  }
  const bool need_grad = tape && target_->requires_grad;
  if (need_grad) grad_.resize(target_->value.shape());
  const float* weights = sample_weight.empty() ? nullptr : sample_weight.data();
  value_ = static_cast<float>(
      evaluate(target_->value, logits, y_true, weights, need_grad ? grad_.f32() : nullptr));
  out.value.resize(Shape{});
  out.value.f32()[0] = value_;
  finish_forward(tape, out, need_grad);
  return out;
}

void Loss::backward(autograd::Tape& tape) {
  if (!tape.has_grad(out)) return;
  const float seed = out.grad.f32()[0];
  bool acc = false;
  Tensor& g = tape.grad_target(*target_, acc);
  const float* src = grad_.f32();
  float* dst = g.f32();
  const int64_t n = g.numel();
  if (acc) {
    for (int64_t i = 0; i < n; ++i) dst[i] += seed * src[i];
  } else {
    for (int64_t i = 0; i < n; ++i) dst[i] = seed * src[i];
  }
}

}  // namespace soma::losses
