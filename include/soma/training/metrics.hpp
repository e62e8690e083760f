#pragma once
// Metrics accumulate over an epoch (weighted by samples) and report the running value, as Keras' do.
#include <memory>
#include <string>

#include "soma/core/tensor.hpp"

namespace soma::metrics {

class Metric {
 public:
  virtual ~Metric() = default;
  // The name shown in logs and History: what the user asked for ("accuracy", "acc", ...).
  const std::string& name() const { return name_; }
  void reset() {
    total_ = 0.0;
    count_ = 0.0;
  }
  void update(const Tensor& y_pred, const Tensor& y_true);
  double result() const { return count_ > 0 ? total_ / count_ : 0.0; }

 protected:
  explicit Metric(std::string name) : name_(std::move(name)) {}
  // Adds this batch's sum of per-sample values to `total` and returns the number of samples.
  virtual double accumulate(const Tensor& y_pred, const Tensor& y_true, double& total) const = 0;

 private:
  std::string name_;
  double total_ = 0.0;
  double count_ = 0.0;
};

// argmax(y_pred) == argmax(y_true), for one-hot targets.
class CategoricalAccuracy final : public Metric {
 public:
  explicit CategoricalAccuracy(std::string name = "categorical_accuracy") : Metric(std::move(name)) {}

 protected:
  double accumulate(const Tensor& y_pred, const Tensor& y_true, double& total) const override;
};

// argmax(y_pred) == label, for integer targets.
class SparseCategoricalAccuracy final : public Metric {
 public:
  explicit SparseCategoricalAccuracy(std::string name = "sparse_categorical_accuracy")
      : Metric(std::move(name)) {}

 protected:
  double accumulate(const Tensor& y_pred, const Tensor& y_true, double& total) const override;
};

// (y_pred > threshold) == y_true, averaged over the last axis.
class BinaryAccuracy final : public Metric {
 public:
  explicit BinaryAccuracy(std::string name = "binary_accuracy", float threshold = 0.5f)
      : Metric(std::move(name)), threshold_(threshold) {}

 protected:
  double accumulate(const Tensor& y_pred, const Tensor& y_true, double& total) const override;

 private:
  float threshold_;
};

// By name, resolving "accuracy"/"acc" from the loss and the model's output as Keras does: binary for
// binary_crossentropy or a single output unit, sparse for sparse_categorical_crossentropy, else
// categorical. Unknown names throw ValueError.
std::unique_ptr<Metric> get(const std::string& name, const std::string& loss_name, int64_t output_units);

}  // namespace soma::metrics
