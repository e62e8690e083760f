#include "kernels/attention_softmax.hpp"

#include <omp.h>

#include <cmath>

#include "kernels/dnnl_context.hpp"
#include "kernels/fast_math.hpp"
#include "kernels/parallel.hpp"

namespace soma::kernels {

namespace {
// The mask row of score row r (its batch and query; every head shares it).
inline const uint8_t* mask_row(const AttentionDims& d, const uint8_t* mask, int64_t r) {
  if (!mask) return nullptr;
  const int64_t q = r % d.queries, b = r / (d.queries * d.heads);
  return mask + (b * d.queries + q) * d.keys;
}

void forward_rows(const AttentionDims& d, float* scores, const uint8_t* mask, int64_t begin, int64_t end) {
  const int64_t n = d.keys;
  for (int64_t r = begin; r < end; ++r) {
    float* x = scores + r * n;
    const uint8_t* keep = mask_row(d, mask, r);
    float m = -INFINITY;
    if (keep) {
      for (int64_t j = 0; j < n; ++j)
        if (keep[j] && x[j] > m) m = x[j];
      if (m == -INFINITY) {  // every key masked: Keras' -1e9 everywhere gives a uniform row
        const float u = 1.0f / static_cast<float>(n);
        for (int64_t j = 0; j < n; ++j) x[j] = u;
        continue;
      }
    } else {
#pragma omp simd reduction(max : m)
      for (int64_t j = 0; j < n; ++j) m = x[j] > m ? x[j] : m;
    }
    float s = 0.0f;
    if (keep) {
#pragma omp simd reduction(+ : s)
      for (int64_t j = 0; j < n; ++j) {
        const float e = keep[j] ? fast_exp(x[j] - m) : 0.0f;
        x[j] = e;
        s += e;
      }
    } else {
#pragma omp simd reduction(+ : s)
      for (int64_t j = 0; j < n; ++j) {
        const float e = fast_exp(x[j] - m);
        x[j] = e;
        s += e;
      }
    }
    const float inv = 1.0f / s;
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) x[j] *= inv;
  }
}

void backward_rows(const AttentionDims& d, const float* p, const float* dp, float* ds, const uint8_t* mask,
                   int64_t begin, int64_t end) {
  const int64_t n = d.keys;
  for (int64_t r = begin; r < end; ++r) {
    const float* pr = p + r * n;
    const float* gr = dp + r * n;
    float* out = ds + r * n;
    const uint8_t* keep = mask_row(d, mask, r);
    float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
    for (int64_t j = 0; j < n; ++j) dot += pr[j] * gr[j];
    if (keep) {
#pragma omp simd
      for (int64_t j = 0; j < n; ++j) out[j] = keep[j] ? pr[j] * (gr[j] - dot) : 0.0f;
    } else {
#pragma omp simd
      for (int64_t j = 0; j < n; ++j) out[j] = pr[j] * (gr[j] - dot);
    }
  }
}

template <class Part>
void over_rows(const AttentionDims& d, Part part) {
  if (d.numel() < kSerialElements) return part(0, d.rows());
#pragma omp parallel
  {
    const Range r = split_range(d.rows(), omp_get_num_threads(), omp_get_thread_num(), 1);
    part(r.begin, r.end);
  }
}
}  // namespace

void masked_softmax_forward(const AttentionDims& d, float* scores, const uint8_t* mask) {
  over_rows(d, [&](int64_t b, int64_t e) { forward_rows(d, scores, mask, b, e); });
}

void masked_softmax_backward(const AttentionDims& d, const float* p, const float* dp, float* ds,
                             const uint8_t* mask) {
  over_rows(d, [&](int64_t b, int64_t e) { backward_rows(d, p, dp, ds, mask, b, e); });
}

void masked_softmax_reference(const AttentionDims& d, const float* scores, const uint8_t* mask, float* p) {
  const int64_t n = d.keys;
  for (int64_t r = 0; r < d.rows(); ++r) {
    const uint8_t* keep = mask_row(d, mask, r);
    double m = -INFINITY, s = 0.0;
    for (int64_t j = 0; j < n; ++j) m = std::max(m, keep && !keep[j] ? -1e9 : double{scores[r * n + j]});
    for (int64_t j = 0; j < n; ++j) s += std::exp((keep && !keep[j] ? -1e9 : double{scores[r * n + j]}) - m);
    for (int64_t j = 0; j < n; ++j)
      p[r * n + j] = static_cast<float>(std::exp((keep && !keep[j] ? -1e9 : double{scores[r * n + j]}) - m) / s);
  }
}

}  // namespace soma::kernels
