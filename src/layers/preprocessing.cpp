#include "soma/layers/preprocessing.hpp"

#include <fmt/format.h>

#include <cmath>

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
  if (in[h] < options_.height || in[h + 1] < options_.width) {
    throw NotImplementedError(fmt::format("{}: the input {} is smaller than the target {}x{}; Keras resizes it "
                                          "first, which soma does not do yet.",
                                          who(), in.with_batch(-1).str(), options_.height, options_.width));
  }
  std::vector<int64_t> out(in.dims().begin(), in.dims().end());
  out[static_cast<size_t>(h)] = options_.height;
  out[static_cast<size_t>(h + 1)] = options_.width;
  return Shape(out);
}

autograd::Variable& CenterCrop::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) {
  const Shape& s = x.value.shape();
  output_shape(Shape(std::vector<int64_t>(s.dims().begin() + 1, s.dims().end())));
  const int h = channels_first_ ? 2 : 1;
  Pads pads(static_cast<size_t>(s.rank()), std::array<int64_t, 2>{0, 0});
  for (int a = 0; a < 2; ++a) {
    const int64_t diff = s[h + a] - (a == 0 ? options_.height : options_.width);
    pads[static_cast<size_t>(h + a)] = {-(diff / 2), -(diff - diff / 2)};
  }
  return frame.get<Ops>().op.forward(tape, x, pads);
}

}  // namespace soma::layers
