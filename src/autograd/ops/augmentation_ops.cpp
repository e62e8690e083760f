#include "soma/autograd/ops/augmentation_ops.hpp"

#include <algorithm>
#include <cstring>

#include "kernels/affine_transform.hpp"
#include "kernels/loops.hpp"

namespace soma::autograd {

namespace {
// Uniform in [0, 1) from the top 53 bits, as soma::random::uniform01 draws from the global generator.
double uniform01(std::mt19937_64& g) {
  return static_cast<double>(g() >> 11) * 0x1.0p-53;
}

struct ImageDims {
  int64_t height, width, channels;
};

ImageDims image_dims(const Shape& s, bool channels_first) {
  return channels_first ? ImageDims{s[2], s[3], s[1]} : ImageDims{s[1], s[2], s[3]};
}

// dst (=, or += when accumulate) src with the rows and/or columns of one sample reversed. Channels-last
// moves whole pixels (channels contiguous floats); channels-first reverses each row of each channel.
void flip_sample(const float* src, float* dst, ImageDims d, bool channels_first, bool h, bool v,
                 bool accumulate) {
  const int64_t planes = channels_first ? d.channels : 1, pixel = channels_first ? 1 : d.channels,
                row = d.width * pixel;
  for (int64_t p = 0; p < planes; ++p) {
    const float* s_plane = src + p * d.height * row;
    float* d_plane = dst + p * d.height * row;
    for (int64_t i = 0; i < d.height; ++i) {
      const float* s_row = s_plane + (v ? d.height - 1 - i : i) * row;
      float* d_row = d_plane + i * row;
      if (!h) {
        kernels::copy_or_add(s_row, d_row, row, accumulate);
        continue;
      }
      for (int64_t j = 0; j < d.width; ++j)
        kernels::copy_or_add(s_row + (d.width - 1 - j) * pixel, d_row + j * pixel, pixel, accumulate);
    }
  }
}
}  // namespace

Variable& RandomFlipOp::forward(Tape* tape, Variable& x, Mode mode, bool training, std::mt19937_64& generator) {
  if (!training || (!mode.horizontal && !mode.vertical)) return x;
  x_ = &x;
  mode_ = mode;
  const Shape& s = x.value.shape();
  const int64_t batch = s[0], per_sample = s.numel() / std::max<int64_t>(1, batch);
  const ImageDims d = image_dims(s, mode.channels_first);
  flipped_.resize(static_cast<size_t>(batch));
  for (auto& f : flipped_) f = uniform01(generator) <= 0.5 ? 1 : 0;  // Keras: uniform <= 0.5
  out.value.resize(s);
  out.mask = x.mask;
  const float* px = x.value.f32();
  float* po = out.value.f32();
  for (int64_t b = 0; b < batch; ++b) {
    const bool f = flipped_[static_cast<size_t>(b)] != 0;
    flip_sample(px + b * per_sample, po + b * per_sample, d, mode.channels_first, f && mode.horizontal,
                f && mode.vertical, false);
  }
  finish_forward(tape, out, x.requires_grad);
  return out;
}

void RandomFlipOp::backward(Tape& tape) {
  if (!tape.has_grad(out) || !x_->requires_grad) return;
  bool acc = false;
  Tensor& dx = tape.grad_target(*x_, acc);
  const Shape& s = out.grad.shape();
  const int64_t batch = s[0], per_sample = s.numel() / std::max<int64_t>(1, batch);
  const ImageDims d = image_dims(s, mode_.channels_first);
  const float* g = out.grad.f32();
  float* px = dx.f32();
  for (int64_t b = 0; b < batch; ++b) {
    const bool f = flipped_[static_cast<size_t>(b)] != 0;
    flip_sample(g + b * per_sample, px + b * per_sample, d, mode_.channels_first, f && mode_.horizontal,
                f && mode_.vertical, acc);
  }
}

namespace {
kernels::AffineSpec affine_spec(const Shape& s, const AffineTransformOp::Mode& m) {
  const ImageDims d = image_dims(s, m.channels_first);
  return {.n = s[0],
          .h = d.height,
          .w = d.width,
          .c = d.channels,
          .channels_first = m.channels_first,
          .interpolation = m.bilinear ? kernels::Interpolation::bilinear : kernels::Interpolation::nearest,
          .fill_mode = static_cast<kernels::FillMode>(m.fill),
          .fill_value = m.fill_value};
}
}  // namespace

Variable& AffineTransformOp::forward(Tape* tape, Variable& x, const std::vector<float>& transforms, Mode mode) {
  const Shape& s = x.value.shape();
  if (s.rank() != 4 || static_cast<int64_t>(transforms.size()) != 8 * s[0]) {
    throw ShapeError("AffineTransformOp: expected images of rank 4 and 8 transform numbers per image, received " +
                     s.str() + " and " + std::to_string(transforms.size()) + " numbers.");
  }
  x_ = &x;
  mode_ = mode;
  transforms_.assign(transforms.begin(), transforms.end());  // capacity reused across steps
  out.value.resize(s);
  kernels::affine_transform(affine_spec(s, mode), x.value.f32(), transforms_.data(), out.value.f32());
  finish_forward(tape, out, x.requires_grad);
  return out;
}

void AffineTransformOp::backward(Tape& tape) {
  if (!tape.has_grad(out) || !x_->requires_grad) return;
  tape.write_grad(*x_, scratch_, [&](Tensor& dx) {
    kernels::affine_transform_backward(affine_spec(out.grad.shape(), mode_), out.grad.f32(), transforms_.data(),
                                       dx.f32());
  });
}

namespace {
// Element (pixel p, channel c) of one image in its layout.
struct PixelLayout {
  int64_t pixels, channels;
  bool channels_first;
  int64_t at(int64_t p, int64_t c) const { return channels_first ? c * pixels + p : p * channels + c; }
};

PixelLayout pixel_layout(const Shape& s, bool channels_first) {
  const ImageDims d = image_dims(s, channels_first);
  return {d.height * d.width, d.channels, channels_first};
}

// The per-channel means of one image, accumulated in double in pixel order.
void channel_means(const float* img, const PixelLayout& l, std::vector<double>& means) {
  means.assign(static_cast<size_t>(l.channels), 0.0);
  for (int64_t p = 0; p < l.pixels; ++p)
    for (int64_t c = 0; c < l.channels; ++c) means[static_cast<size_t>(c)] += img[l.at(p, c)];
  for (auto& m : means) m /= static_cast<double>(l.pixels);
}
}  // namespace

Variable& ImageAdjustOp::forward(Tape* tape, Variable& x, const std::vector<float>& factors,
                                 const std::vector<float>& deltas, Mode mode) {
  const Shape& s = x.value.shape();
  if (s.rank() != 4 || static_cast<int64_t>(factors.size()) != s[0] || static_cast<int64_t>(deltas.size()) != s[0]) {
    throw ShapeError("ImageAdjustOp: expected images of rank 4 and one factor and delta per image, received " +
                     s.str() + ".");
  }
  x_ = &x;
  mode_ = mode;
  factors_.assign(factors.begin(), factors.end());
  out.value.resize(s);
  const PixelLayout l = pixel_layout(s, mode.channels_first);
  const int64_t per_image = s.numel() / s[0];
  std::vector<double> means;
  inside_.resize(static_cast<size_t>(s.numel()));
  for (int64_t b = 0; b < s[0]; ++b) {
    const float* xi = x.value.f32() + b * per_image;
    float* yi = out.value.f32() + b * per_image;
    const double f = factors[static_cast<size_t>(b)], d = deltas[static_cast<size_t>(b)];
    if (f != 1.0) {
      channel_means(xi, l, means);
    } else {
      means.assign(static_cast<size_t>(l.channels), 0.0);
    }
    for (int64_t p = 0; p < l.pixels; ++p)
      for (int64_t c = 0; c < l.channels; ++c) {
        const int64_t i = l.at(p, c);
        const double v = f * xi[i] + (1.0 - f) * means[static_cast<size_t>(c)] + d;
        inside_[static_cast<size_t>(b * per_image + i)] = v >= mode.low && v <= mode.high;
        yi[i] = static_cast<float>(std::clamp(v, static_cast<double>(mode.low), static_cast<double>(mode.high)));
      }
  }
  finish_forward(tape, out, x.requires_grad);
  return out;
}

void ImageAdjustOp::backward(Tape& tape) {
  if (!tape.has_grad(out) || !x_->requires_grad) return;
  const Shape& s = out.grad.shape();
  const PixelLayout l = pixel_layout(s, mode_.channels_first);
  const int64_t per_image = s.numel() / s[0];
  tape.write_grad(*x_, scratch_, [&](Tensor& dx) {
    std::vector<double> means;
    std::vector<float> passed(static_cast<size_t>(per_image));
    for (int64_t b = 0; b < s[0]; ++b) {
      const float* gi = out.grad.f32() + b * per_image;
      const uint8_t* in = inside_.data() + b * per_image;
      float* di = dx.f32() + b * per_image;
      // Values the clip moved pass no gradient; those within [low, high], bounds included, pass it all
      // (TensorFlow's clip_by_value gradient).
      for (int64_t i = 0; i < per_image; ++i) passed[static_cast<size_t>(i)] = in[i] ? gi[i] : 0.0f;
      const double f = factors_[static_cast<size_t>(b)];
      if (f != 1.0) {
        channel_means(passed.data(), l, means);
      } else {
        means.assign(static_cast<size_t>(l.channels), 0.0);
      }
      for (int64_t p = 0; p < l.pixels; ++p)
        for (int64_t c = 0; c < l.channels; ++c) {
          const int64_t i = l.at(p, c);
          di[i] = static_cast<float>(f * passed[static_cast<size_t>(i)] + (1.0 - f) * means[static_cast<size_t>(c)]);
        }
    }
  });
}

}  // namespace soma::autograd
