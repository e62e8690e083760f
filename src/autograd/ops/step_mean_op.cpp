#include "soma/autograd/ops/step_mean_op.hpp"

#include <algorithm>

namespace soma::autograd {

Variable& StepMeanOp::forward(Tape* tape, Variable& x, const Tensor& mask, bool channels_first) {
  const Shape& xs = x.value.shape();
  if (xs.rank() != 3) {
    throw ShapeError(std::string("StepMeanOp: expected x ") + (channels_first ? "(N, C, T)" : "(N, T, C)") +
                     ", received shape " + xs.str() + ".");
  }
  const int64_t n = xs[0], t = channels_first ? xs[2] : xs[1], c = channels_first ? xs[1] : xs[2];
  if (mask.defined() && mask.shape() != Shape{n, t}) {
    throw ShapeError("StepMeanOp: expected a mask of shape " + Shape{n, t}.str() + " for x of shape " +
                     xs.str() + ", received " + mask.shape().str() + ".");
  }
  x_ = &x;
  channels_first_ = channels_first;
  weights_.resize(Shape{n, t});
  float* w = weights_.f32();
  for (int64_t b = 0; b < n; ++b) {
    float* wr = w + b * t;
    if (mask.defined()) {
      const float* m = mask.f32() + b * t;
      double count = 0.0;
      for (int64_t s = 0; s < t; ++s) count += m[s];
      for (int64_t s = 0; s < t; ++s) wr[s] = static_cast<float>(m[s] / count);
    } else {
      std::fill(wr, wr + t, 1.0f / static_cast<float>(t));
    }
  }
  out.value.resize(Shape{n, c});
  const float* xv = x.value.f32();
  float* y = out.value.f32();
  for (int64_t b = 0; b < n; ++b) {
    float* yr = y + b * c;
    const float* wr = w + b * t;
    if (channels_first) {
      for (int64_t ch = 0; ch < c; ++ch) {
        const float* xr = xv + (b * c + ch) * t;
        float acc = 0.0f;
#pragma omp simd reduction(+ : acc)
        for (int64_t s = 0; s < t; ++s) acc += wr[s] * xr[s];
        yr[ch] = acc;
      }
    } else {
      std::fill(yr, yr + c, 0.0f);
      for (int64_t s = 0; s < t; ++s) {
        const float* xr = xv + (b * t + s) * c;
        const float ws = wr[s];
#pragma omp simd
        for (int64_t ch = 0; ch < c; ++ch) yr[ch] += ws * xr[ch];
      }
    }
  }
  finish_forward(tape, out, x.requires_grad);
  return out;
}

void StepMeanOp::backward(Tape& tape) {
  if (!tape.has_grad(out) || !x_->requires_grad) return;
  const int64_t n = weights_.dim(0), t = weights_.dim(1), c = out.value.dim(1);
  bool acc = false;
  Tensor& dx = tape.grad_target(*x_, acc);
  float* d = dx.f32();
  const float* g = out.grad.f32();
  const float* w = weights_.f32();
  // dx[n, t, c] = w[n, t] dy[n, c]; a masked step gets 0.
  for (int64_t b = 0; b < n; ++b)
    for (int64_t s = 0; s < t; ++s) {
      const float ws = w[b * t + s];
      for (int64_t ch = 0; ch < c; ++ch) {
        const int64_t at = channels_first_ ? (b * c + ch) * t + s : (b * t + s) * c + ch;
        const float v = ws * g[b * c + ch];
        d[at] = acc ? d[at] + v : v;
      }
    }
}

}  // namespace soma::autograd
