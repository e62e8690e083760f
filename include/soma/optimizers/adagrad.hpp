#pragma once
// Adagrad as keras.optimizers.Adagrad (Keras 3); the accumulator starts at initial_accumulator_value:
//   a += g^2;   p -= lr * g / sqrt(a + epsilon)
// Keras 3 puts epsilon inside the square root; tf.keras 2 and PyTorch add it outside (docs/optimizers.md).
#include <vector>

#include "soma/core/tensor.hpp"
#include "soma/optimizers/optimizer.hpp"

namespace soma::optimizers {

// The keyword arguments of Adagrad: soma::optimizers::Adagrad({.learning_rate = 0.01f}).
// Keras 3 has no time-based `decay`; a schedule does that (schedules::InverseTimeDecay).
struct AdagradOptions {
  LearningRate learning_rate = 0.001f;     // a float or a schedule
  float initial_accumulator_value = 0.1f;  // >= 0
  float epsilon = 1e-7f;                   // >= 0
  // Gradient clipping as Keras' optimizer arguments (0: off): each gradient tensor rescaled to an L2
  // norm of at most clipnorm, and/or each element clamped to [-clipvalue, clipvalue].
  float clipnorm = 0.0f;
  float clipvalue = 0.0f;
};

class Adagrad final : public Optimizer {
 public:
  // Throws ValueError for an option out of its range (see AdagradOptions).
  explicit Adagrad(AdagradOptions options = {});
  // Copies are independent: the accumulators are copied, not shared.
  Adagrad(const Adagrad& other);
  Adagrad& operator=(const Adagrad& other);
  Adagrad(Adagrad&&) noexcept = default;
  Adagrad& operator=(Adagrad&&) noexcept = default;
  ~Adagrad() override = default;

  std::unique_ptr<Optimizer> clone() const override;
  Config get_config() const override;
  std::string name() const override { return "Adagrad"; }
  // The options it was built with; learning_rate is the current base rate (see set_learning_rate) or the
  // schedule.
  AdagradOptions options() const;

 protected:
  void add_slots(std::span<autograd::Variable* const> params) override;
  void update(size_t index, autograd::Variable& param, float lr) override;
  std::vector<Slot> slots() override;

 private:
  AdagradOptions options_;
  std::vector<Tensor> accumulators_;  // running sum of g^2, from initial_accumulator_value
};

}  // namespace soma::optimizers
