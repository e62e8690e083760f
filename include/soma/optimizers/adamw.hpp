#pragma once
// AdamW as keras.optimizers.AdamW (Keras 3): Adam with decoupled weight decay. Each step first shrinks
// the parameter by the learning rate times weight_decay, then takes Adam's step (t = iterations + 1):
//   p -= lr * weight_decay * p
//   m = beta_1 * m + (1 - beta_1) * g;   v = beta_2 * v + (1 - beta_2) * g^2
//   amsgrad: vhat = max(vhat, v), used in place of v below
//   p -= lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) * m / (sqrt(v) + epsilon)
// Like Adam, epsilon is added before the bias correction of v (PyTorch adds it after; docs/optimizers.md).
#include <vector>

#include "soma/core/tensor.hpp"
#include "soma/optimizers/optimizer.hpp"

namespace soma::optimizers {

// The keyword arguments of AdamW: soma::optimizers::AdamW({.learning_rate = 1e-3f, .weight_decay = 0.01f}).
// Keras 3 has no time-based `decay`; a schedule does that (schedules::InverseTimeDecay).
struct AdamWOptions {
  LearningRate learning_rate = 0.001f;  // a float or a schedule
  float weight_decay = 0.004f;          // >= 0
  float beta_1 = 0.9f;                  // in [0, 1)
  float beta_2 = 0.999f;                // in [0, 1)
  float epsilon = 1e-7f;                // >= 0
  bool amsgrad = false;
  // Gradient clipping as Keras' optimizer arguments (0: off): each gradient tensor rescaled to an L2
  // norm of at most clipnorm, and/or each element clamped to [-clipvalue, clipvalue].
  float clipnorm = 0.0f;
  float clipvalue = 0.0f;
};

class AdamW final : public Optimizer {
 public:
  // Throws ValueError for an option out of its range (see AdamWOptions).
  explicit AdamW(AdamWOptions options = {});
  // Copies are independent: the moments are copied, not shared.
  AdamW(const AdamW& other);
  AdamW& operator=(const AdamW& other);
  AdamW(AdamW&&) noexcept = default;
  AdamW& operator=(AdamW&&) noexcept = default;
  ~AdamW() override = default;

  std::unique_ptr<Optimizer> clone() const override;
  Config get_config() const override;
  std::string name() const override { return "AdamW"; }
  // The options it was built with; learning_rate is the current base rate (see set_learning_rate) or the
  // schedule.
  AdamWOptions options() const;

 protected:
  void add_slots(std::span<autograd::Variable* const> params) override;
  void update(size_t index, autograd::Variable& param, float lr) override;
  std::vector<Slot> slots() override;

 private:
  AdamWOptions options_;
  std::vector<Tensor> m_;     // first moment
  std::vector<Tensor> v_;     // second moment
  std::vector<Tensor> vhat_;  // running maximum of v; only with amsgrad
};

}  // namespace soma::optimizers
