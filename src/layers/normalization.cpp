#include "soma/layers/normalization.hpp"

#include <fmt/format.h>

#include <tuple>

#include <algorithm>
#include <cmath>

#include "layers/axis_block.hpp"
#include "soma/layers/initializers.hpp"

namespace soma::layers {

BatchNormalization::BatchNormalization(BatchNormalizationOptions o)
    : Layer("batch_normalization", o.name, o.input_shape), options_(std::move(o)) {
  if (options_.axis == 0) {
    throw ValueError(who() + ": axis 0 is the batch axis; expected a feature axis (-1 for channels-last, 1 "
                     "for channels-first).");
  }
  if (!(options_.momentum >= 0.0f && options_.momentum <= 1.0f)) {
    throw ValueError(who() + ": momentum must be in [0, 1], received " + std::to_string(options_.momentum) +
                     ".");
  }
  if (!(options_.epsilon > 0.0f)) {
    throw ValueError(who() + ": epsilon must be positive, received " + std::to_string(options_.epsilon) +
                     ".");
  }
  for (const auto* n : {&options_.beta_initializer, &options_.gamma_initializer,
                        &options_.moving_mean_initializer, &options_.moving_variance_initializer}) {
    initializers::check_name(*n);
  }
}

void BatchNormalization::build_weights(const Shape& in) {
  if (in.rank() < 1) throw ShapeError(who() + ": expected input of rank >= 2, received a scalar per sample.");
  const int64_t rank = in.rank() + 1;  // with the batch axis
  axis_ = options_.axis < 0 ? options_.axis + rank : options_.axis;
  if (axis_ < 1 || axis_ >= rank) {
    throw ShapeError(who() + ": axis " + std::to_string(options_.axis) + " is out of range for input of shape " +
                     in.with_batch(-1).str() + "; expected an axis in [" + std::to_string(1 - rank) + ", -1] or [1, " +
                     std::to_string(rank - 1) + "], not the batch axis.");
  }
  const Shape channels{in[axis_ - 1]};
  if (options_.scale) gamma_ = &add_weight("gamma", channels, options_.gamma_initializer);
  if (options_.center) beta_ = &add_weight("beta", channels, options_.beta_initializer);
  moving_mean_ = &add_weight("moving_mean", channels, options_.moving_mean_initializer, false);
  moving_variance_ = &add_weight("moving_variance", channels, options_.moving_variance_initializer, false);
}

autograd::Variable& BatchNormalization::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                                                bool training) {
  Ops& ops = frame.get<Ops>();
  const bool batch_statistics = training && trainable();
  autograd::Variable& y = ops.op.forward(tape, x, gamma_, beta_, *moving_mean_, *moving_variance_,
                                      {.epsilon = options_.epsilon, .axis = axis_}, batch_statistics);
  ops.pending_update = batch_statistics;
  return y;
}

void BatchNormalization::update_state(CallFrame& frame) {
  Ops& ops = frame.get<Ops>();
  if (!ops.pending_update) return;
  ops.pending_update = false;
  const float m = options_.momentum, rest = 1.0f - m;
  float* mm = moving_mean_->value.f32();
  float* mv = moving_variance_->value.f32();
  const float* bm = ops.op.mean().f32();
  const float* bv = ops.op.variance().f32();
  for (int64_t j = 0; j < moving_mean_->value.numel(); ++j) {
    mm[j] = mm[j] * m + bm[j] * rest;
    mv[j] = mv[j] * m + bv[j] * rest;
  }
}

LayerNormalization::LayerNormalization(LayerNormalizationOptions o)
    : Layer("layer_normalization", o.name, o.input_shape), options_(std::move(o)) {
  if (options_.axis.empty()) throw ValueError(who() + ": axis must name at least one axis, received [].");
  if (!(options_.epsilon > 0.0f) || !std::isfinite(options_.epsilon)) {
    throw ValueError(who() + ": epsilon must be a finite number > 0, received " + fmt::format("{}", options_.epsilon) +
                     ".");
  }
  initializers::check_name(options_.beta_initializer);
  initializers::check_name(options_.gamma_initializer);
}

void LayerNormalization::build_weights(const Shape& in) {
  std::tie(first_, last_) = detail::axis_block(options_.axis, in, who());
  std::vector<int64_t> dims;
  for (int64_t a = first_; a <= last_; ++a) dims.push_back(in[static_cast<int>(a - 1)]);
  const Shape shape{std::span<const int64_t>(dims)};
  if (options_.scale || options_.rms_scaling) {
    gamma_ = &add_weight("gamma", shape, options_.gamma_initializer);
    regularize(*gamma_, options_.gamma_regularizer);
    constrain(*gamma_, options_.gamma_constraint, "gamma_constraint");
  }
  if (options_.center && !options_.rms_scaling) {
    beta_ = &add_weight("beta", shape, options_.beta_initializer);
    regularize(*beta_, options_.beta_regularizer);
    constrain(*beta_, options_.beta_constraint, "beta_constraint");
  }
}

autograd::Variable& LayerNormalization::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                                                bool) {
  Ops& ops = frame.get<Ops>();
  const Shape& s = x.value.shape();
  autograd::LayerNormParams p{.epsilon = options_.epsilon, .rms_scaling = options_.rms_scaling};
  for (int a = 0; a < s.rank(); ++a) {
    if (a < first_) p.outer *= s[a];
    else if (a <= last_) p.reduced *= s[a];
    else p.inner *= s[a];
  }
  return ops.op.forward(tape, x, gamma_, beta_, p);
}

UnitNormalization::UnitNormalization(UnitNormalizationOptions o)
    : Layer("unit_normalization", o.name, o.input_shape), options_(std::move(o)) {
  if (options_.axis.empty()) throw ValueError(who() + ": axis must name at least one axis, received [].");
}

Shape UnitNormalization::output_shape(const Shape& in) const {
  detail::axis_block(options_.axis, in, who());
  return in;
}

autograd::Variable& UnitNormalization::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) {
  const Shape& s = x.value.shape();
  const auto [first, last] =
      detail::axis_block(options_.axis, Shape(std::vector<int64_t>(s.dims().begin() + 1, s.dims().end())), who());
  autograd::UnitNormParams p;
  for (int a = 0; a < s.rank(); ++a) {
    if (a < first) p.outer *= s[a];
    else if (a <= last) p.reduced *= s[a];
    else p.inner *= s[a];
  }
  return frame.get<Ops>().op.forward(tape, x, p);
}

GroupNormalization::GroupNormalization(GroupNormalizationOptions o)
    : Layer("group_normalization", o.name, o.input_shape), options_(std::move(o)) {
  if (options_.groups == 0 || options_.groups < -1) {
    throw ValueError(fmt::format("{}: groups must be a positive integer or -1 (one per channel), received {}.", who(),
                                 options_.groups));
  }
  if (!(options_.epsilon > 0.0f) || !std::isfinite(options_.epsilon)) {
    throw ValueError(fmt::format("{}: epsilon must be a finite number > 0, received {}.", who(), options_.epsilon));
  }
  initializers::check_name(options_.beta_initializer);
  initializers::check_name(options_.gamma_initializer);
}

int64_t GroupNormalization::channel_axis(const Shape& in) const {
  const int64_t axis = detail::axis_block({options_.axis}, in, who()).first;
  const int64_t channels = in[static_cast<int>(axis - 1)];
  const int64_t groups = options_.groups == -1 ? channels : options_.groups;
  if (groups > channels || channels % groups != 0) {
    throw ShapeError(fmt::format("{}: {} groups must divide the {} channels of axis {} of the input {}.", who(),
                                 groups, channels, options_.axis, in.with_batch(-1).str()));
  }
  return axis;
}

Shape GroupNormalization::output_shape(const Shape& in) const {
  channel_axis(in);
  return in;
}

void GroupNormalization::build_weights(const Shape& in) {
  const Shape shape{in[static_cast<int>(channel_axis(in) - 1)]};
  if (options_.scale) {
    gamma_ = &add_weight("gamma", shape, options_.gamma_initializer);
    regularize(*gamma_, options_.gamma_regularizer);
    constrain(*gamma_, options_.gamma_constraint, "gamma_constraint");
  }
  if (options_.center) {
    beta_ = &add_weight("beta", shape, options_.beta_initializer);
    regularize(*beta_, options_.beta_regularizer);
    constrain(*beta_, options_.beta_constraint, "beta_constraint");
  }
}

autograd::Variable& GroupNormalization::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) {
  const Shape& s = x.value.shape();
  const int64_t axis = channel_axis(Shape(std::vector<int64_t>(s.dims().begin() + 1, s.dims().end())));
  autograd::GroupNormParams p{.batch = s[0], .epsilon = options_.epsilon};
  for (int a = 1; a < s.rank(); ++a) {
    if (a < axis) p.before *= s[a];
    else if (a == axis) p.channels = s[a];
    else p.after *= s[a];
  }
  p.groups = options_.groups == -1 ? p.channels : options_.groups;
  return frame.get<Ops>().op.forward(tape, x, gamma_, beta_, p);
}

}  // namespace soma::layers
