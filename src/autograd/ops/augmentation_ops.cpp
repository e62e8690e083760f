#include "soma/autograd/ops/augmentation_ops.hpp"

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

}  // namespace soma::autograd
