#include "soma/autograd/ops/batch_norm_op.hpp"

#include "kernels/batch_norm.hpp"
#include "kernels/loops.hpp"

namespace soma::autograd {

BatchNormOp::BatchNormOp() : kernel_(std::make_unique<kernels::BatchNorm>()) {}
BatchNormOp::~BatchNormOp() = default;
BatchNormOp::BatchNormOp(BatchNormOp&&) noexcept = default;
BatchNormOp& BatchNormOp::operator=(BatchNormOp&&) noexcept = default;

Variable& BatchNormOp::forward(Tape* tape, Variable& x, Variable* gamma, Variable* beta,
                               const Variable& moving_mean, const Variable& moving_variance,
                               const BatchNormParams& p, bool training) {
  const Shape& s = x.value.shape();
  const int64_t axis = p.axis < 0 ? p.axis + s.rank() : p.axis;
  if (axis < 1 || axis >= s.rank()) {
    throw ShapeError("BatchNormalization: axis " + std::to_string(p.axis) +
                     " is not a feature axis of an input of shape " + s.str() + ".");
  }
  outer_ = 1;
  inner_ = 1;
  for (int64_t d = 0; d < axis; ++d) outer_ *= s[d];
  for (int64_t d = axis + 1; d < s.rank(); ++d) inner_ *= s[d];
  c_ = s[axis];
  if (training && outer_ * inner_ < 2) {
    throw ValueError(
        "BatchNormalization: training needs more than one value per channel to compute a variance, "
        "received shape " +
        s.str() + ".");
  }
  epsilon_ = p.epsilon;
  training_ = training;
  mean_.resize(Shape{c_});
  var_.resize(Shape{c_});
  if (!training) {
    mean_.copy_from(moving_mean.value);
    var_.copy_from(moving_variance.value);
  }
  out.value.resize(s);
  const kernels::BatchNormSpec spec{.outer = outer_, .c = c_, .inner = inner_, .epsilon = epsilon_,
                                    .scale = gamma != nullptr, .shift = beta != nullptr,
                                    .global_stats = !training};
  kernel_->forward(spec, x.value.f32(), gamma ? gamma->value.f32() : nullptr, beta ? beta->value.f32() : nullptr,
                   mean_.f32(), var_.f32(), out.value.f32());
  x_ = &x;
  gamma_ = gamma;
  beta_ = beta;
  finish_forward(tape, out,
                 x.requires_grad || (gamma && gamma->requires_grad) || (beta && beta->requires_grad));
  return out;
}

void BatchNormOp::backward(Tape& tape) {
  if (!tape.has_grad(out)) return;
  const kernels::BatchNormSpec spec{.outer = outer_, .c = c_, .inner = inner_, .epsilon = epsilon_,
                                    .scale = gamma_ != nullptr, .shift = beta_ != nullptr,
                                    .global_stats = !training_};
  dgamma_.resize(Shape{c_});
  dbeta_.resize(Shape{c_});
  auto run = [&](Tensor& dx) {
    kernel_->backward(spec, x_->value.f32(), out.grad.f32(), gamma_ ? gamma_->value.f32() : nullptr, mean_.f32(),
                      var_.f32(), dx.f32(), dgamma_.f32(), dbeta_.f32());
  };
  if (x_->requires_grad) {
    tape.write_grad(*x_, scratch_, run);
  } else {
    scratch_.resize(x_->value.shape());
    run(scratch_);
  }
  bool acc = false;
  if (gamma_ && gamma_->requires_grad) {
    Tensor& dg = tape.grad_target(*gamma_, acc);
    kernels::copy_or_add(dgamma_.f32(), dg.f32(), c_, acc);
  }
  if (beta_ && beta_->requires_grad) {
    Tensor& db = tape.grad_target(*beta_, acc);
    kernels::copy_or_add(dbeta_.f32(), db.f32(), c_, acc);
  }
}

}  // namespace soma::autograd
