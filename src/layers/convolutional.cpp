#include "soma/layers/convolutional.hpp"

#include "layers/window_args.hpp"
#include "soma/layers/initializers.hpp"

namespace soma::layers {

namespace {
template <class Options>
void check_common(const std::string& who, const Options& o, int kernel_rank) {
  if (o.filters <= 0) {
    throw ValueError(who + ": filters must be a positive integer, received " + std::to_string(o.filters) +
                     ".");
  }
  initializers::check_name(o.kernel_initializer);
  initializers::check_name(o.bias_initializer);
  o.kernel_constraint.check(kernel_rank, who + ": kernel_constraint");
  o.bias_constraint.check(1, who + ": bias_constraint");
}

bool uses_bf16(const std::string& dtype) {
  const auto policy = dtype.empty() ? mixed_precision::global_policy() : mixed_precision::parse(dtype);
  return policy == mixed_precision::Policy::mixed_bfloat16;
}

// Keras refuses strides > 1 together with dilation > 1.
void check_strides_dilation(const std::string& who, int64_t sh, int64_t sw, int64_t dh, int64_t dw) {
  if ((sh > 1 || sw > 1) && (dh > 1 || dw > 1)) {
    throw ValueError(who + ": strides > 1 cannot be combined with dilation_rate > 1.");
  }
}
}  // namespace

Conv2D::Conv2D(Conv2DOptions options)
    : Layer("conv2d", options.name, options.input_shape),
      options_(std::move(options)),
      activation_(activations::get(options_.activation)),
      bf16_(uses_bf16(options_.dtype)) {
  check_common(who(), options_, 4);
  set_activity_regularizer(options_.activity_regularizer);
  kernel_size_ = detail::pair_arg(options_.kernel_size, who(), "kernel_size");
  const auto strides = detail::pair_arg(options_.strides, who(), "strides");
  const auto dilation = detail::pair_arg(options_.dilation_rate, who(), "dilation_rate");
  check_strides_dilation(who(), strides[0], strides[1], dilation[0], dilation[1]);
  geometry_ = {.sh = strides[0],
               .sw = strides[1],
               .dh = dilation[0],
               .dw = dilation[1],
               .same = detail::same_padding(options_.padding, who())};
  channels_first_ = detail::channels_first(options_.data_format, who());
}

Shape Conv2D::output_shape(const Shape& in) const {
  if (in.rank() != 3) {
    throw ShapeError(
        who() + ": expected input of rank 4 " +
        (channels_first_ ? "(batch, channels, height, width)" : "(batch, height, width, channels)") +
        ", received " + in.with_batch(-1).str() + ".");
  }
  const int hi = channels_first_ ? 1 : 0;
  const int64_t oh =
      autograd::Conv2DOp::output_extent(in[hi], kernel_size_[0], geometry_.sh, geometry_.dh, geometry_.same);
  const int64_t ow = autograd::Conv2DOp::output_extent(in[hi + 1], kernel_size_[1], geometry_.sw,
                                                       geometry_.dw, geometry_.same);
  if (oh <= 0 || ow <= 0) {
    throw ShapeError(who() + ": kernel " + std::to_string(kernel_size_[0]) + "x" +
                     std::to_string(kernel_size_[1]) + " is larger than the input " +
                     in.with_batch(-1).str() +
                     " with valid padding; use padding \"same\" or a smaller kernel.");
  }
  return channels_first_ ? Shape{options_.filters, oh, ow} : Shape{oh, ow, options_.filters};
}

void Conv2D::build_weights(const Shape& in) {
  output_shape(in);
  const int64_t channels = channels_first_ ? in[0] : in[2];
  kernel_ = &add_weight("kernel", Shape{kernel_size_[0], kernel_size_[1], channels, options_.filters},
                        options_.kernel_initializer);
  if (options_.use_bias) bias_ = &add_weight("bias", Shape{options_.filters}, options_.bias_initializer);
  regularize(*kernel_, options_.kernel_regularizer);
  if (bias_) regularize(*bias_, options_.bias_regularizer);
  constrain(*kernel_, options_.kernel_constraint, "kernel_constraint");
  if (bias_) constrain(*bias_, options_.bias_constraint, "bias_constraint");
}

autograd::Variable& Conv2D::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) {
  Ops& ops = frame.get<Ops>();
  const bool fuse = activation_.kind == activations::Kind::relu;
  autograd::Variable& xl = channels_first_ ? ops.to_last.forward(tape, x, true) : x;
  autograd::Variable& zl = ops.conv.forward(tape, xl, *kernel_, bias_, geometry_, fuse, bf16_);
  autograd::Variable& z = channels_first_ ? ops.to_first.forward(tape, zl, false) : zl;
  return fuse ? z : ops.act.forward(tape, z, activation_);
}

Conv1D::Conv1D(Conv1DOptions options)
    : Layer("conv1d", options.name, options.input_shape),
      options_(std::move(options)),
      activation_(activations::get(options_.activation)),
      bf16_(uses_bf16(options_.dtype)) {
  check_common(who(), options_, 3);
  set_activity_regularizer(options_.activity_regularizer);
  kernel_size_ = detail::single_arg(options_.kernel_size, who(), "kernel_size");
  const int64_t stride = detail::single_arg(options_.strides, who(), "strides");
  const int64_t dilation = detail::single_arg(options_.dilation_rate, who(), "dilation_rate");
  check_strides_dilation(who(), stride, 1, dilation, 1);
  geometry_ = {
      .sh = 1, .sw = stride, .dh = 1, .dw = dilation, .same = detail::same_padding(options_.padding, who())};
  channels_first_ = detail::channels_first(options_.data_format, who());
}

Shape Conv1D::output_shape(const Shape& in) const {
  if (in.rank() != 2) {
    throw ShapeError(who() + ": expected input of rank 3 " +
                     (channels_first_ ? "(batch, channels, steps)" : "(batch, steps, channels)") +
                     ", received " + in.with_batch(-1).str() + ".");
  }
  const int64_t steps = autograd::Conv2DOp::output_extent(in[channels_first_ ? 1 : 0], kernel_size_,
                                                          geometry_.sw, geometry_.dw, geometry_.same);
  if (steps <= 0) {
    throw ShapeError(who() + ": kernel_size " + std::to_string(kernel_size_) + " is larger than the input " +
                     in.with_batch(-1).str() +
                     " with valid padding; use padding \"same\" or a smaller kernel.");
  }
  return channels_first_ ? Shape{options_.filters, steps} : Shape{steps, options_.filters};
}

void Conv1D::build_weights(const Shape& in) {
  output_shape(in);
  const int64_t channels = channels_first_ ? in[0] : in[1];
  kernel_ =
      &add_weight("kernel", Shape{kernel_size_, channels, options_.filters}, options_.kernel_initializer);
  if (options_.use_bias) bias_ = &add_weight("bias", Shape{options_.filters}, options_.bias_initializer);
  regularize(*kernel_, options_.kernel_regularizer);
  if (bias_) regularize(*bias_, options_.bias_regularizer);
  constrain(*kernel_, options_.kernel_constraint, "kernel_constraint");
  if (bias_) constrain(*bias_, options_.bias_constraint, "bias_constraint");
}

autograd::Variable& Conv1D::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) {
  Ops& ops = frame.get<Ops>();
  // channels_last (N, T, C) is viewed as (N, 1, T, C); channels_first (N, C, T) as (N, C, 1, T), reordered
  // to (N, 1, T, C) for the convolution and its (N, 1, T', O) output back to (N, O, 1, T').
  const Shape& s = x.value.shape();
  autograd::Variable& x2 =
      channels_first_ ? ops.to_last.forward(tape, ops.x_view.forward(tape, x, Shape{s[0], s[1], 1, s[2]}), true)
                      : ops.x_view.forward(tape, x, Shape{s[0], 1, s[1], s[2]});
  const Shape& k = kernel_->value.shape();
  autograd::Variable& k2 = ops.kernel_view.forward(tape, *kernel_, Shape{1, k[0], k[1], k[2]});
  const bool fuse = activation_.kind == activations::Kind::relu;
  autograd::Variable& y2 = ops.conv.forward(tape, x2, k2, bias_, geometry_, fuse, bf16_);
  autograd::Variable& y2f = channels_first_ ? ops.to_first.forward(tape, y2, false) : y2;
  const Shape& ys = y2f.value.shape();
  autograd::Variable& y =
      ops.out_view.forward(tape, y2f, channels_first_ ? Shape{ys[0], ys[1], ys[3]} : Shape{ys[0], ys[2], ys[3]});
  return fuse ? y : ops.act.forward(tape, y, activation_);
}

}  // namespace soma::layers
