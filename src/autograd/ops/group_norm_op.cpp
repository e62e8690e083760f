#include "soma/autograd/ops/group_norm_op.hpp"

#include <omp.h>

#include <cmath>
#include <cstring>

#include "kernels/dnnl_context.hpp"
#include "kernels/parallel.hpp"

namespace soma::autograd {

namespace {

// Runs f(sample, group) over every pair, split between threads when the tensor is large.
template <class F>
void for_groups(const GroupNormParams& p, int64_t numel, F&& f) {
  const int64_t n = p.batch * p.groups;
  if (numel < kernels::kSerialElements || n == 1) {
    for (int64_t i = 0; i < n; ++i) f(i / p.groups, i % p.groups);
    return;
  }
#pragma omp parallel
  {
    const kernels::Range r = kernels::split_range(n, omp_get_num_threads(), omp_get_thread_num(), 1);
    for (int64_t i = r.begin; i < r.end; ++i) f(i / p.groups, i % p.groups);
  }
}

// Calls f(index, channel) for every element of (sample b, group g), in one fixed order.
template <class F>
void each_element(const GroupNormParams& p, int64_t b, int64_t g, F&& f) {
  const int64_t per_group = p.channels / p.groups;
  for (int64_t a = 0; a < p.before; ++a)
    for (int64_t c = g * per_group; c < (g + 1) * per_group; ++c) {
      const int64_t base = ((b * p.before + a) * p.channels + c) * p.after;
      for (int64_t k = 0; k < p.after; ++k) f(base + k, c);
    }
}

}  // namespace

Variable& GroupNormOp::forward(Tape* tape, Variable& x, Variable* gamma, Variable* beta, const GroupNormParams& p) {
  if (p.batch * p.before * p.channels * p.after != x.value.numel() || p.groups < 1 || p.channels % p.groups != 0) {
    throw ShapeError("GroupNormOp: a view (" + std::to_string(p.batch) + ", " + std::to_string(p.before) + ", " +
                     std::to_string(p.channels) + ", " + std::to_string(p.after) + ") in " + std::to_string(p.groups) +
                     " groups does not fit an input of shape " + x.value.shape().str() + ".");
  }
  x_ = &x, gamma_ = gamma, beta_ = beta, p_ = p;
  out.value.resize(x.value.shape());
  out.mask = x.mask;
  xhat_.resize(x.value.shape());
  inv_std_.resize(Shape{p.batch, p.groups});
  const float* xv = x.value.f32();
  float* xh = xhat_.f32();
  float* y = out.value.f32();
  const float* gm = gamma ? gamma->value.f32() : nullptr;
  const float* bt = beta ? beta->value.f32() : nullptr;
  const double count = static_cast<double>(p.before * (p.channels / p.groups) * p.after);
  for_groups(p, x.value.numel(), [&](int64_t b, int64_t g) {
    double sum = 0;
    each_element(p, b, g, [&](int64_t i, int64_t) { sum += xv[i]; });
    const double mean = sum / count;
    double sq = 0;
    each_element(p, b, g, [&](int64_t i, int64_t) { sq += (xv[i] - mean) * (xv[i] - mean); });
    const float inv = static_cast<float>(1.0 / std::sqrt(sq / count + p.epsilon));
    inv_std_.f32()[b * p.groups + g] = inv;
    const float m = static_cast<float>(mean);
    each_element(p, b, g, [&](int64_t i, int64_t c) {
      xh[i] = (xv[i] - m) * inv;
      y[i] = xh[i] * (gm ? gm[c] : 1.0f) + (bt ? bt[c] : 0.0f);
    });
  });
  finish_forward(tape, out, x.requires_grad || (gamma && gamma->requires_grad) || (beta && beta->requires_grad));
  return out;
}

void GroupNormOp::backward(Tape& tape) {
  if (!tape.has_grad(out)) return;
  const GroupNormParams& p = p_;
  const float* dy = out.grad.f32();
  const float* xh = xhat_.f32();
  const float* gm = gamma_ ? gamma_->value.f32() : nullptr;
  const bool want_x = x_->requires_grad;
  const bool want_gamma = gamma_ && gamma_->requires_grad, want_beta = beta_ && beta_->requires_grad;
  bool acc_x = false;
  float* dx = want_x ? tape.grad_target(*x_, acc_x).f32() : nullptr;
  partial_gamma_.resize(Shape{p.batch, p.channels});
  partial_beta_.resize(Shape{p.batch, p.channels});
  float* pg = partial_gamma_.f32();
  float* pb = partial_beta_.f32();
  const double count = static_cast<double>(p.before * (p.channels / p.groups) * p.after);
  const int64_t per_group = p.channels / p.groups;
  for_groups(p, out.grad.numel(), [&](int64_t b, int64_t g) {
    for (int64_t c = g * per_group; c < (g + 1) * per_group; ++c) pg[b * p.channels + c] = pb[b * p.channels + c] = 0;
    double mean_d = 0, mean_dx = 0;  // means of dxhat and dxhat * xhat over the group
    each_element(p, b, g, [&](int64_t i, int64_t c) {
      const float d = dy[i] * (gm ? gm[c] : 1.0f);
      mean_d += d;
      mean_dx += d * xh[i];
      pg[b * p.channels + c] += dy[i] * xh[i];
      pb[b * p.channels + c] += dy[i];
    });
    if (!want_x) return;
    mean_d /= count, mean_dx /= count;
    const float inv = inv_std_.f32()[b * p.groups + g];
    const float md = static_cast<float>(mean_d), mdx = static_cast<float>(mean_dx);
    each_element(p, b, g, [&](int64_t i, int64_t c) {
      const float d = dy[i] * (gm ? gm[c] : 1.0f);
      const float v = inv * (d - md - xh[i] * mdx);
      dx[i] = acc_x ? dx[i] + v : v;
    });
  });
  auto reduce = [&](Variable* w, const float* partial) {
    bool acc = false;
    float* dw = tape.grad_target(*w, acc).f32();
    for (int64_t c = 0; c < p.channels; ++c) {
      float s = 0;
      for (int64_t b = 0; b < p.batch; ++b) s += partial[b * p.channels + c];
      dw[c] = acc ? dw[c] + s : s;
    }
  };
  if (want_gamma) reduce(gamma_, pg);
  if (want_beta) reduce(beta_, pb);
}

}  // namespace soma::autograd
