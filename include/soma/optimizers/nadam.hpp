#pragma once
// Nadam as keras.optimizers.Nadam (Keras 3): Adam with Nesterov momentum and Dozat's momentum schedule
// u_t = beta_1 * (1 - 0.5 * 0.96^(0.004 t)). With t = iterations + 1 and U_t = u_1 * ... * u_t:
//   m = beta_1 * m + (1 - beta_1) * g;   v = beta_2 * v + (1 - beta_2) * g^2
//   m_hat = u_{t+1} * m / (1 - U_{t+1}) + (1 - u_t) * g / (1 - U_t);   v_hat = v / (1 - beta_2^t)
//   p -= lr * m_hat / (sqrt(v_hat) + epsilon)
// Unlike Adam, epsilon comes after the bias correction; this is PyTorch's NAdam exactly.
#include <vector>

#include "soma/core/tensor.hpp"
#include "soma/optimizers/optimizer.hpp"

namespace soma::optimizers {

// The keyword arguments of Nadam: soma::optimizers::Nadam({.learning_rate = 2e-3f}).
// Keras 3 has no time-based `decay`; a schedule does that (schedules::InverseTimeDecay).
struct NadamOptions {
  LearningRate learning_rate = 0.001f;  // a float or a schedule
  float beta_1 = 0.9f;                  // in [0, 1)
  float beta_2 = 0.999f;                // in [0, 1)
  float epsilon = 1e-7f;                // >= 0
  // Gradient clipping as Keras' optimizer arguments (0: off): each gradient tensor rescaled to an L2
  // norm of at most clipnorm, and/or each element clamped to [-clipvalue, clipvalue].
  float clipnorm = 0.0f;
  float clipvalue = 0.0f;
};

class Nadam final : public Optimizer {
 public:
  // Throws ValueError for an option out of its range (see NadamOptions).
  explicit Nadam(NadamOptions options = {});
  // Copies are independent: the moments are copied, not shared.
  Nadam(const Nadam& other);
  Nadam& operator=(const Nadam& other);
  Nadam(Nadam&&) noexcept = default;
  Nadam& operator=(Nadam&&) noexcept = default;
  ~Nadam() override = default;

  std::unique_ptr<Optimizer> clone() const override;
  Config get_config() const override;
  std::string name() const override { return "Nadam"; }
  // The options it was built with; learning_rate is the current base rate (see set_learning_rate) or the
  // schedule.
  NadamOptions options() const;

 protected:
  void add_slots(std::span<autograd::Variable* const> params) override;
  void update(size_t index, autograd::Variable& param, float lr) override;
  std::vector<Slot> slots() override;

 private:
  // U_t, the product of the momentum schedule through step t. Keras keeps it as a variable; here it is a
  // cache that depends on iterations() alone, so the per-parameter moments are the whole state.
  double u_product(int64_t t);

  NadamOptions options_;
  std::vector<Tensor> m_;  // first moment
  std::vector<Tensor> v_;  // second moment
  double u_product_ = 1.0;
  int64_t u_product_step_ = 0;
};

}  // namespace soma::optimizers
