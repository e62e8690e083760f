#include "soma/optimizers/optimizer.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "kernels/denormals.hpp"
#include "soma/core/error.hpp"

namespace soma::optimizers {

float Optimizer::learning_rate() const {
  return schedule_ ? (*schedule_)(iterations_) : learning_rate_;
}

void Optimizer::set_learning_rate(float lr) {
  if (schedule_) {
    throw StateError(name() + ": the learning rate is a " + schedule_->name() +
                     " schedule, so it cannot be set. Hint: build the optimizer with a float learning_rate "
                     "to let callbacks such as ReduceLROnPlateau change it.");
  }
  if (!(lr >= 0.0f) || std::isinf(lr))
    throw ValueError(name() + ": a learning rate must be a finite number >= 0, received " +
                     std::to_string(lr) + ".");
  learning_rate_ = lr;
}

LearningRate Optimizer::learning_rate_option() const {
  if (schedule_) return LearningRate(schedule_);
  return learning_rate_;
}

float Optimizer::current_learning_rate() const {
  return learning_rate() / (1.0f + decay_ * static_cast<float>(iterations_));
}

void Optimizer::set_clipping(float clipnorm, float clipvalue) {
  for (const float v : {clipnorm, clipvalue}) {
    if (!(v >= 0.0f) || std::isinf(v)) {
      throw ValueError(name() +
                       ": clipnorm and clipvalue must be finite and >= 0 (0 turns clipping off), received " +
                       std::to_string(v) + ".");
    }
  }
  clipnorm_ = clipnorm;
  clipvalue_ = clipvalue;
}

namespace {
// Keras' clipnorm: the whole tensor rescaled when its L2 norm exceeds the limit; clipvalue: each element.
void clip(Tensor& g, float clipnorm, float clipvalue) {
  float* p = g.f32();
  const int64_t n = g.numel();
  if (clipnorm > 0.0f) {
    double sq = 0.0;
    for (int64_t i = 0; i < n; ++i) sq += static_cast<double>(p[i]) * p[i];
    const double norm = std::sqrt(sq);
    if (norm > clipnorm) {
      const auto scale = static_cast<float>(clipnorm / norm);
      for (int64_t i = 0; i < n; ++i) p[i] *= scale;
    }
  }
  if (clipvalue > 0.0f) {
    for (int64_t i = 0; i < n; ++i) p[i] = std::clamp(p[i], -clipvalue, clipvalue);
  }
}
}  // namespace

void Optimizer::apply(std::span<autograd::Variable* const> params) {
  const kernels::DenormalsOff denormals;
  new_params_.clear();
  for (auto* p : params) {
    if (slot_index_.contains(p)) continue;
    slot_index_.emplace(p, slot_owner_.size());
    slot_owner_.push_back(p);
    new_params_.push_back(p);
  }
  if (!new_params_.empty()) add_slots(new_params_);
  built_ = true;
  if (clipnorm_ > 0.0f || clipvalue_ > 0.0f) {
    for (auto* p : params)
      if (p->grad.defined()) clip(p->grad, clipnorm_, clipvalue_);
  }
  const float lr = current_learning_rate();
  for (auto* p : params) update(slot_index_.find(p)->second, *p, lr);
  ++iterations_;
}

void Optimizer::forget_slots() {
  for (const Slot& slot : slots()) slot.tensors->clear();
  slot_index_.clear();
  slot_owner_.clear();
  built_ = false;
}

}  // namespace soma::optimizers
