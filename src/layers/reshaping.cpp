#include "soma/layers/reshaping.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "layers/window_args.hpp"

namespace soma::layers {

Permute::Permute(PermuteOptions o) : Layer("permute", o.name, o.input_shape), options_(std::move(o)) {
  std::vector<int> sorted = options_.dims;
  std::sort(sorted.begin(), sorted.end());
  bool valid = !sorted.empty();
  for (size_t i = 0; i < sorted.size(); ++i) valid = valid && sorted[i] == static_cast<int>(i) + 1;
  if (!valid) {
    throw ValueError(fmt::format("{}: dims must be a permutation of 1..{} (the axes after the batch, counted from 1), "
                                 "received ({}).",
                                 who(), options_.dims.size(), fmt::join(options_.dims, ", ")));
  }
}

Shape Permute::output_shape(const Shape& in) const {
  if (in.rank() != static_cast<int>(options_.dims.size())) {
    throw ShapeError(fmt::format("{}: dims ({}) permute {} axes, but the input {} has {}.", who(),
                                 fmt::join(options_.dims, ", "), options_.dims.size(), in.with_batch(-1).str(),
                                 in.rank()));
  }
  std::vector<int64_t> out;
  for (int d : options_.dims) out.push_back(in[d - 1]);
  return Shape(out);
}

autograd::Variable& Permute::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) {
  output_shape(Shape(std::vector<int64_t>(x.value.shape().dims().begin() + 1, x.value.shape().dims().end())));
  std::vector<int> perm{0};
  perm.insert(perm.end(), options_.dims.begin(), options_.dims.end());
  return frame.get<Ops>().op.forward(tape, x, perm);
}

RepeatVector::RepeatVector(RepeatVectorOptions o) : Layer("repeat_vector", o.name, o.input_shape), options_(o) {
  if (o.n < 1) throw ValueError(fmt::format("{}: n must be a positive integer, received {}.", who(), o.n));
}

Shape RepeatVector::output_shape(const Shape& in) const {
  if (in.rank() != 1) {
    throw ShapeError(fmt::format("{}: expected input (batch, features), received {}.", who(), in.with_batch(-1).str()));
  }
  return Shape{options_.n, in[0]};
}

autograd::Variable& RepeatVector::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) {
  return frame.get<Ops>().op.forward(tape, x, options_.n);
}

namespace {

Pads negated(Pads p) {
  for (auto& a : p) a = {-a[0], -a[1]};
  return p;
}

}  // namespace

SpatialPadding::SpatialPadding(const std::string& default_name, const std::string& name,
                               const std::vector<int64_t>& input_shape, const Pads& amounts, int spatial_rank,
                               bool crop, const std::string& data_format)
    : Layer(default_name, name, input_shape),
      signed_pads_(crop ? negated(amounts) : amounts),
      spatial_rank_(spatial_rank),
      crop_(crop),
      data_format_(data_format) {}

// Called from the concrete constructors: who() needs the final type.
void SpatialPadding::check_arguments() {
  channels_first_ = detail::channels_first(data_format_, who());
  const char* what = crop_ ? "cropping" : "padding";
  if (static_cast<int>(signed_pads_.size()) != spatial_rank_) {
    throw ValueError(fmt::format("{}: {} needs one (before, after) pair per spatial axis ({}), received {}.", who(),
                                 what, spatial_rank_, signed_pads_.size()));
  }
  for (const auto& p : signed_pads_) {
    const int64_t before = crop_ ? -p[0] : p[0], after = crop_ ? -p[1] : p[1];
    if (before < 0 || after < 0) {
      throw ValueError(fmt::format("{}: {} amounts must be >= 0, received ({}, {}).", who(), what, before, after));
    }
  }
}

Shape SpatialPadding::output_shape(const Shape& in) const {
  if (in.rank() != spatial_rank_ + 1) {
    throw ShapeError(fmt::format("{}: expected input of rank {} (batch, {} spatial axes, channels), received {}.",
                                 who(), spatial_rank_ + 2, spatial_rank_, in.with_batch(-1).str()));
  }
  std::vector<int64_t> out(in.dims().begin(), in.dims().end());
  const int first = channels_first_ ? 1 : 0;
  for (int a = 0; a < spatial_rank_; ++a) {
    const auto& p = signed_pads_[static_cast<size_t>(a)];
    out[static_cast<size_t>(first + a)] += p[0] + p[1];
    if (out[static_cast<size_t>(first + a)] <= 0) {
      throw ShapeError(fmt::format("{}: cropping ({}, {}) leaves nothing of spatial axis {} of the input {}, which has "
                                   "{} entries.",
                                   who(), -p[0], -p[1], a + 1, in.with_batch(-1).str(), in[first + a]));
    }
  }
  return Shape(out);
}

autograd::Variable& SpatialPadding::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) {
  const Shape& s = x.value.shape();
  output_shape(Shape(std::vector<int64_t>(s.dims().begin() + 1, s.dims().end())));
  Pads all(static_cast<size_t>(s.rank()), std::array<int64_t, 2>{0, 0});
  const int first = channels_first_ ? 2 : 1;
  for (int a = 0; a < spatial_rank_; ++a) all[static_cast<size_t>(first + a)] = signed_pads_[static_cast<size_t>(a)];
  return frame.get<Ops>().op.forward(tape, x, all);
}

ZeroPadding1D::ZeroPadding1D(ZeroPadding1DOptions o)
    : SpatialPadding("zero_padding1d", o.name, o.input_shape, o.padding, 1, false, o.data_format), options_(o) {
  check_arguments();
}
ZeroPadding2D::ZeroPadding2D(ZeroPadding2DOptions o)
    : SpatialPadding("zero_padding2d", o.name, o.input_shape, o.padding, 2, false, o.data_format), options_(o) {
  check_arguments();
}
ZeroPadding3D::ZeroPadding3D(ZeroPadding3DOptions o)
    : SpatialPadding("zero_padding3d", o.name, o.input_shape, o.padding, 3, false, o.data_format), options_(o) {
  check_arguments();
}
Cropping1D::Cropping1D(Cropping1DOptions o)
    : SpatialPadding("cropping1d", o.name, o.input_shape, o.cropping, 1, true, "channels_last"), options_(o) {
  check_arguments();
}
Cropping2D::Cropping2D(Cropping2DOptions o)
    : SpatialPadding("cropping2d", o.name, o.input_shape, o.cropping, 2, true, o.data_format), options_(o) {
  check_arguments();
}
Cropping3D::Cropping3D(Cropping3DOptions o)
    : SpatialPadding("cropping3d", o.name, o.input_shape, o.cropping, 3, true, o.data_format), options_(o) {
  check_arguments();
}

SpatialUpsampling::SpatialUpsampling(const std::string& default_name, const std::string& name,
                                     const std::vector<int64_t>& input_shape, std::vector<int64_t> size,
                                     int spatial_rank, const std::string& data_format)
    : Layer(default_name, name, input_shape),
      size_(std::move(size)),
      spatial_rank_(spatial_rank),
      data_format_(data_format) {}

void SpatialUpsampling::check_arguments() {
  channels_first_ = detail::channels_first(data_format_, who());
  if (size_.size() == 1) size_.assign(static_cast<size_t>(spatial_rank_), size_[0]);
  bool valid = static_cast<int>(size_.size()) == spatial_rank_;
  for (int64_t f : size_) valid = valid && f >= 1;
  if (!valid) {
    throw ValueError(fmt::format("{}: size must be one positive integer or {} of them, received ({}).", who(),
                                 spatial_rank_, fmt::join(size_, ", ")));
  }
}

Shape SpatialUpsampling::output_shape(const Shape& in) const {
  if (in.rank() != spatial_rank_ + 1) {
    throw ShapeError(fmt::format("{}: expected input of rank {} (batch, {} spatial axes, channels), received {}.",
                                 who(), spatial_rank_ + 2, spatial_rank_, in.with_batch(-1).str()));
  }
  std::vector<int64_t> out(in.dims().begin(), in.dims().end());
  const int first = channels_first_ ? 1 : 0;
  for (int a = 0; a < spatial_rank_; ++a) out[static_cast<size_t>(first + a)] *= size_[static_cast<size_t>(a)];
  return Shape(out);
}

autograd::Variable& SpatialUpsampling::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) {
  const Shape& s = x.value.shape();
  output_shape(Shape(std::vector<int64_t>(s.dims().begin() + 1, s.dims().end())));
  if (bilinear_) {
    const int h = channels_first_ ? 2 : 1;
    return frame.get<Ops>().resize.forward(
        tape, x, {.out_height = s[h] * size_[0], .out_width = s[h + 1] * size_[1], .channels_first = channels_first_});
  }
  std::vector<int64_t> factors(static_cast<size_t>(s.rank()), 1);
  const int first = channels_first_ ? 2 : 1;
  for (int a = 0; a < spatial_rank_; ++a) factors[static_cast<size_t>(first + a)] = size_[static_cast<size_t>(a)];
  return frame.get<Ops>().op.forward(tape, x, factors);
}

UpSampling1D::UpSampling1D(UpSampling1DOptions o)
    : SpatialUpsampling("up_sampling1d", o.name, o.input_shape, {o.size}, 1, "channels_last"), options_(o) {
  check_arguments();
}
UpSampling2D::UpSampling2D(UpSampling2DOptions o)
    : SpatialUpsampling("up_sampling2d", o.name, o.input_shape, o.size, 2, o.data_format), options_(o) {
  check_arguments();
  if (o.interpolation != "nearest" && o.interpolation != "bilinear") {
    throw NotImplementedError(fmt::format("{}: interpolation \"{}\" is not implemented; soma has \"nearest\" and "
                                          "\"bilinear\".",
                                          who(), o.interpolation));
  }
  bilinear_ = o.interpolation == "bilinear";
}
UpSampling3D::UpSampling3D(UpSampling3DOptions o)
    : SpatialUpsampling("up_sampling3d", o.name, o.input_shape, o.size, 3, o.data_format), options_(o) {
  check_arguments();
}

}  // namespace soma::layers
