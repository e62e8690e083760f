#pragma once
// Small vectorised loops for what oneDNN has no primitive for. Each is simple enough to be its own
// reference; the tests check them through the ops' gradient checks.
#include <cstdint>

namespace soma::kernels {

// g *= (y > 0): the backward of a relu fused into the producing matmul, in place.
inline void relu_mask(float* __restrict g, const float* __restrict y, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) g[i] = y[i] > 0.0f ? g[i] : 0.0f;
}

// out[j] (=|+=) sum_i g[i, j] for a row-major (rows, cols) g: the bias gradient.
inline void column_sum(const float* __restrict g, int64_t rows, int64_t cols, float* __restrict out,
                       bool accumulate) {
  if (!accumulate)
    for (int64_t j = 0; j < cols; ++j) out[j] = 0.0f;
  for (int64_t i = 0; i < rows; ++i) {
    const float* row = g + i * cols;
#pragma omp simd
    for (int64_t j = 0; j < cols; ++j) out[j] += row[j];
  }
}

inline void multiply(const float* __restrict a, const float* __restrict b, float* __restrict out, int64_t n,
                     bool accumulate) {
  if (accumulate) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) out[i] += a[i] * b[i];
  } else {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) out[i] = a[i] * b[i];
  }
}

inline void copy_or_add(const float* __restrict src, float* __restrict dst, int64_t n, bool accumulate) {
  if (accumulate) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) dst[i] += src[i];
  } else {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) dst[i] = src[i];
  }
}

}  // namespace soma::kernels
