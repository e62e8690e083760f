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
               .max = max};
}

Shape Pooling2D::output_shape(const Shape& in) const {
  if (in.rank() != 3) throw ShapeError(rank_message(who(), "4 (batch, height, width, channels)", in));
  const int64_t oh = autograd::Pool2DOp::output_extent(in[0], geometry_.kh, geometry_.sh, geometry_.same);
  const int64_t ow = autograd::Pool2DOp::output_extent(in[1], geometry_.kw, geometry_.sw, geometry_.same);
  if (oh <= 0 || ow <= 0) {
    throw ShapeError(who() + ": pool_size " + std::to_string(geometry_.kh) + "x" +
                     std::to_string(geometry_.kw) + " is larger than the input " + in.with_batch(-1).str() +
                     " with valid padding.");
  }
  return Shape{oh, ow, in[2]};
}

autograd::Variable& Pooling2D::forward(autograd::Tape* tape, autograd::Variable& x, bool) {
  return op_.forward(tape, x, geometry_);
}

MaxPooling1D::MaxPooling1D(Pooling1DOptions o) : Layer("max_pooling1d", o.name, o.input_shape), options_(o) {
  const int64_t pool = detail::single_arg(o.pool_size, who(), "pool_size");
  const int64_t stride = o.strides.empty() ? pool : detail::single_arg(o.strides, who(), "strides");
  geometry_ = {.kh = 1,
               .kw = pool,
               .sh = 1,
               .sw = stride,
               .same = detail::same_padding(o.padding, who()),
               .max = true};
}

Shape MaxPooling1D::output_shape(const Shape& in) const {
  if (in.rank() != 2) throw ShapeError(rank_message(who(), "3 (batch, steps, channels)", in));
  const int64_t steps = autograd::Pool2DOp::output_extent(in[0], geometry_.kw, geometry_.sw, geometry_.same);
  if (steps <= 0) {
    throw ShapeError(who() + ": pool_size " + std::to_string(geometry_.kw) + " is larger than the input " +
                     in.with_batch(-1).str() + " with valid padding.");
  }
  return Shape{steps, in[1]};
}

autograd::Variable& MaxPooling1D::forward(autograd::Tape* tape, autograd::Variable& x, bool) {
  const Shape& s = x.value.shape();
  autograd::Variable& y = op_.forward(tape, in_view_.forward(tape, x, Shape{s[0], 1, s[1], s[2]}), geometry_);
  const Shape& ys = y.value.shape();
  return out_view_.forward(tape, y, Shape{ys[0], ys[2], ys[3]});
}

GlobalPooling2D::GlobalPooling2D(const std::string& prefix, GlobalPooling2DOptions o, bool max)
    : Layer(prefix, o.name, o.input_shape), options_(o), max_(max) {}

Shape GlobalPooling2D::output_shape(const Shape& in) const {
  if (in.rank() != 3) throw ShapeError(rank_message(who(), "4 (batch, height, width, channels)", in));
  return Shape{in[2]};
}

autograd::Variable& GlobalPooling2D::forward(autograd::Tape* tape, autograd::Variable& x, bool) {
  const Shape& s = x.value.shape();
  const autograd::Pool2DGeometry whole{.kh = s[1], .kw = s[2], .sh = 1, .sw = 1, .same = false, .max = max_};
  return view_.forward(tape, op_.forward(tape, x, whole), Shape{s[0], s[3]});
}

}  // namespace soma::layers
