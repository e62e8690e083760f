#pragma once
// Adam as tf.keras.optimizers.Adam (Keras 2, optimizer_v2), with t = iterations + 1 and
// lr_t = lr / (1 + decay * iterations):
//   m = beta_1 * m + (1 - beta_1) * g;   v = beta_2 * v + (1 - beta_2) * g^2
//   amsgrad: vhat = max(vhat, v), used in place of v below
//   p -= lr_t * sqrt(1 - beta_2^t) / (1 - beta_1^t) * m / (sqrt(v) + epsilon)
// epsilon is Keras' "epsilon hat", added after the bias correction (PyTorch adds it before; see
// docs/optimizers.md).
#include <vector>

#include "soma/core/tensor.hpp"
#include "soma/optimizers/optimizer.hpp"

namespace soma::optimizers {

// The keyword arguments of Adam: soma::optimizers::Adam({.learning_rate = 1e-4f, .amsgrad = true}).
struct AdamOptions {
  LearningRate learning_rate = 0.001f;  // a float or a schedule
  float beta_1 = 0.9f;                  // in [0, 1)
  float beta_2 = 0.999f;                // in [0, 1)
  float epsilon = 1e-7f;                // >= 0
  bool amsgrad = false;
  float decay = 0.0f;  // time-based learning-rate decay, >= 0
  // Gradient clipping as Keras' optimizer arguments (0: off): each gradient tensor rescaled to an L2
  // norm of at most clipnorm, and/or each element clamped to [-clipvalue, clipvalue].
  float clipnorm = 0.0f;
  float clipvalue = 0.0f;
};

class Adam final : public Optimizer {
 public:
  // Throws ValueError for an option out of its range (see AdamOptions).
  explicit Adam(AdamOptions options = {});
  // Copies are independent: the moments are copied, not shared.
  Adam(const Adam& other);
  Adam& operator=(const Adam& other);
  Adam(Adam&&) noexcept = default;
  Adam& operator=(Adam&&) noexcept = default;
  ~Adam() override = default;

  std::unique_ptr<Optimizer> clone() const override;
  Config get_config() const override;
  std::string name() const override { return "Adam"; }
  // The options it was built with; learning_rate is the current base rate (see set_learning_rate) or the
  // schedule.
  AdamOptions options() const;

 protected:
  void add_slots(std::span<autograd::Variable* const> params) override;
  void update(size_t index, autograd::Variable& param, float lr) override;
  std::vector<Slot> slots() override;

 private:
  AdamOptions options_;
  std::vector<Tensor> m_;     // first moment
  std::vector<Tensor> v_;     // second moment
  std::vector<Tensor> vhat_;  // running maximum of v; only with amsgrad
};

}  // namespace soma::optimizers
