#include "soma/training/metrics.hpp"

#include <algorithm>

#include "soma/core/error.hpp"

namespace soma::metrics {

namespace {
int64_t last_dim(const Tensor& t) {
  return t.rank() >= 2 ? t.dim(-1) : 1;
}

int64_t argmax(const float* row, int64_t n) {
  return std::max_element(row, row + n) - row;
}
}  // namespace

void Metric::update(const Tensor& y_pred, const Tensor& y_true) {
  count_ += accumulate(y_pred, y_true, total_);
}

double CategoricalAccuracy::accumulate(const Tensor& y_pred, const Tensor& y_true, double& total) const {
  const int64_t cols = last_dim(y_pred), rows = y_pred.numel() / cols;
  const float* p = y_pred.f32();
  const float* y = y_true.f32();
  int64_t correct = 0;
  for (int64_t r = 0; r < rows; ++r) correct += argmax(p + r * cols, cols) == argmax(y + r * cols, cols);
  total += static_cast<double>(correct);
  return static_cast<double>(rows);
}

double SparseCategoricalAccuracy::accumulate(const Tensor& y_pred, const Tensor& y_true,
                                             double& total) const {
  const int64_t cols = last_dim(y_pred), rows = y_pred.numel() / cols;
  const float* p = y_pred.f32();
  int64_t correct = 0;
  if (y_true.dtype() == DType::int64) {
    const int64_t* y = y_true.data<int64_t>();
    for (int64_t r = 0; r < rows; ++r) correct += argmax(p + r * cols, cols) == y[r];
  } else {
    const float* y = y_true.f32();
    for (int64_t r = 0; r < rows; ++r) correct += argmax(p + r * cols, cols) == static_cast<int64_t>(y[r]);
  }
  total += static_cast<double>(correct);
  return static_cast<double>(rows);
}

double BinaryAccuracy::accumulate(const Tensor& y_pred, const Tensor& y_true, double& total) const {
  const int64_t cols = last_dim(y_pred), n = y_pred.numel();
  const float* p = y_pred.f32();
  const float* y = y_true.f32();
  int64_t correct = 0;
  // Keras 3: equal(y_true, cast(y_pred > threshold)); a soft target such as 0.7 matches neither 0 nor 1.
  for (int64_t i = 0; i < n; ++i) correct += y[i] == (p[i] > threshold_ ? 1.0f : 0.0f);
  total += static_cast<double>(correct) / static_cast<double>(cols);
  return static_cast<double>(n / cols);
}

std::unique_ptr<Metric> get(const std::string& name, const std::string& loss_name, int64_t output_units) {
  if (name == "accuracy" || name == "acc") {
    if (loss_name == "binary_crossentropy" || output_units == 1)
      return std::make_unique<BinaryAccuracy>(name);
    if (loss_name == "sparse_categorical_crossentropy")
      return std::make_unique<SparseCategoricalAccuracy>(name);
    return std::make_unique<CategoricalAccuracy>(name);
  }
  if (name == "categorical_accuracy") return std::make_unique<CategoricalAccuracy>();
  if (name == "sparse_categorical_accuracy") return std::make_unique<SparseCategoricalAccuracy>();
  if (name == "binary_accuracy") return std::make_unique<BinaryAccuracy>();
  throw ValueError("metrics::get: unknown metric \"" + name +
                   "\"; known metrics are accuracy (acc), categorical_accuracy, sparse_categorical_accuracy, "
                   "binary_accuracy.");
}

}  // namespace soma::metrics
