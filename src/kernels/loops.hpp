#pragma once
// Small vectorised loops for what oneDNN has no primitive for. Each is simple enough to be its own
// reference; the tests check them through the ops' gradient checks.
#include <cstdint>

namespace soma::kernels {

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
