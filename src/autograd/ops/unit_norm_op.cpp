#include "soma/autograd/ops/unit_norm_op.hpp"

#include <omp.h>

#include <cmath>
#include <vector>

#include "kernels/dnnl_context.hpp"
#include "kernels/parallel.hpp"

namespace soma::autograd {

namespace {

constexpr float kEpsilon = 1e-12f;  // Keras' UnitNormalization passes epsilon=1e-12 to ops.normalize

// Runs f(o) for every outer index, split between threads when the tensor is large.
template <class F>
void for_outer(int64_t outer, int64_t numel, F&& f) {
  if (numel < kernels::kSerialElements || outer == 1) {
    for (int64_t o = 0; o < outer; ++o) f(o);
    return;
  }
#pragma omp parallel
  {
    const kernels::Range r = kernels::split_range(outer, omp_get_num_threads(), omp_get_thread_num(), 1);
    for (int64_t o = r.begin; o < r.end; ++o) f(o);
  }
}

}  // namespace

Variable& UnitNormOp::forward(Tape* tape, Variable& x, const UnitNormParams& p) {
  if (p.outer * p.reduced * p.inner != x.value.numel()) {
    throw ShapeError("UnitNormOp: a view (" + std::to_string(p.outer) + ", " + std::to_string(p.reduced) + ", " +
                     std::to_string(p.inner) + ") does not cover an input of shape " + x.value.shape().str() + ".");
  }
  x_ = &x;
  p_ = p;
  out.value.resize(x.value.shape());
  out.mask = x.mask;
  inv_norm_.resize(Shape{p.outer, p.inner});
  const float* xv = x.value.f32();
  float* y = out.value.f32();
  float* inv = inv_norm_.f32();
  const int64_t n = p.reduced, m = p.inner;
  for_outer(p.outer, x.value.numel(), [&](int64_t o) {
    const float* xo = xv + o * n * m;
    float* r = inv + o * m;
    for (int64_t i = 0; i < m; ++i) r[i] = 0.0f;
    for (int64_t k = 0; k < n; ++k) {
#pragma omp simd
      for (int64_t i = 0; i < m; ++i) r[i] += xo[k * m + i] * xo[k * m + i];
    }
    for (int64_t i = 0; i < m; ++i) r[i] = std::min(1.0f / std::sqrt(r[i]), 1.0f / kEpsilon);
    float* yo = y + o * n * m;
    for (int64_t k = 0; k < n; ++k) {
#pragma omp simd
      for (int64_t i = 0; i < m; ++i) yo[k * m + i] = xo[k * m + i] * r[i];
    }
  });
  finish_forward(tape, out, x.requires_grad);
  return out;
}

void UnitNormOp::backward(Tape& tape) {
  if (!tape.has_grad(out) || !x_->requires_grad) return;
  bool acc = false;
  Tensor& dx = tape.grad_target(*x_, acc);
  const float* g = out.grad.f32();
  const float* y = out.value.f32();
  const float* inv = inv_norm_.f32();
  float* d = dx.f32();
  const int64_t n = p_.reduced, m = p_.inner;
  for_outer(p_.outer, dx.numel(), [&](int64_t o) {
    const int64_t base = o * n * m;
    std::vector<float> dot(static_cast<size_t>(m), 0.0f);
    for (int64_t k = 0; k < n; ++k)
      for (int64_t i = 0; i < m; ++i) dot[static_cast<size_t>(i)] += g[base + k * m + i] * y[base + k * m + i];
    const float* r = inv + o * m;
    for (int64_t i = 0; i < m; ++i)
      if (r[i] >= 1.0f / kEpsilon) dot[static_cast<size_t>(i)] = 0.0f;  // clamped: the norm is a constant
    for (int64_t k = 0; k < n; ++k)
      for (int64_t i = 0; i < m; ++i) {
        const int64_t j = base + k * m + i;
        const float v = r[i] * (g[j] - y[j] * dot[static_cast<size_t>(i)]);
        d[j] = acc ? d[j] + v : v;
      }
  });
}

}  // namespace soma::autograd
