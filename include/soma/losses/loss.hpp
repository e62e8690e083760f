#pragma once
// Losses as Keras defines them, reduced to the mean over the batch (Keras' "sum_over_batch_size": with
// sample weights, each sample's loss is multiplied by its weight and the sum still divided by the batch
// size). A loss is the last node of the tape:
// it computes its value and its gradient together in forward, and backward hands the gradient on.
// Cross-entropies fuse with the activation that produced y_pred (softmax, sigmoid): they then work from
// the logits, which is both stabler and cheaper, and the activation's own backward is skipped.
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "soma/activations.hpp"
#include "soma/autograd/tape.hpp"
#include "soma/core/config.hpp"

namespace soma::losses {

struct LossOptions {
  // y_pred holds logits rather than probabilities (cross-entropies only).
  bool from_logits = false;
};

class Loss : public autograd::Node {
 public:
  virtual std::string name() const = 0;
  virtual std::unique_ptr<Loss> clone() const = 0;

  // The scalar mean loss of a batch, each sample's loss times its sample_weight when one is given (one
  // weight per sample: y_pred.dim(0) of them). Throws ShapeError if y_true or sample_weight does not fit
  // y_pred.
  autograd::Variable& forward(autograd::Tape* tape, autograd::Variable& y_pred, const Tensor& y_true,
                              std::span<const float> sample_weight = {});
  void backward(autograd::Tape& tape) override;
  // The value of the latest forward.
  float value() const { return value_; }
  // Keras get_config(): the constructor arguments, {"from_logits": ...}.
  Config get_config() const;
  // Throws ShapeError (or ValueError for a wrong dtype) if y_true cannot be the target of y_pred.
  virtual void check_targets(const Shape& pred, const Tensor& y_true) const;
  autograd::Variable out;

 protected:
  explicit Loss(LossOptions options = {}) : options_(options) {}
  // The activation this loss can fuse with, if any.
  virtual std::optional<activations::Kind> fuses_with() const { return std::nullopt; }
  // Mean loss over the rows of `input` (y_pred, or logits when `logits`), each sample's loss times
  // weights[sample] when `weights` is non-null (input.dim(0) of them); when `grad` is non-null it receives
  // d(mean loss)/d(input), shaped like input.
  virtual double evaluate(const Tensor& input, bool logits, const Tensor& y_true, const float* weights,
                          float* grad) const = 0;
  const LossOptions& options() const { return options_; }

 private:
  LossOptions options_;
  autograd::Variable* target_ = nullptr;  // y_pred, or the logits it was fused back to
  Tensor grad_;
  float value_ = 0.0f;
};

class MeanSquaredError final : public Loss {
 public:
  explicit MeanSquaredError(LossOptions o = {}) : Loss(o) {}
  std::string name() const override { return "mean_squared_error"; }
  std::unique_ptr<Loss> clone() const override { return std::make_unique<MeanSquaredError>(options()); }

 protected:
  double evaluate(const Tensor& input, bool logits, const Tensor& y_true, const float* weights,
                  float* grad) const override;
};

class MeanAbsoluteError final : public Loss {
 public:
  explicit MeanAbsoluteError(LossOptions o = {}) : Loss(o) {}
  std::string name() const override { return "mean_absolute_error"; }
  std::unique_ptr<Loss> clone() const override { return std::make_unique<MeanAbsoluteError>(options()); }

 protected:
  double evaluate(const Tensor& input, bool logits, const Tensor& y_true, const float* weights,
                  float* grad) const override;
};

class CategoricalCrossentropy final : public Loss {
 public:
  explicit CategoricalCrossentropy(LossOptions o = {}) : Loss(o) {}
  std::string name() const override { return "categorical_crossentropy"; }
  std::unique_ptr<Loss> clone() const override {
    return std::make_unique<CategoricalCrossentropy>(options());
  }

 protected:
  std::optional<activations::Kind> fuses_with() const override { return activations::Kind::softmax; }
  double evaluate(const Tensor& input, bool logits, const Tensor& y_true, const float* weights,
                  float* grad) const override;
};

class SparseCategoricalCrossentropy final : public Loss {
 public:
  explicit SparseCategoricalCrossentropy(LossOptions o = {}) : Loss(o) {}
  std::string name() const override { return "sparse_categorical_crossentropy"; }
  std::unique_ptr<Loss> clone() const override {
    return std::make_unique<SparseCategoricalCrossentropy>(options());
  }

 protected:
  std::optional<activations::Kind> fuses_with() const override { return activations::Kind::softmax; }

 public:
  void check_targets(const Shape& pred, const Tensor& y_true) const override;
  double evaluate(const Tensor& input, bool logits, const Tensor& y_true, const float* weights,
                  float* grad) const override;
};

class BinaryCrossentropy final : public Loss {
 public:
  explicit BinaryCrossentropy(LossOptions o = {}) : Loss(o) {}
  std::string name() const override { return "binary_crossentropy"; }
  std::unique_ptr<Loss> clone() const override { return std::make_unique<BinaryCrossentropy>(options()); }

 protected:
  std::optional<activations::Kind> fuses_with() const override { return activations::Kind::sigmoid; }
  double evaluate(const Tensor& input, bool logits, const Tensor& y_true, const float* weights,
                  float* grad) const override;
};

// By Keras name or alias ("mse", "mae", "categorical_crossentropy", ...); unknown names throw ValueError.
std::unique_ptr<Loss> get(const std::string& name, LossOptions options = {});
// {"class_name": "categorical_crossentropy", "config": {"from_logits": false}} and back; deserialize
// throws ValueError for an unknown loss or argument.
Config serialize(const Loss& loss);
std::unique_ptr<Loss> deserialize(const Config& spec);

}  // namespace soma::losses
