#include "kernels/layer_norm.hpp"

#include <omp.h>

#include <cmath>
#include <vector>

#include "kernels/dnnl_context.hpp"
#include "kernels/parallel.hpp"

namespace soma::kernels {

namespace {
// x[o, r, i] for one outer index o: `row` points at x[o, 0, 0].
inline float at(const float* row, int64_t r, int64_t i, int64_t inner) {
  return row[r * inner + i];
}

// Rows [begin, end) of the outer axis, contiguous case (inner == 1): vectorised over the reduced axis.
void forward_rows(const LayerNormDims& d, const float* x, const float* gamma, const float* beta, float* y,
                  float* mean, float* inv, int64_t begin, int64_t end) {
  const int64_t n = d.reduced;
  for (int64_t o = begin; o < end; ++o) {
    const float* xr = x + o * n;
    float* yr = y + o * n;
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (int64_t r = 0; r < n; ++r) s += xr[r];
    const float m = s / static_cast<float>(n);
    float q = 0.0f;
#pragma omp simd reduction(+ : q)
    for (int64_t r = 0; r < n; ++r) q += (xr[r] - m) * (xr[r] - m);
    const float iv = 1.0f / std::sqrt(q / static_cast<float>(n) + d.epsilon);
    mean[o] = m, inv[o] = iv;
    const float shift = d.rms_scaling ? 0.0f : m;
#pragma omp simd
    for (int64_t r = 0; r < n; ++r) {
      const float v = (xr[r] - shift) * iv;
      yr[r] = (gamma ? v * gamma[r] : v) + (beta ? beta[r] : 0.0f);
    }
  }
}

// Strided case (inner > 1): vectorised over the inner axis, one outer block at a time.
void forward_blocks(const LayerNormDims& d, const float* x, const float* gamma, const float* beta, float* y,
                    float* mean, float* inv, int64_t begin, int64_t end) {
  const int64_t n = d.reduced, in = d.inner;
  for (int64_t o = begin; o < end; ++o) {
    const float* xb = x + o * n * in;
    float* yb = y + o * n * in;
    float* m = mean + o * in;
    float* iv = inv + o * in;
    for (int64_t i = 0; i < in; ++i) m[i] = 0.0f, iv[i] = 0.0f;
    for (int64_t r = 0; r < n; ++r)
#pragma omp simd
      for (int64_t i = 0; i < in; ++i) m[i] += at(xb, r, i, in);
    for (int64_t i = 0; i < in; ++i) m[i] /= static_cast<float>(n);
    for (int64_t r = 0; r < n; ++r)
#pragma omp simd
      for (int64_t i = 0; i < in; ++i) {
        const float c = at(xb, r, i, in) - m[i];
        iv[i] += c * c;
      }
    for (int64_t i = 0; i < in; ++i) iv[i] = 1.0f / std::sqrt(iv[i] / static_cast<float>(n) + d.epsilon);
    for (int64_t r = 0; r < n; ++r) {
      const float g = gamma ? gamma[r] : 1.0f, b = beta ? beta[r] : 0.0f;
#pragma omp simd
      for (int64_t i = 0; i < in; ++i) {
        const float shift = d.rms_scaling ? 0.0f : m[i];
        yb[r * in + i] = (at(xb, r, i, in) - shift) * iv[i] * g + b;
      }
    }
  }
}

// dx for outer rows [begin, end). With xhat = (x - mean) * inv and u = dy * gamma:
//   normal:      dx = inv * (u - mean(u) - xhat * mean(u * xhat))
//   rms_scaling: y = x * inv * gamma, dx = inv * u - xhat * inv^2 * mean(u * x)
void backward_rows(const LayerNormDims& d, const float* x, const float* gamma, const float* mean, const float* inv,
                   const float* dy, float* dx, bool acc, int64_t begin, int64_t end) {
  const int64_t n = d.reduced, in = d.inner;
  const float nf = static_cast<float>(n);
  for (int64_t o = begin; o < end; ++o) {
    for (int64_t i = 0; i < in; ++i) {
      const int64_t base = o * n * in + i;
      const float m = mean[o * in + i], iv = inv[o * in + i];
      float su = 0.0f, sux = 0.0f;
#pragma omp simd reduction(+ : su, sux)
      for (int64_t r = 0; r < n; ++r) {
        const float u = dy[base + r * in] * (gamma ? gamma[r] : 1.0f);
        const float xv = x[base + r * in];
        su += u;
        sux += u * (d.rms_scaling ? xv : (xv - m) * iv);
      }
      const float a = su / nf, b = sux / nf;
#pragma omp simd
      for (int64_t r = 0; r < n; ++r) {
        const float u = dy[base + r * in] * (gamma ? gamma[r] : 1.0f);
        const float xhat = (x[base + r * in] - m) * iv;
        const float g = d.rms_scaling ? iv * u - xhat * iv * iv * b : iv * (u - a - xhat * b);
        float& t = dx[base + r * in];
        t = acc ? t + g : g;
      }
    }
  }
}

// dgamma, dbeta for reduced positions [begin, end), summed over every (outer, inner) in one order.
void parameter_grads(const LayerNormDims& d, const float* x, const float* mean, const float* inv, const float* dy,
                     float* dgamma, float* dbeta, int64_t begin, int64_t end) {
  const int64_t n = d.reduced, in = d.inner;
  for (int64_t r = begin; r < end; ++r) {
    if (dgamma) dgamma[r] = 0.0f;
    if (dbeta) dbeta[r] = 0.0f;
  }
  for (int64_t o = 0; o < d.outer; ++o)
    for (int64_t i = 0; i < in; ++i) {
      const int64_t base = o * n * in + i;
      const float m = d.rms_scaling ? 0.0f : mean[o * in + i], iv = inv[o * in + i];
#pragma omp simd
      for (int64_t r = begin; r < end; ++r) {
        const float g = dy[base + r * in];
        if (dgamma) dgamma[r] += g * (x[base + r * in] - m) * iv;
        if (dbeta) dbeta[r] += g;
      }
    }
}

bool parallel_worth_it(const LayerNormDims& d) {
  return d.outer * d.reduced * d.inner >= kSerialElements;
}
}  // namespace

void layer_norm_forward(const LayerNormDims& d, const float* x, const float* gamma, const float* beta, float* y,
                        float* mean, float* inv) {
  auto part = [&](int64_t begin, int64_t end) {
    if (d.inner == 1) forward_rows(d, x, gamma, beta, y, mean, inv, begin, end);
    else forward_blocks(d, x, gamma, beta, y, mean, inv, begin, end);
  };
  if (!parallel_worth_it(d)) return part(0, d.outer);
#pragma omp parallel
  {
    const Range r = split_range(d.outer, omp_get_num_threads(), omp_get_thread_num(), 1);
    part(r.begin, r.end);
  }
}

void layer_norm_backward(const LayerNormDims& d, const float* x, const float* gamma, const float* mean,
                         const float* inv, const float* dy, float* dx, bool accumulate_dx, float* dgamma,
                         float* dbeta) {
  const bool parallel = parallel_worth_it(d);
  if (dx) {
    if (!parallel) {
      backward_rows(d, x, gamma, mean, inv, dy, dx, accumulate_dx, 0, d.outer);
    } else {
#pragma omp parallel
      {
        const Range r = split_range(d.outer, omp_get_num_threads(), omp_get_thread_num(), 1);
        backward_rows(d, x, gamma, mean, inv, dy, dx, accumulate_dx, r.begin, r.end);
      }
    }
  }
  if (!dgamma && !dbeta) return;
  if (!parallel || d.reduced < 32) return parameter_grads(d, x, mean, inv, dy, dgamma, dbeta, 0, d.reduced);
#pragma omp parallel
  {
    // Whole cache lines of dgamma/dbeta per thread.
    const Range r = split_range(d.reduced, omp_get_num_threads(), omp_get_thread_num(), 16);
    parameter_grads(d, x, mean, inv, dy, dgamma, dbeta, r.begin, r.end);
  }
}

void layer_norm_reference(const LayerNormDims& d, const float* x, const float* gamma, const float* beta, float* y) {
  const int64_t n = d.reduced, in = d.inner;
  for (int64_t o = 0; o < d.outer; ++o)
    for (int64_t i = 0; i < in; ++i) {
      const int64_t base = o * n * in + i;
      double s = 0, q = 0;
      for (int64_t r = 0; r < n; ++r) s += x[base + r * in];
      const double m = s / static_cast<double>(n);
      for (int64_t r = 0; r < n; ++r) q += (x[base + r * in] - m) * (x[base + r * in] - m);
      const double iv = 1.0 / std::sqrt(q / static_cast<double>(n) + d.epsilon);
      for (int64_t r = 0; r < n; ++r) {
        const double v = (x[base + r * in] - (d.rms_scaling ? 0.0 : m)) * iv;
        y[base + r * in] = static_cast<float>(v * (gamma ? gamma[r] : 1.0) + (beta ? beta[r] : 0.0));
      }
    }
}

}  // namespace soma::kernels
