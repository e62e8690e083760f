#include "soma/layers/pooling.hpp"

#include "layers/window_args.hpp"

namespace soma::layers {

namespace {
std::string rank_message(const std::string& who, const char* expected, const Shape& in) {
  return who + ": expected input of rank " + expected + ", received " + in.with_batch(-1).str() + ".";
}
}  // namespace

Pooling2D::Pooling2D(const std::string& prefix, Pooling2DOptions o, bool max)
    : Layer(prefix, o.name, o.input_shape), options_(o) {
  geometry_.max = max;  // type() reads it
  const auto pool = detail::pair_arg(o.pool_size, who(), "pool_size");
  const auto strides = o.strides.empty() ? pool : detail::pair_arg(o.strides, who(), "strides");
  geometry_ = {.kh = pool[0],
               .kw = pool[1],
               .sh = strides[0],
               .sw = strides[1],
               .same = detail::same_padding(o.padding, who()),
               .max = max,
               .channels_first = detail::channels_first(o.data_format, who())};
}

Shape Pooling2D::output_shape(const Shape& in) const {
  const bool cf = geometry_.channels_first;
  if (in.rank() != 3) {
    throw ShapeError(rank_message(
        who(), cf ? "4 (batch, channels, height, width)" : "4 (batch, height, width, channels)", in));
  }
  const int hi = cf ? 1 : 0;
  const int64_t oh = autograd::Pool2DOp::output_extent(in[hi], geometry_.kh, geometry_.sh, geometry_.same);
  const int64_t ow =
      autograd::Pool2DOp::output_extent(in[hi + 1], geometry_.kw, geometry_.sw, geometry_.same);
  if (oh <= 0 || ow <= 0) {
    throw ShapeError(who() + ": pool_size " + std::to_string(geometry_.kh) + "x" +
                     std::to_string(geometry_.kw) + " is larger than the input " + in.with_batch(-1).str() +
                     " with valid padding.");
  }
  return cf ? Shape{in[0], oh, ow} : Shape{oh, ow, in[2]};
}

autograd::Variable& Pooling2D::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) {
  Ops& ops = frame.get<Ops>();
  return ops.op.forward(tape, x, geometry_);
}

Pooling1D::Pooling1D(const std::string& prefix, Pooling1DOptions o, bool max)
    : Layer(prefix, o.name, o.input_shape), options_(o) {
  geometry_.max = max;  // type() reads it
  const int64_t pool = detail::single_arg(o.pool_size, who(), "pool_size");
  const int64_t stride = o.strides.empty() ? pool : detail::single_arg(o.strides, who(), "strides");
  geometry_ = {.kh = 1,
               .kw = pool,
               .sh = 1,
               .sw = stride,
               .same = detail::same_padding(o.padding, who()),
               .max = max,
               .channels_first = detail::channels_first(o.data_format, who())};
}

Shape Pooling1D::output_shape(const Shape& in) const {
  const bool cf = geometry_.channels_first;
  if (in.rank() != 2) {
    throw ShapeError(
        rank_message(who(), cf ? "3 (batch, channels, steps)" : "3 (batch, steps, channels)", in));
  }
  const int64_t steps =
      autograd::Pool2DOp::output_extent(in[cf ? 1 : 0], geometry_.kw, geometry_.sw, geometry_.same);
  if (steps <= 0) {
    throw ShapeError(who() + ": pool_size " + std::to_string(geometry_.kw) + " is larger than the input " +
                     in.with_batch(-1).str() + " with valid padding.");
  }
  return cf ? Shape{in[0], steps} : Shape{steps, in[1]};
}

// channels_last (N, T, C) is (N, 1, T, C) in nhwc; channels_first (N, C, T) is (N, C, 1, T) in nchw.
autograd::Variable& Pooling1D::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) {
  Ops& ops = frame.get<Ops>();
  const Shape& s = x.value.shape();
  const bool cf = geometry_.channels_first;
  const Shape as2d = cf ? Shape{s[0], s[1], 1, s[2]} : Shape{s[0], 1, s[1], s[2]};
  autograd::Variable& y = ops.op.forward(tape, ops.in_view.forward(tape, x, as2d), geometry_);
  const Shape& ys = y.value.shape();
  return ops.out_view.forward(tape, y, cf ? Shape{ys[0], ys[1], ys[3]} : Shape{ys[0], ys[2], ys[3]});
}

GlobalPooling2D::GlobalPooling2D(const std::string& prefix, GlobalPooling2DOptions o, bool max)
    : Layer(prefix, o.name, o.input_shape),
      options_(o),
      max_(max),
      channels_first_(detail::channels_first(o.data_format, who())) {}

Shape GlobalPooling2D::output_shape(const Shape& in) const {
  if (in.rank() != 3) {
    throw ShapeError(rank_message(
        who(), channels_first_ ? "4 (batch, channels, height, width)" : "4 (batch, height, width, channels)",
        in));
  }
  const int64_t c = channels_first_ ? in[0] : in[2];
  if (!options_.keepdims) return Shape{c};
  return channels_first_ ? Shape{c, 1, 1} : Shape{1, 1, c};
}

autograd::Variable& GlobalPooling2D::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) {
  Ops& ops = frame.get<Ops>();
  const Shape& s = x.value.shape();
  const int hi = channels_first_ ? 2 : 1;
  const autograd::Pool2DGeometry whole{.kh = s[hi],
                                       .kw = s[hi + 1],
                                       .sh = 1,
                                       .sw = 1,
                                       .same = false,
                                       .max = max_,
                                       .channels_first = channels_first_};
  return ops.view.forward(tape, ops.op.forward(tape, x, whole), output_shape(s.without_batch()).with_batch(s[0]));
}

GlobalPooling1D::GlobalPooling1D(const std::string& prefix, GlobalPooling1DOptions o, bool max)
    : Layer(prefix, o.name, o.input_shape),
      options_(o),
      max_(max),
      channels_first_(detail::channels_first(o.data_format, who())) {}

Shape GlobalPooling1D::output_shape(const Shape& in) const {
  if (in.rank() != 2) {
    throw ShapeError(rank_message(
        who(), channels_first_ ? "3 (batch, channels, steps)" : "3 (batch, steps, channels)", in));
  }
  const int64_t c = channels_first_ ? in[0] : in[1];
  if (!options_.keepdims) return Shape{c};
  return channels_first_ ? Shape{c, 1} : Shape{1, c};
}

autograd::Variable& GlobalPooling1D::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) {
  Ops& ops = frame.get<Ops>();
  const Shape& s = x.value.shape();
  const Shape out = output_shape(s.without_batch()).with_batch(s[0]);
  if (!max_) return ops.out_view.forward(tape, ops.mean_op.forward(tape, x, x.mask, channels_first_), out);
  const int64_t steps = channels_first_ ? s[2] : s[1];
  const autograd::Pool2DGeometry whole{
      .kh = 1, .kw = steps, .sh = 1, .sw = 1, .same = false, .max = true, .channels_first = channels_first_};
  const Shape as2d = channels_first_ ? Shape{s[0], s[1], 1, s[2]} : Shape{s[0], 1, s[1], s[2]};
  return ops.out_view.forward(tape, ops.max_op.forward(tape, ops.in_view.forward(tape, x, as2d), whole), out);
}

}  // namespace soma::layers
