#include "soma/layers/noise.hpp"

#include <fmt/format.h>

#include <cmath>

namespace soma::layers {

namespace {
// Floats in messages as the user wrote them: 0.1, not 0.100000.
std::string number(float v) {
  return fmt::format("{}", v);
}

float checked_rate(float rate, const std::string& who) {
  if (!(rate >= 0.0f && rate < 1.0f))
    throw ValueError(who + ": rate must be in [0, 1), received " + number(rate) + ".");
  return rate;
}

Shape check_rank(const Shape& in, int rank, const std::string& who, const char* layout) {
  if (in.rank() != rank) {
    throw ShapeError(who + ": expected input of rank " + std::to_string(rank + 1) + " " + layout +
                     ", received " + in.with_batch(-1).str() + ".");
  }
  return in;
}
}  // namespace

SpatialDropout1D::SpatialDropout1D(SpatialDropoutOptions o)
    : Layer("spatial_dropout1d", o.name, o.input_shape), rate_(checked_rate(o.rate, who())) {}

Shape SpatialDropout1D::output_shape(const Shape& in) const {
  return check_rank(in, 2, who(), "(batch, steps, channels)");
}

autograd::Variable& SpatialDropout1D::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool training) {
  Ops& ops = frame.get<Ops>();
  return ops.op.forward(tape, x, rate_, training);
}

SpatialDropout2D::SpatialDropout2D(SpatialDropoutOptions o)
    : Layer("spatial_dropout2d", o.name, o.input_shape), rate_(checked_rate(o.rate, who())) {}

Shape SpatialDropout2D::output_shape(const Shape& in) const {
  return check_rank(in, 3, who(), "(batch, height, width, channels)");
}

autograd::Variable& SpatialDropout2D::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool training) {
  Ops& ops = frame.get<Ops>();
  return ops.op.forward(tape, x, rate_, training);
}

GaussianNoise::GaussianNoise(GaussianNoiseOptions o)
    : Layer("gaussian_noise", o.name, o.input_shape), stddev_(o.stddev) {
  if (!(stddev_ >= 0.0f && std::isfinite(stddev_)))
    throw ValueError(who() + ": stddev must be a finite number >= 0, received " + number(stddev_) + ".");
}

autograd::Variable& GaussianNoise::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool training) {
  Ops& ops = frame.get<Ops>();
  return ops.op.forward(tape, x, stddev_, training);
}

GaussianDropout::GaussianDropout(GaussianDropoutOptions o)
    : Layer("gaussian_dropout", o.name, o.input_shape), rate_(checked_rate(o.rate, who())) {}

autograd::Variable& GaussianDropout::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool training) {
  Ops& ops = frame.get<Ops>();
  return ops.op.forward(tape, x, rate_, training);
}

}  // namespace soma::layers
