#pragma once
// RMSprop as keras.optimizers.RMSprop (Keras 3), with lr_t = lr / (1 + decay * iterations):
//   a = rho * a + (1 - rho) * g^2
//   centered: mg = rho * mg + (1 - rho) * g, d = a - mg^2;   otherwise d = a
//   inc = lr_t * g / sqrt(d + epsilon)
//   momentum == 0: p -= inc;   momentum > 0: mom = momentum * mom + inc; p -= mom
// epsilon is inside the square root, as Keras 3 writes it; tf.keras 2 (optimizer_v2) put it outside,
// sqrt(d) + epsilon, when momentum is 0 (see docs/optimizers.md).
#include <vector>

#include "soma/core/tensor.hpp"
#include "soma/optimizers/optimizer.hpp"

namespace soma::optimizers {

// The keyword arguments of RMSprop: soma::optimizers::RMSprop({.learning_rate = 1e-4f, .centered = true}).
struct RMSpropOptions {
  LearningRate learning_rate = 0.001f;  // a float or a schedule
  float rho = 0.9f;                     // in [0, 1)
  float momentum = 0.0f;                // in [0, 1]
  float epsilon = 1e-7f;                // >= 0
  bool centered = false;
  float decay = 0.0f;  // time-based learning-rate decay, >= 0
  // Gradient clipping as Keras' optimizer arguments (0: off): each gradient tensor rescaled to an L2
  // norm of at most clipnorm, and/or each element clamped to [-clipvalue, clipvalue].
  float clipnorm = 0.0f;
  float clipvalue = 0.0f;
};

class RMSprop final : public Optimizer {
 public:
  // Throws ValueError for an option out of its range (see RMSpropOptions).
  explicit RMSprop(RMSpropOptions options = {});
  // Copies are independent: the moving averages are copied, not shared.
  RMSprop(const RMSprop& other);
  RMSprop& operator=(const RMSprop& other);
  RMSprop(RMSprop&&) noexcept = default;
  RMSprop& operator=(RMSprop&&) noexcept = default;
  ~RMSprop() override = default;

  std::unique_ptr<Optimizer> clone() const override;
  Config get_config() const override;
  std::string name() const override { return "RMSprop"; }
  // The options it was built with; learning_rate is the current base rate (see set_learning_rate) or the
  // schedule.
  RMSpropOptions options() const;

 protected:
  void add_slots(std::span<autograd::Variable* const> params) override;
  void update(size_t index, autograd::Variable& param, float lr) override;
  std::vector<Slot> slots() override;

 private:
  RMSpropOptions options_;
  std::vector<Tensor> rms_;       // moving average of g^2
  std::vector<Tensor> mg_;        // moving average of g; only when centered
  std::vector<Tensor> momentum_;  // only when momentum > 0
};

}  // namespace soma::optimizers
