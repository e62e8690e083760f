// Mean squared and mean absolute error: the mean over the last axis, then over the batch.
#include <cmath>

#include "soma/losses/loss.hpp"

namespace soma::losses {

namespace {
struct Rows {
  int64_t rows, cols;
};
Rows rows_of(const Tensor& t) {
  const int64_t cols = t.rank() >= 2 ? t.dim(-1) : 1;
  return {t.numel() / cols, cols};
}
}  // namespace

double MeanSquaredError::evaluate(const Tensor& input, bool, const Tensor& y_true, float* grad) const {
  const auto [rows, cols] = rows_of(input);
  const float* p = input.f32();
  const float* y = y_true.f32();
  const int64_t n = rows * cols;
  const float scale = 2.0f / static_cast<float>(n);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const float d = p[i] - y[i];
    sum += static_cast<double>(d) * d;
    if (grad) grad[i] = scale * d;
  }
  return sum / static_cast<double>(n);
}

double MeanAbsoluteError::evaluate(const Tensor& input, bool, const Tensor& y_true, float* grad) const {
  const auto [rows, cols] = rows_of(input);
  const float* p = input.f32();
  const float* y = y_true.f32();
  const int64_t n = rows * cols;
  const float scale = 1.0f / static_cast<float>(n);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const float d = p[i] - y[i];
    sum += std::fabs(d);
    if (grad) grad[i] = d > 0 ? scale : (d < 0 ? -scale : 0.0f);
  }
  return sum / static_cast<double>(n);
}

}  // namespace soma::losses
