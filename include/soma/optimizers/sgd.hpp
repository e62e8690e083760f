#pragma once
// Stochastic gradient descent with optional (Nesterov) momentum, as tf.keras.optimizers.SGD (Keras 2):
//   v = momentum * v - lr_t * g;   p += momentum * v - lr_t * g  (nesterov)  or  p += v
//   momentum == 0: p -= lr_t * g      where lr_t = learning_rate / (1 + decay * iterations)
// Formulas, defaults and the differences from PyTorch: docs/optimizers.md.
#include <vector>

#include "soma/core/tensor.hpp"
#include "soma/optimizers/optimizer.hpp"

namespace soma::optimizers {

// The keyword arguments of SGD: soma::optimizers::SGD({.learning_rate = 0.01f, .momentum = 0.9f}).
struct SGDOptions {
  LearningRate learning_rate = 0.01f;  // a float or a schedule
  float momentum = 0.0f;               // in [0, 1]
  bool nesterov = false;
  float decay = 0.0f;  // time-based learning-rate decay, >= 0
  // Gradient clipping as Keras' optimizer arguments (0: off): each gradient tensor rescaled to an L2
  // norm of at most clipnorm, and/or each element clamped to [-clipvalue, clipvalue].
  float clipnorm = 0.0f;
  float clipvalue = 0.0f;
};

class SGD final : public Optimizer {
 public:
  // Throws ValueError for a negative learning rate or decay, or a momentum outside [0, 1].
  explicit SGD(SGDOptions options = {});
  // Copies are independent: the velocities are copied, not shared.
  SGD(const SGD& other);
  SGD& operator=(const SGD& other);
  SGD(SGD&&) noexcept = default;
  SGD& operator=(SGD&&) noexcept = default;
  ~SGD() override = default;

  std::unique_ptr<Optimizer> clone() const override;
  Config get_config() const override;
  std::string name() const override { return "SGD"; }
  // The options it was built with; learning_rate is the current base rate (see set_learning_rate) or the
  // schedule.
  SGDOptions options() const;

 protected:
  void add_slots(std::span<autograd::Variable* const> params) override;
  void update(size_t index, autograd::Variable& param, float lr) override;
  std::vector<Slot> slots() override;

 private:
  SGDOptions options_;
  std::vector<Tensor> velocity_;  // one per parameter; empty when momentum == 0
};

}  // namespace soma::optimizers
