#include "soma/regularizers.hpp"

#include <cmath>

namespace soma::regularizers {

double Regularizer::penalty(const Tensor& w) const {
  const float* p = w.f32();
  double a = 0.0, s = 0.0;
  for (int64_t i = 0; i < w.numel(); ++i) {
    a += std::fabs(p[i]);
    s += static_cast<double>(p[i]) * p[i];
  }
  return l1 * a + l2 * s;
}

void Regularizer::add_gradient(const Tensor& w, Tensor& grad) const {
  const float* __restrict p = w.f32();
  float* __restrict g = grad.f32();
  const float two_l2 = 2.0f * l2, k1 = l1;
  const int64_t n = w.numel();
#pragma omp simd
  for (int64_t i = 0; i < n; ++i)
    g[i] += two_l2 * p[i] + k1 * static_cast<float>((p[i] > 0.0f) - (p[i] < 0.0f));
}

}  // namespace soma::regularizers
