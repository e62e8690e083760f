#include "soma/optimizers/optimizer.hpp"

#include "kernels/denormals.hpp"
#include "soma/core/error.hpp"

namespace soma::optimizers {

float Optimizer::current_learning_rate() const {
  return learning_rate_ / (1.0f + decay_ * static_cast<float>(iterations_));
}

void Optimizer::apply(std::span<autograd::Variable* const> params) {
  kernels::flush_denormals();
  if (!built_) {
    build(params);
    built_ = true;
  }
  const float lr = current_learning_rate();
  for (size_t i = 0; i < params.size(); ++i) update(i, *params[i], lr);
  ++iterations_;
}

}  // namespace soma::optimizers
