#pragma once
// An optimizer's learning_rate argument: a constant or a schedule, as Keras' `learning_rate=` accepts
// either. Implicit both ways, so SGD({.learning_rate = 0.01f}) and
// SGD({.learning_rate = schedules::CosineDecay({...})}) read like the Python call.
#include <concepts>
#include <memory>

#include "soma/optimizers/schedules.hpp"

namespace soma::optimizers {

class LearningRate {
 public:
  LearningRate(float value) : value_(value) {}
  template <class S>
  requires std::derived_from<S, schedules::LearningRateSchedule> LearningRate(S schedule)
      : schedule_(std::make_shared<const S>(std::move(schedule))) {}
  // Shares the schedule. Throws ValueError for a null pointer.
  template <class S>
  requires std::derived_from<S, schedules::LearningRateSchedule> LearningRate(std::shared_ptr<S> schedule)
      : schedule_(std::move(schedule)) {
    require_schedule();
  }

  bool is_schedule() const { return schedule_ != nullptr; }
  // The constant rate; for a schedule, its rate at step 0.
  float value() const { return schedule_ ? (*schedule_)(0) : value_; }
  // Null for a constant rate.
  const std::shared_ptr<const schedules::LearningRateSchedule>& schedule() const { return schedule_; }

 private:
  void require_schedule() const;
  float value_ = 0.0f;
  std::shared_ptr<const schedules::LearningRateSchedule> schedule_;
};

}  // namespace soma::optimizers
