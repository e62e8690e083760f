#include "soma/layers/activation_layers.hpp"

#include <fmt/format.h>

#include <limits>

namespace soma::layers {

namespace {
std::string number(float v) {
  return fmt::format("{}", v);
}
}  // namespace

ReLU::ReLU(ReLUOptions o) : Layer("re_lu", o.name, o.input_shape), options_(o) {
  // Keras 3 refuses negative values for all three.
  if (o.max_value && !(*o.max_value >= 0.0f)) {
    throw ValueError(who() + ": max_value must be >= 0 (or None), received " + number(*o.max_value) + ".");
  }
  if (!(o.negative_slope >= 0.0f)) {
    throw ValueError(who() + ": negative_slope must be >= 0, received " + number(o.negative_slope) + ".");
  }
  if (!(o.threshold >= 0.0f)) {
    throw ValueError(who() + ": threshold must be >= 0, received " + number(o.threshold) + ".");
  }
  if (o.threshold == 0.0f) {
    if (!o.max_value) {
      fast_ = o.negative_slope == 0.0f ? activations::get("relu") : activations::leaky_relu(o.negative_slope);
    } else if (*o.max_value == 6.0f && o.negative_slope == 0.0f) {
      fast_ = activations::get("relu6");
    }
  }
}

autograd::Variable& ReLU::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) {
  Ops& ops = frame.get<Ops>();
  if (fast_) return ops.act.forward(tape, x, *fast_);
  return ops.relu.forward(tape, x,
                       {.negative_slope = options_.negative_slope,
                        .max_value = options_.max_value.value_or(std::numeric_limits<float>::infinity()),
                        .threshold = options_.threshold});
}

LeakyReLU::LeakyReLU(LeakyReLUOptions o) : Layer("leaky_re_lu", o.name, o.input_shape), options_(o) {
  if (!(o.negative_slope >= 0.0f)) {
    throw ValueError(who() + ": negative_slope must be >= 0, received " + number(o.negative_slope) + ".");
  }
}

autograd::Variable& LeakyReLU::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) {
  Ops& ops = frame.get<Ops>();
  return ops.op.forward(tape, x, activations::leaky_relu(options_.negative_slope));
}

PReLU::PReLU(PReLUOptions o) : Layer("p_re_lu", o.name, o.input_shape), options_(std::move(o)) {
  initializers::check_name(options_.alpha_initializer);
  for (int64_t a : options_.shared_axes) {
    if (a < 1) {
      throw ValueError(who() + ": shared_axes entries must be axes after the batch (>= 1), received " +
                       std::to_string(a) + ".");
    }
  }
}

Shape PReLU::output_shape(const Shape& in) const {
  for (int64_t a : options_.shared_axes) {
    if (a > in.rank()) {
      throw ShapeError(who() + ": shared_axes entry " + std::to_string(a) + " is not an axis of the input " +
                       in.with_batch(-1).str() + " (at most " + std::to_string(in.rank()) + ").");
    }
  }
  return in;
}

void PReLU::build_weights(const Shape& in) {
  output_shape(in);
  Shape shape = in;
  for (int64_t a : options_.shared_axes) shape[static_cast<int>(a) - 1] = 1;
  alpha_ = &add_weight("alpha", shape, options_.alpha_initializer);
  regularize(*alpha_, options_.alpha_regularizer);
  constrain(*alpha_, options_.alpha_constraint, "alpha_constraint");
}

autograd::Variable& PReLU::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) {
  Ops& ops = frame.get<Ops>();
  return ops.op.forward(tape, x, *alpha_);
}

ELU::ELU(ELUOptions o) : Layer("elu", o.name, o.input_shape), options_(o) {}

autograd::Variable& ELU::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) {
  Ops& ops = frame.get<Ops>();
  return ops.op.forward(tape, x, activations::elu(options_.alpha));
}

Softmax::Softmax(SoftmaxOptions o) : Layer("softmax", o.name, o.input_shape), options_(o) {}

Shape Softmax::output_shape(const Shape& in) const {
  const int rank = in.rank() + 1;  // with the batch
  if (options_.axis < -rank || options_.axis >= rank) {
    throw ShapeError(who() + ": axis " + std::to_string(options_.axis) + " is not an axis of the input " +
                     in.with_batch(-1).str() + "; expected one in [" + std::to_string(-rank) + ", " +
                     std::to_string(rank - 1) + "].");
  }
  return in;
}

autograd::Variable& Softmax::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) {
  Ops& ops = frame.get<Ops>();
  const auto softmax = activations::get("softmax");
  if (!x.mask.defined()) return ops.op.forward(tape, x, softmax, options_.axis);
  if (x.mask.shape() != x.value.shape()) {
    throw ShapeError(who() + ": expected a mask of the input's shape " + x.value.shape().str() +
                     " (Keras adds (1 - mask) * -1e9 to the input), received a mask of shape " +
                     x.mask.shape().str() + ".");
  }
  autograd::Variable& z = ops.before.forward(tape, x, x.mask, autograd::MaskMode::add_large_negative);
  return ops.after.forward(tape, ops.op.forward(tape, z, softmax, options_.axis), x.mask,
                        autograd::MaskMode::multiply);
}

}  // namespace soma::layers
