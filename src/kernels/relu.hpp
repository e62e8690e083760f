#pragma once
// Keras 3's parametrised ReLU and PReLU as vectorised loops (oneDNN has neither with a threshold and a
// ceiling, nor a per-channel slope with its gradient). OpenMP's static schedule splits any n, remainder
// included; below kSerialElements one thread does it all.
#include <cstdint>

#include "kernels/dnnl_context.hpp"

namespace soma::kernels {

// keras.activations.relu(x, negative_slope, max_value, threshold):
//   x > threshold:  min(x, max_value)
//   otherwise:      negative_slope * (x - threshold)
// (threshold >= 0, so min(x, max_value) is never clipped below at 0). No max_value: +inf.
struct ReluParams {
  float negative_slope = 0.0f;
  float max_value = 0.0f;
  float threshold = 0.0f;
};

inline void relu_forward(const ReluParams& p, int64_t n, const float* __restrict x, float* __restrict y) {
  const float slope = p.negative_slope, top = p.max_value, t = p.threshold;
#pragma omp parallel for simd schedule(static) if (n >= kSerialElements)
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] > t ? (x[i] < top ? x[i] : top) : slope * (x[i] - t);
}

// dx = dy * f'(x): 1 between threshold and max_value, 0 above it, negative_slope below the threshold.
inline void relu_backward(const ReluParams& p, int64_t n, const float* __restrict x,
                          const float* __restrict dy, float* __restrict dx, bool accumulate) {
  const float slope = p.negative_slope, top = p.max_value, t = p.threshold;
#pragma omp parallel for simd schedule(static) if (n >= kSerialElements)
  for (int64_t i = 0; i < n; ++i) {
    const float g = x[i] > t ? (x[i] < top ? dy[i] : 0.0f) : slope * dy[i];
    dx[i] = accumulate ? dx[i] + g : g;
  }
}

}  // namespace soma::kernels
