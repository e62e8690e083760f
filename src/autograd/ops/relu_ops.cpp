#include "soma/autograd/ops/relu_ops.hpp"

#include "kernels/relu.hpp"

namespace soma::autograd {

namespace {
kernels::ReluParams params(const ReluOptions& o) {
  return {.negative_slope = o.negative_slope, .max_value = o.max_value, .threshold = o.threshold};
}
}  // namespace

Variable& ReluOp::forward(Tape* tape, Variable& x, const ReluOptions& options) {
  x_ = &x;
  options_ = options;
  out.value.resize(x.value.shape());
  out.mask = x.mask;
  kernels::relu_forward(params(options), x.value.numel(), x.value.f32(), out.value.f32());
  finish_forward(tape, out, x.requires_grad);
  return out;
}

void ReluOp::backward(Tape& tape) {
  if (!tape.has_grad(out) || !x_->requires_grad) return;
  bool acc = false;
  Tensor& dx = tape.grad_target(*x_, acc);
  kernels::relu_backward(params(options_), dx.numel(), x_->value.f32(), out.grad.f32(), dx.f32(), acc);
}

Variable& PReluOp::forward(Tape* tape, Variable& x, Variable& alpha) {
  const Shape& xs = x.value.shape();
  const Shape& as = alpha.value.shape();
  bool fits = xs.rank() == as.rank() + 1;
  for (int d = 0; fits && d < as.rank(); ++d) fits = as[d] == xs[d + 1] || as[d] == 1;
  if (!fits) {
    throw ShapeError("PReluOp: expected x (N, ...) whose per-sample axes match alpha " + as.str() +
                     " or are shared (1), received x of shape " + xs.str() + ".");
  }
  const Shape sample = xs.without_batch();
  if (sample != indexed_for_) {
    indexed_for_ = sample;
    index_.clear();
    if (as != sample) {
      // Row-major walk over the sample, with alpha's strides (0 along shared axes).
      std::vector<int64_t> stride(static_cast<size_t>(as.rank()), 0);
      int64_t s = 1;
      for (int d = as.rank() - 1; d >= 0; --d) {
        stride[static_cast<size_t>(d)] = as[d] == 1 ? 0 : s;
        s *= as[d];
      }
      index_.resize(static_cast<size_t>(sample.numel()));
      for (int64_t i = 0; i < sample.numel(); ++i) {
        int64_t rest = i, a = 0;
        for (int d = sample.rank() - 1; d >= 0; --d) {
          a += (rest % sample[d]) * stride[static_cast<size_t>(d)];
          rest /= sample[d];
        }
        index_[static_cast<size_t>(i)] = a;
      }
    }
  }
  x_ = &x;
  alpha_ = &alpha;
  out.value.resize(xs);
  out.mask = x.mask;
  const int64_t n = xs[0], m = sample.numel();
  const float* __restrict xv = x.value.f32();
  const float* __restrict av = alpha.value.f32();
  float* __restrict y = out.value.f32();
  const int64_t* idx = index_.empty() ? nullptr : index_.data();
#pragma omp parallel for schedule(static) if (n * m >= kernels::kSerialElements)
  for (int64_t b = 0; b < n; ++b) {
    const float* xr = xv + b * m;
    float* yr = y + b * m;
    if (idx) {
      for (int64_t i = 0; i < m; ++i) yr[i] = xr[i] > 0.0f ? xr[i] : av[idx[i]] * xr[i];
    } else {
#pragma omp simd
      for (int64_t i = 0; i < m; ++i) yr[i] = xr[i] > 0.0f ? xr[i] : av[i] * xr[i];
    }
  }
  finish_forward(tape, out, x.requires_grad || alpha.requires_grad);
  return out;
}

void PReluOp::backward(Tape& tape) {
  if (!tape.has_grad(out)) return;
  const int64_t n = x_->value.dim(0), m = x_->value.numel() / std::max<int64_t>(n, 1);
  const float* xv = x_->value.f32();
  const float* av = alpha_->value.f32();
  const float* g = out.grad.f32();
  const int64_t* idx = index_.empty() ? nullptr : index_.data();
  if (alpha_->requires_grad) {
    // d alpha = sum over the batch (and the shared axes) of dy * min(x, 0); one thread, in a fixed order,
    // so the sum is reproducible.
    tape.write_grad(*alpha_, scratch_, [&](Tensor& da) {
      float* d = da.f32();
      std::fill(d, d + da.numel(), 0.0f);
      for (int64_t b = 0; b < n; ++b)
        for (int64_t i = 0; i < m; ++i) {
          const float xi = xv[b * m + i];
          d[idx ? idx[i] : i] += xi > 0.0f ? 0.0f : g[b * m + i] * xi;
        }
    });
  }
  if (x_->requires_grad) {
    bool acc = false;
    Tensor& dx = tape.grad_target(*x_, acc);
    float* d = dx.f32();
#pragma omp parallel for schedule(static) if (n * m >= kernels::kSerialElements)
    for (int64_t b = 0; b < n; ++b)
      for (int64_t i = 0; i < m; ++i) {
        const int64_t k = b * m + i;
        const float v = xv[k] > 0.0f ? g[k] : av[idx ? idx[i] : i] * g[k];
        d[k] = acc ? d[k] + v : v;
      }
  }
}

}  // namespace soma::autograd
