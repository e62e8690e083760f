#include "soma/layers/augmentation.hpp"

#include <fmt/format.h>

#include <cmath>

#include "layers/resize_window.hpp"
#include "layers/window_args.hpp"
#include "soma/core/random.hpp"

namespace soma::layers {

namespace {
autograd::RandomFlipOp::Mode flip_mode(const RandomFlipOptions& o, const std::string& who) {
  const bool channels_first = detail::channels_first(o.data_format, who);
  if (o.mode == "horizontal") return {.horizontal = true, .vertical = false, .channels_first = channels_first};
  if (o.mode == "vertical") return {.horizontal = false, .vertical = true, .channels_first = channels_first};
  if (o.mode == "horizontal_and_vertical")
    return {.horizontal = true, .vertical = true, .channels_first = channels_first};
  throw ValueError(who + ": mode must be \"horizontal\", \"vertical\" or \"horizontal_and_vertical\", received \"" +
                   o.mode + "\".");
}

std::optional<std::mt19937_64> seeded(const std::optional<int64_t>& seed) {
  if (!seed) return std::nullopt;
  return std::mt19937_64(static_cast<uint64_t>(*seed));
}
}  // namespace

RandomCrop::RandomCrop(RandomCropOptions o)
    : Layer("random_crop", o.name, o.input_shape),
      options_(std::move(o)),
      channels_first_(detail::channels_first(options_.data_format, who())),
      generator_(seeded(options_.seed)) {
  if (options_.height < 1 || options_.width < 1) {
    throw ValueError(fmt::format("{}: height and width must be positive integers, received {} and {}.", who(),
                                 options_.height, options_.width));
  }
}

Shape RandomCrop::output_shape(const Shape& in) const {
  if (in.rank() != 3) {
    throw ShapeError(fmt::format("{}: expected images (batch, height, width, channels){}, received {}.", who(),
                                 channels_first_ ? " in channels_first order" : "", in.with_batch(-1).str()));
  }
  const int h = channels_first_ ? 1 : 0;
  return in.with_dim(h, options_.height).with_dim(h + 1, options_.width);
}

autograd::Variable& RandomCrop::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool training) {
  const Shape& s = x.value.shape();
  output_shape(s.without_batch());
  const int ha = channels_first_ ? 2 : 1;
  const int64_t h = s[ha], w = s[ha + 1], th = options_.height, tw = options_.width;
  autograd::ResizeParams p;
  if (training && h > th && w > tw) {
    // Keras: floor(uniform(0, in - target + 1)) per axis, height first.
    auto& g = generator_ ? *generator_ : random::engine();
    auto offset = [&](int64_t range) {
      const double u = static_cast<double>(g() >> 11) * 0x1.0p-53;
      return std::min(range, static_cast<int64_t>(u * static_cast<double>(range + 1)));
    };
    const int64_t top = offset(h - th), left = offset(w - tw);
    p = {.out_height = th, .out_width = tw, .top = top, .left = left, .rows = th, .cols = tw};
  } else {
    p = detail::aspect_window(h, w, th, tw, true, false);
  }
  p.channels_first = channels_first_;
  return frame.get<Ops>().op.forward(tape, x, p);
}

RandomFlip::RandomFlip(RandomFlipOptions o)
    : Layer("random_flip", o.name, o.input_shape),
      options_(std::move(o)),
      mode_(flip_mode(options_, who())),
      generator_(seeded(options_.seed)) {}

Shape RandomFlip::output_shape(const Shape& in) const {
  if (in.rank() != 3) {
    throw ShapeError(who() + ": expected images of rank 4, " +
                     (mode_.channels_first ? "(batch, channels, height, width)" : "(batch, height, width, channels)") +
                     ", received " + in.with_batch(-1).str() + ".");
  }
  return in;
}

autograd::Variable& RandomFlip::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool training) {
  Ops& ops = frame.get<Ops>();
  return ops.op.forward(tape, x, mode_, training, generator_ ? *generator_ : random::engine());
}

namespace {
double uniform(std::mt19937_64& g, std::pair<double, double> range) {
  const double u = static_cast<double>(g() >> 11) * 0x1.0p-53;  // [0, 1), as RandomFlip draws
  return range.first + (range.second - range.first) * u;
}

std::string fmt_float(float v) { return fmt::format("{:g}", v); }

std::string factor_text(const std::vector<float>& f) {
  std::string s = "(";
  for (size_t i = 0; i < f.size(); ++i) {
    if (i > 0) s.append(", ");
    s.append(fmt_float(f[i]));
  }
  return s + ")";
}
}  // namespace

RandomAffine::RandomAffine(const std::string& prefix, const std::string& name, const std::vector<int64_t>& input_shape)
    : Layer(prefix, name, input_shape) {}

void RandomAffine::resolve(const Common& c) {
  const std::string who = this->who();
  static const char* const modes[] = {"reflect", "wrap", "constant", "nearest"};
  mode_.fill = -1;
  for (int i = 0; i < 4; ++i)
    if (c.fill_mode == modes[i]) mode_.fill = i;
  if (mode_.fill < 0) {
    throw NotImplementedError(who + ": unknown fill_mode \"" + c.fill_mode +
                              "\"; expected one of \"reflect\", \"wrap\", \"constant\", \"nearest\".");
  }
  if (c.interpolation != "bilinear" && c.interpolation != "nearest") {
    throw NotImplementedError(who + ": unknown interpolation \"" + c.interpolation +
                              "\"; expected \"nearest\" or \"bilinear\".");
  }
  mode_.bilinear = c.interpolation == "bilinear";
  mode_.fill_value = c.fill_value;
  mode_.channels_first = detail::channels_first(c.data_format, who);
  generator_ = seeded(c.seed);
}

namespace {
std::pair<double, double> factor_bounds(const std::string& who, const std::vector<float>& f, const char* arg,
                                        double minimum, double maximum) {
  if (f.empty() || f.size() > 2) {
    throw ValueError(who + ": " + arg + " must be a number or a (lower, upper) pair, received " +
                     factor_text(f) + ".");
  }
  for (float v : f) {
    if (!(v >= minimum && v <= maximum)) {
      const std::string bounds = std::isinf(maximum) ? " must be >= " + fmt_float(static_cast<float>(minimum))
                                                     : " must lie in [" + fmt_float(static_cast<float>(minimum)) +
                                                           ", " + fmt_float(static_cast<float>(maximum)) + "]";
      throw ValueError(who + ": " + arg + bounds + ", received " + factor_text(f) + ".");
    }
  }
  if (f.size() == 1) return {-std::fabs(f[0]), std::fabs(f[0])};
  return {std::min(f[0], f[1]), std::max(f[0], f[1])};
}
}  // namespace

std::pair<double, double> RandomAffine::factor_range(const std::vector<float>& f, const char* arg, double minimum,
                                                     double maximum) const {
  return factor_bounds(who(), f, arg, minimum, maximum);
}

Shape RandomAffine::output_shape(const Shape& in) const {
  if (in.rank() != 3) {
    throw ShapeError(who() + ": expected images of rank 4, " +
                     (mode_.channels_first ? "(batch, channels, height, width)" : "(batch, height, width, channels)") +
                     ", received " + in.with_batch(-1).str() + ".");
  }
  return in;
}

autograd::Variable& RandomAffine::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                                          bool training) {
  if (!training) return x;
  Ops& ops = frame.get<Ops>();
  const Shape& s = x.value.shape();
  const int64_t h = mode_.channels_first ? s[2] : s[1], w = mode_.channels_first ? s[3] : s[2];
  ops.transforms.clear();
  draw(ops.transforms, s[0], h, w, generator_ ? *generator_ : random::engine());
  return ops.op.forward(tape, x, ops.transforms, mode_);
}

RandomTranslation::RandomTranslation(RandomTranslationOptions o)
    : RandomAffine("random_translation", o.name, o.input_shape), options_(std::move(o)) {
  resolve({options_.fill_mode, options_.interpolation, options_.fill_value, options_.seed, options_.data_format});
  height_ = factor_range(options_.height_factor, "height_factor", -1.0, 1.0);
  width_ = factor_range(options_.width_factor, "width_factor", -1.0, 1.0);
}

// Keras' translation matrix [1, 0, -dx, 0, 1, -dy, 0, 0]: output (x, y) reads input (x - dx, y - dy).
void RandomTranslation::draw(std::vector<float>& t, int64_t batch, int64_t h, int64_t w, std::mt19937_64& g) const {
  const size_t first = t.size();
  t.resize(first + static_cast<size_t>(8 * batch), 0.0f);
  for (int64_t b = 0; b < batch; ++b) t[first + static_cast<size_t>(8 * b + 5)] = static_cast<float>(-uniform(g, height_) * h);
  for (int64_t b = 0; b < batch; ++b) {
    float* r = t.data() + first + 8 * b;
    r[0] = 1.0f;
    r[2] = static_cast<float>(-uniform(g, width_) * w);
    r[4] = 1.0f;
  }
}

RandomZoom::RandomZoom(RandomZoomOptions o) : RandomAffine("random_zoom", o.name, o.input_shape), options_(std::move(o)) {
  resolve({options_.fill_mode, options_.interpolation, options_.fill_value, options_.seed, options_.data_format});
  // Keras bounds a zoom factor below by -1 (a zoom of 0) and leaves it open above.
  height_ = factor_range(options_.height_factor, "height_factor", -1.0, INFINITY);
  if (!options_.width_factor.empty()) width_ = factor_range(options_.width_factor, "width_factor", -1.0, INFINITY);
}

// Keras' zoom matrix [zx, 0, (w - 1) / 2 * (1 - zx), 0, zy, (h - 1) / 2 * (1 - zy), 0, 0].
void RandomZoom::draw(std::vector<float>& t, int64_t batch, int64_t h, int64_t w, std::mt19937_64& g) const {
  for (int64_t b = 0; b < batch; ++b) {
    const double zy = 1.0 + uniform(g, height_);
    const double zx = options_.width_factor.empty() ? zy : 1.0 + uniform(g, width_);
    const float r[8] = {static_cast<float>(zx), 0.0f, static_cast<float>((w - 1) / 2.0 * (1 - zx)), 0.0f,
                        static_cast<float>(zy), static_cast<float>((h - 1) / 2.0 * (1 - zy)), 0.0f, 0.0f};
    t.insert(t.end(), r, r + 8);
  }
}

RandomRotation::RandomRotation(RandomRotationOptions o)
    : RandomAffine("random_rotation", o.name, o.input_shape), options_(std::move(o)) {
  resolve({options_.fill_mode, options_.interpolation, options_.fill_value, options_.seed, options_.data_format});
  angle_ = factor_range(options_.factor, "factor", -1.0, 1.0);
}

// A rotation by a about the center ((w - 1) / 2, (h - 1) / 2), tf.keras' matrix
// [cos, -sin, x_offset, sin, cos, y_offset, 0, 0].
void RandomRotation::draw(std::vector<float>& t, int64_t batch, int64_t h, int64_t w, std::mt19937_64& g) const {
  constexpr double kTwoPi = 6.283185307179586;
  for (int64_t b = 0; b < batch; ++b) {
    const double a = uniform(g, angle_) * kTwoPi, c = std::cos(a), s = std::sin(a);
    const double wm = static_cast<double>(w - 1), hm = static_cast<double>(h - 1);
    const float r[8] = {static_cast<float>(c),  static_cast<float>(-s), static_cast<float>((wm - (c * wm - s * hm)) / 2),
                        static_cast<float>(s),  static_cast<float>(c),  static_cast<float>((hm - (s * wm + c * hm)) / 2),
                        0.0f, 0.0f};
    t.insert(t.end(), r, r + 8);
  }
}

RandomImageAdjust::RandomImageAdjust(const std::string& prefix, const std::string& name,
                                     const std::vector<int64_t>& input_shape)
    : Layer(prefix, name, input_shape) {}

void RandomImageAdjust::resolve(const std::vector<float>& range, const std::optional<int64_t>& seed,
                                const std::string& data_format) {
  if (range.size() != 2 || !(range[0] < range[1])) {
    throw ValueError(who() + ": value_range must be (low, high) with low < high, received " + factor_text(range) +
                     ".");
  }
  mode_.low = range[0];
  mode_.high = range[1];
  mode_.channels_first = detail::channels_first(data_format, who());
  generator_ = seeded(seed);
}

Shape RandomImageAdjust::output_shape(const Shape& in) const {
  if (in.rank() != 3) {
    throw ShapeError(who() + ": expected images of rank 4, " +
                     (mode_.channels_first ? "(batch, channels, height, width)" : "(batch, height, width, channels)") +
                     ", received " + in.with_batch(-1).str() + ".");
  }
  return in;
}

autograd::Variable& RandomImageAdjust::forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                                               bool training) {
  if (!training) return x;
  Ops& ops = frame.get<Ops>();
  ops.factors.clear();
  ops.deltas.clear();
  draw(ops.factors, ops.deltas, x.value.shape()[0], generator_ ? *generator_ : random::engine());
  return ops.op.forward(tape, x, ops.factors, ops.deltas, mode_);
}

RandomContrast::RandomContrast(RandomContrastOptions o)
    : RandomImageAdjust("random_contrast", o.name, o.input_shape), options_(std::move(o)) {
  resolve(options_.value_range, options_.seed, options_.data_format);
  factor_bounds(who(), options_.factor, "factor", 0.0, 1.0);  // checks the entries
  // Keras: one number f is both bounds, a pair (lower, upper) as given; the factor is in [1 - lower, 1 + upper].
  const std::vector<float>& f = options_.factor;
  range_ = {1.0 - f[0], 1.0 + f.back()};
}

void RandomContrast::draw(std::vector<float>& f, std::vector<float>& d, int64_t batch, std::mt19937_64& g) const {
  for (int64_t b = 0; b < batch; ++b) {
    f.push_back(static_cast<float>(uniform(g, range_)));
    d.push_back(0.0f);
  }
}

RandomBrightness::RandomBrightness(RandomBrightnessOptions o)
    : RandomImageAdjust("random_brightness", o.name, o.input_shape), options_(std::move(o)) {
  resolve(options_.value_range, options_.seed, options_.data_format);
  range_ = factor_bounds(who(), options_.factor, "factor", -1.0, 1.0);
}

void RandomBrightness::draw(std::vector<float>& f, std::vector<float>& d, int64_t batch, std::mt19937_64& g) const {
  const double span = static_cast<double>(mode_.high) - mode_.low;
  for (int64_t b = 0; b < batch; ++b) {
    f.push_back(1.0f);
    d.push_back(static_cast<float>(uniform(g, range_) * span));
  }
}

}  // namespace soma::layers
