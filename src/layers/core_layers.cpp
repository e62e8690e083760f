#include "soma/layers/core_layers.hpp"

#include <fmt/format.h>

namespace soma::layers {

namespace {
// Floats in messages as the user wrote them: 0.1, not 0.100000.
std::string number(float v) {
  return fmt::format("{}", v);
}
}  // namespace

Activation::Activation(ActivationOptions options)
    : Layer("activation", options.name, options.input_shape),
      options_(options),
      activation_(activations::get(options.activation)) {}

autograd::Variable& Activation::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) {
  Ops& ops = frame.get<Ops>();
  return ops.op.forward(tape, x, activation_);
}

Flatten::Flatten(FlattenOptions options)
    : Layer("flatten", options.name, options.input_shape), options_(options) {}

autograd::Variable& Flatten::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) {
  Ops& ops = frame.get<Ops>();
  const Shape& s = x.value.shape();
  return ops.op.forward(tape, x, Shape{s[0], s.sample_size()});
}

Reshape::Reshape(ReshapeOptions o)
    : Layer("reshape", o.name, o.input_shape), options_(o), target_(std::move(o.target_shape)) {
  if (target_.empty()) throw ValueError(who() + ": target_shape must not be empty.");
  int unknown = 0;
  for (int64_t d : target_) {
    if (d == -1) {
      ++unknown;
    } else if (d <= 0) {
      throw ValueError(who() + ": target_shape entries must be positive or -1, received " +
                       std::to_string(d) + ".");
    }
  }
  if (unknown > 1) throw ValueError(who() + ": at most one target_shape entry may be -1.");
}

Shape Reshape::output_shape(const Shape& in) const {
  int64_t known = 1;
  int infer = -1;
  for (size_t i = 0; i < target_.size(); ++i) {
    if (target_[i] == -1) {
      infer = static_cast<int>(i);
    } else {
      known *= target_[i];
    }
  }
  Shape out(target_);
  if (infer >= 0 && known > 0 && in.numel() % known == 0) out[infer] = in.numel() / known;
  if (out.numel() != in.numel() || (infer >= 0 && in.numel() % known != 0)) {
    throw ShapeError(who() + ": cannot reshape an input of " + in.with_batch(-1).str() + " (" +
                     std::to_string(in.numel()) + " values per sample) to " +
                     Shape(target_).with_batch(-1).str() + ".");
  }
  return out;
}

autograd::Variable& Reshape::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) {
  Ops& ops = frame.get<Ops>();
  return ops.op.forward(tape, x, output_shape(input_shape()).with_batch(x.value.dim(0)));
}

Dropout::Dropout(DropoutOptions options)
    : Layer("dropout", options.name, options.input_shape), options_(options), rate_(options.rate) {
  if (!(rate_ >= 0.0f && rate_ < 1.0f)) {
    throw ValueError(who() + ": rate must be in [0, 1), received " + std::to_string(rate_) + ".");
  }
}

autograd::Variable& Dropout::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool training) {
  Ops& ops = frame.get<Ops>();
  return ops.op.forward(tape, x, rate_, training);
}

ActivityRegularization::ActivityRegularization(ActivityRegularizationOptions o)
    : Layer("activity_regularization", o.name, o.input_shape), options_(o) {
  if (!(o.l1 >= 0.0f && o.l2 >= 0.0f)) {
    throw ValueError(who() + ": l1 and l2 must be >= 0, received l1 " + number(o.l1) + " and l2 " +
                     number(o.l2) + ".");
  }
  set_activity_regularizer({.l1 = o.l1, .l2 = o.l2});
}

autograd::Variable& Masking::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) {
  const Shape& s = x.value.shape();
  if (s.rank() < 2) {
    throw ShapeError(who() + ": expected input (batch, ..., features), received " + s.str() + ".");
  }
  Ops& ops = frame.get<Ops>();
  const int64_t features = s[-1], rows = s.numel() / features;
  ops.keep.resize(Shape(std::vector<int64_t>(s.dims().begin(), s.dims().end() - 1)));
  ops.keep_wide.resize(s);
  const float* xv = x.value.f32();
  float* keep = ops.keep.f32();
  float* wide = ops.keep_wide.f32();
  const float v = options_.mask_value;
  for (int64_t r = 0; r < rows; ++r) {
    bool any = false;  // NaN != v: a NaN feature keeps its step, as in Keras
    for (int64_t f = 0; f < features; ++f) any = any || xv[r * features + f] != v;
    keep[r] = any ? 1.0f : 0.0f;
    for (int64_t f = 0; f < features; ++f) wide[r * features + f] = keep[r];
  }
  autograd::Variable& y = ops.op.forward(tape, x, ops.keep_wide, autograd::MaskMode::multiply);
  y.mask = ops.keep;
  return y;
}

}  // namespace soma::layers
