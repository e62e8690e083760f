// The cross-entropies. From probabilities they follow Keras exactly (normalise, clip to
// [epsilon, 1 - epsilon]); from logits (explicitly, or fused with the softmax/sigmoid that produced
// y_pred) they use log-sum-exp forms that cannot overflow.
#include <algorithm>
#include <cmath>

#include "losses/reduction.hpp"
#include "soma/losses/loss.hpp"

namespace soma::losses {

namespace {
using detail::rows_of;
constexpr float kEpsilon = 1e-7f;  // keras.backend.epsilon()

// One row of categorical cross-entropy against target weights y (one-hot or soft); returns the loss and
// writes d(loss)/d(input) * scale into g when non-null.
double categorical_row(const float* in, const float* y, int64_t cols, bool logits, float* g, float scale) {
  double ysum = 0.0;
  for (int64_t c = 0; c < cols; ++c) ysum += y[c];
  if (logits) {
    const float mx = *std::max_element(in, in + cols);
    double se = 0.0;
    for (int64_t c = 0; c < cols; ++c) se += std::exp(static_cast<double>(in[c] - mx));
    const double lse = mx + std::log(se);
    double loss = 0.0;
    for (int64_t c = 0; c < cols; ++c) {
      loss += y[c] * (lse - in[c]);
      if (g) g[c] = scale * static_cast<float>(std::exp(in[c] - lse) * ysum - y[c]);
    }
    return loss;
  }
  double s = 0.0;
  for (int64_t c = 0; c < cols; ++c) s += in[c];
  double loss = 0.0, used = 0.0;
  for (int64_t c = 0; c < cols; ++c) {
    const double q = in[c] / s;
    const bool clipped = q < kEpsilon || q > 1.0 - kEpsilon;
    loss -= y[c] * std::log(std::clamp(q, double{kEpsilon}, 1.0 - kEpsilon));
    if (!clipped) used += y[c];
  }
  if (g) {
    for (int64_t c = 0; c < cols; ++c) {
      const double q = in[c] / s;
      const bool clipped = q < kEpsilon || q > 1.0 - kEpsilon;
      g[c] = scale * static_cast<float>(used / s - (clipped ? 0.0 : y[c] / in[c]));
    }
  }
  return loss;
}
}  // namespace

double CategoricalCrossentropy::evaluate(const Tensor& input, bool logits, const Tensor& y_true,
                                         const float* weights, float* grad) const {
  const auto [rows, cols] = rows_of(input);
  const float scale = 1.0f / static_cast<float>(rows);
  const detail::RowWeights weight(weights, input);
  double sum = 0.0;
  for (int64_t r = 0; r < rows; ++r) {
    const float w = weight(r);
    sum += w * categorical_row(input.f32() + r * cols, y_true.f32() + r * cols, cols, logits,
                               grad ? grad + r * cols : nullptr, scale * w);
  }
  return sum / static_cast<double>(rows);
}

void SparseCategoricalCrossentropy::check_targets(const Shape& pred, const Tensor& y_true) const {
  const bool rank_ok =
      y_true.rank() == pred.rank() - 1 || (y_true.rank() == pred.rank() && y_true.dim(-1) == 1);
  if (pred.rank() < 1 || !rank_ok || y_true.shape().numel() * pred[-1] != pred.numel()) {
    throw ShapeError(name() + ": expected integer labels of shape " +
                     pred.with_dim(-1, 1).without_batch().str() + " per sample for y_pred of shape " +
                     pred.str() + ", received " + y_true.shape().str() +
                     "; for one-hot targets use categorical_crossentropy.");
  }
  // Float labels must be whole class indices: casting 2.7, NaN or 1e30 to an integer truncates or is
  // undefined behaviour. Checked once per data set (fit/evaluate call this on all of y).
  const int64_t classes = pred[-1];
  auto bad = [&](int64_t i, const std::string& value, const char* why) {
    throw ValueError(name() + ": label " + value + " of sample " + std::to_string(i) + " is " + why +
                     "; expected integer class indices in [0, " + std::to_string(classes) + ").");
  };
  if (y_true.dtype() == DType::float32) {
    const float* p = y_true.f32();
    for (int64_t i = 0; i < y_true.numel(); ++i) {
      const float v = p[i];
      if (!std::isfinite(v) || v != std::floor(v)) bad(i, std::to_string(v), "not an integer");
      if (v < 0.0f || v >= static_cast<float>(classes)) bad(i, std::to_string(v), "outside the classes");
    }
  } else if (y_true.dtype() == DType::int64) {
    const int64_t* p = y_true.data<int64_t>();
    for (int64_t i = 0; i < y_true.numel(); ++i)
      if (p[i] < 0 || p[i] >= classes) bad(i, std::to_string(p[i]), "outside the classes");
  } else if (y_true.dtype() == DType::uint8) {
    const uint8_t* p = y_true.data<uint8_t>();
    for (int64_t i = 0; i < y_true.numel(); ++i)
      if (p[i] >= classes) bad(i, std::to_string(p[i]), "outside the classes");
  } else {
    throw ValueError(name() + ": labels must be int64, uint8 or float32 class indices, received " +
                     dtype_name(y_true.dtype()) + ".");
  }
}

double SparseCategoricalCrossentropy::evaluate(const Tensor& input, bool logits, const Tensor& y_true,
                                               const float* weights, float* grad) const {
  const auto [rows, cols] = rows_of(input);
  const Tensor labels = y_true.dtype() == DType::int64 ? y_true : y_true.astype(DType::int64);
  const int64_t* lab = labels.data<int64_t>();
  const float scale = 1.0f / static_cast<float>(rows);
  const detail::RowWeights weight(weights, input);
  // Reused across calls so the training step does not allocate.
  thread_local std::vector<float> onehot;
  onehot.assign(static_cast<size_t>(cols), 0.0f);
  double sum = 0.0;
  for (int64_t r = 0; r < rows; ++r) {
    if (lab[r] < 0 || lab[r] >= cols) {
      throw ValueError(name() + ": label " + std::to_string(lab[r]) + " of sample " + std::to_string(r) +
                       " is outside [0, " + std::to_string(cols) + ").");
    }
    onehot[static_cast<size_t>(lab[r])] = 1.0f;
    const float w = weight(r);
    sum += w * categorical_row(input.f32() + r * cols, onehot.data(), cols, logits,
                               grad ? grad + r * cols : nullptr, scale * w);
    onehot[static_cast<size_t>(lab[r])] = 0.0f;
  }
  return sum / static_cast<double>(rows);
}

double BinaryCrossentropy::evaluate(const Tensor& input, bool logits, const Tensor& y_true,
                                    const float* weights, float* grad) const {
  const int64_t n = input.numel();
  // Mean over the last axis, then over the batch: every element weighs 1/n.
  const float scale = 1.0f / static_cast<float>(n);
  double sum = 0.0;
  if (logits) {
    sum = detail::sum_elements(input, y_true, weights, grad, scale, [](float in, float y) {
      const double z = in;
      return std::pair{std::max(z, 0.0) - z * y + std::log1p(std::exp(-std::fabs(z))),
                       1.0f / (1.0f + std::exp(-in)) - y};
    });
  } else {
    // Keras 3: clip to [eps, 1 - eps] in float32, then plain logs (tf.keras 2 added eps inside both logs
    // instead); the clip's gradient is zero outside the range.
    sum = detail::sum_elements(input, y_true, weights, grad, scale, [](float in, float y) {
      const float p = std::clamp(in, kEpsilon, 1.0f - kEpsilon), q = 1.0f - p;
      const bool clipped = in < kEpsilon || in > 1.0f - kEpsilon;
      return std::pair{-(y * std::log(static_cast<double>(p)) + (1.0 - y) * std::log(static_cast<double>(q))),
                       clipped ? 0.0f : static_cast<float>(-y / static_cast<double>(p) + (1.0 - y) / q)};
    });
  }
  return sum / static_cast<double>(n);
}

}  // namespace soma::losses
