#include "soma/layers/dense.hpp"

#include "soma/layers/initializers.hpp"

namespace soma::layers {

namespace {
std::vector<int64_t> declared_shape(const DenseOptions& o) {
  if (o.input_dim > 0 && !o.input_shape.empty()) {
    throw ValueError("Dense: give input_shape or input_dim, not both.");
  }
  return o.input_dim > 0 ? std::vector<int64_t>{o.input_dim} : o.input_shape;
}
}  // namespace

Dense::Dense(DenseOptions options)
    : Layer("dense", options.name, declared_shape(options)),
      options_(std::move(options)),
      activation_(activations::get(options_.activation)),
      policy_(options_.dtype.empty() ? mixed_precision::global_policy()
                                     : mixed_precision::parse(options_.dtype)) {
  if (options_.units <= 0) {
    throw ValueError(who() + ": units must be a positive integer, received " +
                     std::to_string(options_.units) + ".");
  }
  initializers::check_name(options_.kernel_initializer);
  initializers::check_name(options_.bias_initializer);
  options_.kernel_constraint.check(2, who() + ": kernel_constraint");
  options_.bias_constraint.check(1, who() + ": bias_constraint");
  set_activity_regularizer(options_.activity_regularizer);
}

Shape Dense::output_shape(const Shape& input_shape) const {
  if (input_shape.rank() < 1)
    throw ShapeError(who() + ": expected input of rank >= 1 per sample, received a scalar.");
  return input_shape.with_dim(-1, options_.units);
}

void Dense::build_weights(const Shape& input_shape) {
  output_shape(input_shape);
  kernel_ = &add_weight("kernel", Shape{input_shape[-1], options_.units}, options_.kernel_initializer);
  if (options_.use_bias) bias_ = &add_weight("bias", Shape{options_.units}, options_.bias_initializer);
  regularize(*kernel_, options_.kernel_regularizer);
  if (bias_) regularize(*bias_, options_.bias_regularizer);
  constrain(*kernel_, options_.kernel_constraint, "kernel_constraint");
  if (bias_) constrain(*bias_, options_.bias_constraint, "bias_constraint");
}

autograd::Variable& Dense::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) {
  Ops& ops = frame.get<Ops>();
  // relu rides along with the matmul; every other activation is its own op.
  const bool fuse = activation_.kind == activations::Kind::relu;
  autograd::Variable& z =
      ops.linear.forward(tape, x, *kernel_, bias_, fuse, policy_ == mixed_precision::Policy::mixed_bfloat16);
  return fuse ? z : ops.act.forward(tape, z, activation_);
}

}  // namespace soma::layers
