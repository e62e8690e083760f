#include "models/sample_weights.hpp"

#include <algorithm>
#include <cmath>

#include "soma/core/error.hpp"

namespace soma::models {

Tensor checked_sample_weight(const Tensor& weights, int64_t n, const std::string& who, const char* what) {
  const bool shape_ok =
      (weights.rank() == 1 || (weights.rank() == 2 && weights.dim(1) == 1)) && weights.dim(0) == n;
  if (!shape_ok) {
    throw ShapeError(who + ": " + what + " must hold one weight per sample, shape (" + std::to_string(n) +
                     ",), received shape " + weights.shape().str() + ".");
  }
  Tensor w = weights.dtype() == DType::float32 ? weights.clone() : weights.astype(DType::float32);
  w = w.reshape({n});
  const float* p = w.f32();
  for (int64_t i = 0; i < n; ++i) {
    if (!(p[i] >= 0.0f) || std::isinf(p[i])) {
      throw ValueError(who + ": " + what + " of sample " + std::to_string(i) + " is " + std::to_string(p[i]) +
                       "; sample weights must be finite and >= 0.");
    }
  }
  return w;
}

namespace {
// The class each target row stands for (Keras 3's class_weight_to_sample_weights).
int64_t class_of(const Tensor& y, int64_t i) {
  if (y.dtype() == DType::int64) return y.data<int64_t>()[i];
  const int64_t cols = y.rank() == 2 ? y.dim(1) : 1;
  const float* row = y.f32() + i * cols;
  if (cols > 1) return std::max_element(row, row + cols) - row;
  return static_cast<int64_t>(std::lround(row[0]));
}
}  // namespace

void apply_class_weight(const std::map<int64_t, float>& class_weight, const Tensor& y, int64_t classes,
                        const std::string& who, Tensor& weights) {
  for (const auto& [cls, w] : class_weight) {
    if (cls < 0 || cls >= classes) {
      throw ValueError(who + ": class_weight has class " + std::to_string(cls) +
                       ", but the model's output has " + std::to_string(classes) + " classes (0 to " +
                       std::to_string(classes - 1) + ").");
    }
    if (!(w >= 0.0f) || std::isinf(w)) {
      throw ValueError(who + ": class_weight of class " + std::to_string(cls) + " is " + std::to_string(w) +
                       "; class weights must be finite and >= 0.");
    }
  }
  if (y.rank() > 2) {
    throw ValueError(who +
                     ": class_weight is not supported for targets of rank 3 or more, received y of shape " +
                     y.shape().str() + "; pass per-sample weights as sample_weight instead.");
  }
  const int64_t n = y.dim(0);
  const Tensor targets =
      y.dtype() == DType::int64 || y.dtype() == DType::float32 ? y : y.astype(DType::float32);
  if (!weights.defined()) {
    weights = Tensor::empty({n});
    weights.fill(1.0f);
  }
  float* out = weights.f32();
  for (int64_t i = 0; i < n; ++i) {
    const auto it = class_weight.find(class_of(targets, i));
    if (it != class_weight.end()) out[i] *= it->second;
  }
}

}  // namespace soma::models
