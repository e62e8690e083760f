#pragma once
// Keras' "sum_over_batch_size" reduction, shared by the losses: per-sample losses, each times its sample
// weight when there are weights, summed and divided by the number of rows (never by the sum of weights).
#include <cstdint>
#include <utility>

#include "soma/core/tensor.hpp"

namespace soma::losses::detail {

// y_pred as rows of its last axis: (batch, ..., classes) -> batch * ... rows of `classes` values.
struct Rows {
  int64_t rows, cols;
};
inline Rows rows_of(const Tensor& t) {
  const int64_t cols = t.rank() >= 2 ? t.dim(-1) : 1;
  return {t.numel() / cols, cols};
}

// The weight of each row: one per sample, shared by the rows a sample spans ((batch, steps, classes)
// predictions have `steps` rows per sample); 1 without weights.
class RowWeights {
 public:
  RowWeights(const float* weights, const Tensor& input)
      : weights_(weights),
        rows_per_sample_(input.rank() >= 1 && input.dim(0) > 0 ? rows_of(input).rows / input.dim(0) : 1) {}
  float operator()(int64_t row) const { return weights_ ? weights_[row / rows_per_sample_] : 1.0f; }

 private:
  const float* weights_;
  int64_t rows_per_sample_;
};

// Sum over the elements of f(y_pred, y_true) -> {loss, d loss / d y_pred}, each times its row's weight;
// grad (when non-null) receives scale * weight * derivative. Without weights it is one flat loop, as fast
// as before weights existed.
template <class F>
double sum_elements(const Tensor& input, const Tensor& y_true, const float* weights, float* grad, float scale,
                    F f) {
  const auto [rows, cols] = rows_of(input);
  const float* p = input.f32();
  const float* y = y_true.f32();
  double sum = 0.0;
  const int64_t n = rows * cols;
  if (weights == nullptr && grad == nullptr) {
    for (int64_t i = 0; i < n; ++i) sum += f(p[i], y[i]).first;
    return sum;
  }
  if (weights == nullptr) {
    for (int64_t i = 0; i < n; ++i) {
      const auto [loss, d] = f(p[i], y[i]);
      sum += loss;
      grad[i] = scale * d;
    }
    return sum;
  }
  const RowWeights weight(weights, input);
  for (int64_t r = 0; r < rows; ++r) {
    const float w = weight(r);
    double row = 0.0;
    for (int64_t i = r * cols; i < (r + 1) * cols; ++i) {
      const auto [loss, d] = f(p[i], y[i]);
      row += loss;
      if (grad) grad[i] = scale * w * d;
    }
    sum += w * row;
  }
  return sum;
}

}  // namespace soma::losses::detail
