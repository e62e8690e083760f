#include "soma/layers/preprocessing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "layers/resize_window.hpp"
#include "layers/window_args.hpp"

namespace soma::layers {


Rescaling::Rescaling(RescalingOptions o) : Layer("rescaling", o.name, o.input_shape), options_(o) {
  if (!std::isfinite(o.scale) || !std::isfinite(o.offset)) {
    throw ValueError(fmt::format("{}: scale and offset must be finite, received scale {} and offset {}.", who(),
                                 o.scale, o.offset));
  }
}

autograd::Variable& Rescaling::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) {
  return frame.get<Ops>().op.forward(tape, x, options_.scale, options_.offset);
}

CenterCrop::CenterCrop(CenterCropOptions o)
    : Layer("center_crop", o.name, o.input_shape),
      options_(o),
      channels_first_(detail::channels_first(o.data_format, who())) {
  if (o.height < 1 || o.width < 1) {
    throw ValueError(fmt::format("{}: height and width must be positive integers, received {} and {}.", who(),
                                 o.height, o.width));
  }
}

Shape CenterCrop::output_shape(const Shape& in) const {
  if (in.rank() != 3) {
    throw ShapeError(fmt::format("{}: expected images (batch, height, width, channels){}, received {}.", who(),
                                 channels_first_ ? " in channels_first order" : "", in.with_batch(-1).str()));
  }
  const int h = channels_first_ ? 1 : 0;
  std::vector<int64_t> out(in.dims().begin(), in.dims().end());
  out[static_cast<size_t>(h)] = options_.height;
  out[static_cast<size_t>(h + 1)] = options_.width;
  return Shape(out);
}

autograd::Variable& CenterCrop::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) {
  const Shape& s = x.value.shape();
  output_shape(s.without_batch());
  const int h = channels_first_ ? 2 : 1;
  if (s[h] < options_.height || s[h + 1] < options_.width) {  // Keras' smart_resize
    autograd::ResizeParams p = detail::aspect_window(s[h], s[h + 1], options_.height, options_.width, true, false);
    p.channels_first = channels_first_;
    return frame.get<Ops>().resize.forward(tape, x, p);
  }
  Pads pads(static_cast<size_t>(s.rank()), std::array<int64_t, 2>{0, 0});
  for (int a = 0; a < 2; ++a) {
    const int64_t diff = s[h + a] - (a == 0 ? options_.height : options_.width);
    pads[static_cast<size_t>(h + a)] = {-(diff / 2), -(diff - diff / 2)};
  }
  return frame.get<Ops>().op.forward(tape, x, pads);
}

Resizing::Resizing(ResizingOptions o)
    : Layer("resizing", o.name, o.input_shape),
      options_(o),
      channels_first_(detail::channels_first(o.data_format, who())) {
  if (o.height < 1 || o.width < 1) {
    throw ValueError(fmt::format("{}: height and width must be positive integers, received {} and {}.", who(),
                                 o.height, o.width));
  }
  if (o.interpolation != "bilinear" && o.interpolation != "nearest") {
    const bool keras = o.interpolation == "bicubic" || o.interpolation == "area" || o.interpolation == "lanczos3" ||
                       o.interpolation == "lanczos5";
    if (keras)
      throw NotImplementedError(fmt::format("{}: interpolation \"{}\" is not implemented; soma has \"bilinear\" and "
                                            "\"nearest\".",
                                            who(), o.interpolation));
    throw ValueError(fmt::format("{}: unknown interpolation \"{}\"; expected \"bilinear\", \"nearest\", \"bicubic\", "
                                 "\"area\", \"lanczos3\" or \"lanczos5\".",
                                 who(), o.interpolation));
  }
  if (o.crop_to_aspect_ratio && o.pad_to_aspect_ratio)
    throw ValueError(fmt::format("{}: only one of crop_to_aspect_ratio and pad_to_aspect_ratio can be true.", who()));
  if (o.fill_mode != "constant")
    throw ValueError(fmt::format("{}: fill_mode must be \"constant\" (Keras' only one), received \"{}\".", who(),
                                 o.fill_mode));
  if (o.antialias)
    throw NotImplementedError(fmt::format("{}: antialias=true is not implemented.", who()));
}

Shape Resizing::output_shape(const Shape& in) const {
  if (in.rank() != 3) {
    throw ShapeError(fmt::format("{}: expected images (batch, height, width, channels){}, received {}.", who(),
                                 channels_first_ ? " in channels_first order" : "", in.with_batch(-1).str()));
  }
  const int h = channels_first_ ? 1 : 0;
  return in.with_dim(h, options_.height).with_dim(h + 1, options_.width);
}

autograd::Variable& Resizing::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) {
  const Shape& s = x.value.shape();
  output_shape(s.without_batch());
  const int h = channels_first_ ? 2 : 1;
  autograd::ResizeParams p = detail::aspect_window(s[h], s[h + 1], options_.height, options_.width,
                                           options_.crop_to_aspect_ratio, options_.pad_to_aspect_ratio);
  p.channels_first = channels_first_;
  p.bilinear = options_.interpolation == "bilinear";
  p.fill = options_.fill_value;
  return frame.get<Ops>().op.forward(tape, x, p);
}

}  // namespace soma::layers

namespace soma::layers {

Normalization::Normalization(NormalizationOptions o) : Layer("normalization", o.name, o.input_shape), options_(o) {
  if (o.mean.empty() != o.variance.empty()) {
    throw ValueError(fmt::format("{}: give both mean and variance, or neither (and call adapt); received {} mean "
                                 "and {} variance values.",
                                 who(), o.mean.size(), o.variance.size()));
  }
  for (const float v : o.variance)
    if (!(v >= 0.0f) || !std::isfinite(v))
      throw ValueError(fmt::format("{}: variance must be finite and non-negative, received {}.", who(), v));
  for (const float m : o.mean)
    if (!std::isfinite(m)) throw ValueError(fmt::format("{}: mean must be finite, received {}.", who(), m));
}

void Normalization::build_weights(const Shape& in) {
  const int rank = in.rank();
  kept_.clear();
  for (const int64_t a : options_.axis) {
    const int64_t r = a < 0 ? a + rank + 1 : a;
    if (r == 0)
      throw NotImplementedError(fmt::format("{}: statistics per batch index (axis {}) are not supported.", who(), a));
    if (r < 1 || r > rank)
      throw ShapeError(fmt::format("{}: axis {} is out of range for input of shape {}.", who(), a,
                                   in.with_batch(-1).str()));
    if (std::find(kept_.begin(), kept_.end(), r - 1) != kept_.end())
      throw ValueError(fmt::format("{}: axis {} is given twice.", who(), a));
    kept_.push_back(static_cast<int>(r - 1));
  }
  std::sort(kept_.begin(), kept_.end());
  kept_shape_ = Shape{};
  for (const int a : kept_) kept_shape_.push_back(in[a]);
  // position_[p]: the statistics' index of per-sample position p (row-major over the kept axes).
  position_.assign(static_cast<size_t>(in.numel()), 0);
  std::vector<int64_t> index(static_cast<size_t>(rank), 0);
  for (int64_t p = 0; p < in.numel(); ++p) {
    int64_t k = 0;
    for (const int a : kept_) k = k * in[a] + index[static_cast<size_t>(a)];
    position_[static_cast<size_t>(p)] = k;
    for (int a = rank - 1; a >= 0; --a) {
      if (++index[static_cast<size_t>(a)] < in[a]) break;
      index[static_cast<size_t>(a)] = 0;
    }
  }
  if (!options_.mean.empty()) {
    const int64_t n = kept_shape_.numel();
    auto fill = [&](const std::vector<float>& v, const char* what) {
      if (static_cast<int64_t>(v.size()) != 1 && static_cast<int64_t>(v.size()) != n) {
        throw ShapeError(fmt::format("{}: {} has {} values; expected 1 or {} (the kept axes {} of input {}).", who(),
                                     what, v.size(), n, kept_shape_.str(), in.with_batch(-1).str()));
      }
      Tensor t = Tensor::empty(kept_shape_);
      for (int64_t i = 0; i < n; ++i) t.f32()[i] = v.size() == 1 ? v[0] : v[static_cast<size_t>(i)];
      return t;
    };
    given_mean_ = fill(options_.mean, "mean");
    given_variance_ = fill(options_.variance, "variance");
    return;
  }
  // Keras' names and order; count is Keras' legacy weight (soma stores the number of values per statistic).
  mean_ = &add_weight("mean", kept_shape_, "zeros", false);
  variance_ = &add_weight("variance", kept_shape_, "ones", false);
  count_ = &add_weight("count", Shape{}, "zeros", false);
}

Tensor Normalization::mean() const {
  if (!built()) throw StateError(who() + ": has no mean before it is built (or adapted).");
  return mean_ ? mean_->value.clone() : given_mean_.clone();
}

Tensor Normalization::variance() const {
  if (!built()) throw StateError(who() + ": has no variance before it is built (or adapted).");
  return variance_ ? variance_->value.clone() : given_variance_.clone();
}

void Normalization::adapt(const Tensor& data) {
  if (!options_.mean.empty())
    throw ValueError(fmt::format("{}: was given its mean and variance; adapt would replace them.", who()));
  if (data.shape().rank() < 1 || data.shape()[0] < 1)
    throw ValueError(fmt::format("{}: adapt needs at least one sample, received {}.", who(), data.shape().str()));
  const Shape sample = data.shape().without_batch();
  if (!built()) build(sample);
  if (sample != input_shape())
    throw ShapeError(fmt::format("{}: was built for samples {}; adapt received {}.", who(),
                                 input_shape().with_batch(-1).str(), data.shape().str()));
  const Tensor values = data.dtype() == DType::float32 ? data : data.astype(DType::float32);
  const int64_t n = data.shape()[0], per = sample.numel(), k = kept_shape_.numel();
  const int64_t count = n * per / k;
  std::vector<double> sum(static_cast<size_t>(k), 0.0), squares(static_cast<size_t>(k), 0.0);
  const float* v = values.f32();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t p = 0; p < per; ++p) sum[static_cast<size_t>(position_[static_cast<size_t>(p)])] += v[i * per + p];
  for (auto& s : sum) s /= static_cast<double>(count);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t p = 0; p < per; ++p) {
      const size_t j = static_cast<size_t>(position_[static_cast<size_t>(p)]);
      const double d = v[i * per + p] - sum[j];
      squares[j] += d * d;
    }
  for (int64_t j = 0; j < k; ++j) {
    const double m = sum[static_cast<size_t>(j)], var = squares[static_cast<size_t>(j)] / static_cast<double>(count);
    if (!std::isfinite(m) || !std::isfinite(var))
      throw ValueError(fmt::format("{}: adapt found a value that is not finite (statistic {} of {}).", who(), j, k));
    mean_->value.f32()[j] = static_cast<float>(m);
    variance_->value.f32()[j] = static_cast<float>(var);
  }
  count_->value.f32()[0] = static_cast<float>(count);
}

autograd::Variable& Normalization::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) {
  Ops& ops = frame.get<Ops>();
  const int64_t per = static_cast<int64_t>(position_.size());
  ops.scale.resize(Shape{per});
  ops.offset.resize(Shape{per});
  const float* m = mean_ ? mean_->value.f32() : given_mean_.f32();
  const float* var = variance_ ? variance_->value.f32() : given_variance_.f32();
  float *s = ops.scale.f32(), *o = ops.offset.f32();
  for (int64_t p = 0; p < per; ++p) {
    const size_t j = static_cast<size_t>(position_[static_cast<size_t>(p)]);
    const float sd = std::max(std::sqrt(var[j]), 1e-7f);  // Keras' backend.epsilon()
    if (options_.invert) {
      s[p] = sd, o[p] = m[j];
    } else {
      s[p] = 1.0f / sd, o[p] = -m[j] / sd;
    }
  }
  return ops.op.forward(tape, x, ops.scale, ops.offset);
}

}  // namespace soma::layers
