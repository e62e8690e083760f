#include "soma/autograd/ops/noise_ops.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "kernels/loops.hpp"
#include "soma/core/random.hpp"

namespace soma::autograd {

namespace {
// Standard normals, both Box-Muller outputs used: the noise layers draw one per element.
void fill_normal(float* p, int64_t n, float mean, float stddev) {
  int64_t i = 0;
  for (; i < n; i += 2) {
    const double u1 = 1.0 - random::uniform01(), u2 = random::uniform01();  // 1 - u: log's argument in (0, 1]
    const double r = std::sqrt(-2.0 * std::log(u1)), a = 2.0 * std::numbers::pi * u2;
    p[i] = mean + stddev * static_cast<float>(r * std::cos(a));
    if (i + 1 < n) p[i + 1] = mean + stddev * static_cast<float>(r * std::sin(a));
  }
}
}  // namespace

Variable& SpatialDropoutOp::forward(Tape* tape, Variable& x, float rate, bool training) {
  if (!training || rate == 0.0f) return x;
  x_ = &x;
  const Shape& s = x.value.shape();
  const int64_t batch = s[0], channels = s[-1],
                positions = s.numel() / std::max<int64_t>(1, batch * channels);
  mask_.resize(Shape{batch, channels});
  const float keep_scale = 1.0f / (1.0f - rate);
  float* m = mask_.f32();
  for (int64_t i = 0; i < batch * channels; ++i) m[i] = random::uniform01() < rate ? 0.0f : keep_scale;
  out.value.resize(s);
  out.mask = x.mask;
  const float* px = x.value.f32();
  float* po = out.value.f32();
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t p = 0; p < positions; ++p) {
      const int64_t row = (b * positions + p) * channels;
      kernels::multiply(px + row, m + b * channels, po + row, channels, false);
    }
  finish_forward(tape, out, x.requires_grad);
  return out;
}

void SpatialDropoutOp::backward(Tape& tape) {
  if (!tape.has_grad(out) || !x_->requires_grad) return;
  bool acc = false;
  Tensor& dx = tape.grad_target(*x_, acc);
  const int64_t batch = mask_.dim(0), channels = mask_.dim(1), positions = dx.numel() / (batch * channels);
  const float* g = out.grad.f32();
  const float* m = mask_.f32();
  float* d = dx.f32();
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t p = 0; p < positions; ++p) {
      const int64_t row = (b * positions + p) * channels;
      kernels::multiply(g + row, m + b * channels, d + row, channels, acc);
    }
}

Variable& GaussianNoiseOp::forward(Tape* tape, Variable& x, float stddev, bool training) {
  if (!training || stddev == 0.0f) return x;
  x_ = &x;
  const int64_t n = x.value.numel();
  out.value.resize(x.value.shape());
  out.mask = x.mask;
  float* po = out.value.f32();
  fill_normal(po, n, 0.0f, stddev);
  kernels::copy_or_add(x.value.f32(), po, n, true);
  finish_forward(tape, out, x.requires_grad);
  return out;
}

void GaussianNoiseOp::backward(Tape& tape) {
  if (!tape.has_grad(out) || !x_->requires_grad) return;
  bool acc = false;
  Tensor& dx = tape.grad_target(*x_, acc);
  kernels::copy_or_add(out.grad.f32(), dx.f32(), dx.numel(), acc);
}

Variable& GaussianDropoutOp::forward(Tape* tape, Variable& x, float rate, bool training) {
  if (!training || rate == 0.0f) return x;
  x_ = &x;
  const int64_t n = x.value.numel();
  mask_.resize(x.value.shape());
  out.value.resize(x.value.shape());
  out.mask = x.mask;
  fill_normal(mask_.f32(), n, 1.0f, std::sqrt(rate / (1.0f - rate)));
  kernels::multiply(x.value.f32(), mask_.f32(), out.value.f32(), n, false);
  finish_forward(tape, out, x.requires_grad);
  return out;
}

void GaussianDropoutOp::backward(Tape& tape) {
  if (!tape.has_grad(out) || !x_->requires_grad) return;
  bool acc = false;
  Tensor& dx = tape.grad_target(*x_, acc);
  kernels::multiply(out.grad.f32(), mask_.f32(), dx.f32(), dx.numel(), acc);
}

}  // namespace soma::autograd
