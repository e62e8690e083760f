#pragma once
// Learning-rate schedules as keras.optimizers.schedules (Keras 3): pass one as an optimizer's learning
// rate and the optimizer asks it for the rate before every step, with step = iterations():
//   optimizers::SGD({.learning_rate = schedules::ExponentialDecay({.initial_learning_rate = 0.1f,
//                                                                  .decay_steps = 1000, .decay_rate =
//                                                                  0.96f})})
// Schedules are immutable once built; their options() are what a config would hold.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace soma::optimizers::schedules {

class LearningRateSchedule {
 public:
  virtual ~LearningRateSchedule() = default;
  // The Keras class name ("ExponentialDecay", ...).
  virtual std::string name() const = 0;
  // The learning rate for the update that follows `step` earlier updates.
  virtual float operator()(int64_t step) const = 0;
};

// initial_learning_rate * decay_rate ^ (step / decay_steps), the exponent floored when staircase.
struct ExponentialDecayOptions {
  float initial_learning_rate = 0.0f;  // finite, >= 0
  int64_t decay_steps = 0;             // > 0 (Keras has no default; 0 is rejected)
  float decay_rate = 0.0f;             // finite, >= 0
  bool staircase = false;
};

class ExponentialDecay final : public LearningRateSchedule {
 public:
  // Throws ValueError for an option out of its range.
  explicit ExponentialDecay(ExponentialDecayOptions options);
  std::string name() const override { return "ExponentialDecay"; }
  float operator()(int64_t step) const override;
  const ExponentialDecayOptions& options() const { return options_; }

 private:
  ExponentialDecayOptions options_;
};

// initial_learning_rate / (1 + decay_rate * step / decay_steps), the ratio floored when staircase.
// With decay_steps = 1 it is Keras 2's time-based `decay` argument.
struct InverseTimeDecayOptions {
  float initial_learning_rate = 0.0f;  // finite, >= 0
  int64_t decay_steps = 0;             // > 0
  float decay_rate = 0.0f;             // finite, >= 0
  bool staircase = false;
};

class InverseTimeDecay final : public LearningRateSchedule {
 public:
  explicit InverseTimeDecay(InverseTimeDecayOptions options);
  std::string name() const override { return "InverseTimeDecay"; }
  float operator()(int64_t step) const override;
  const InverseTimeDecayOptions& options() const { return options_; }

 private:
  InverseTimeDecayOptions options_;
};

// Keras 3's CosineDecay: with a warmup_target, a linear warmup from initial_learning_rate to it over
// warmup_steps, then a cosine decay from it over decay_steps; without one, the decay starts from
// initial_learning_rate at step 0. The decay ends at alpha times its starting rate and stays there:
//   rate(s) = from * ((1 - alpha) * 0.5 * (1 + cos(pi * min(s, decay_steps) / decay_steps)) + alpha)
struct CosineDecayOptions {
  float initial_learning_rate = 0.0f;  // finite, >= 0
  int64_t decay_steps = 0;             // > 0
  float alpha = 0.0f;                  // finite, >= 0: the floor as a fraction of the starting rate
  std::optional<float> warmup_target = std::nullopt;  // finite, >= 0
  int64_t warmup_steps = 0;                           // >= 0
};

class CosineDecay final : public LearningRateSchedule {
 public:
  explicit CosineDecay(CosineDecayOptions options);
  std::string name() const override { return "CosineDecay"; }
  float operator()(int64_t step) const override;
  const CosineDecayOptions& options() const { return options_; }

 private:
  CosineDecayOptions options_;
};

// values[0] while step <= boundaries[0], values[i] while boundaries[i-1] < step <= boundaries[i], and
// values.back() after the last boundary.
struct PiecewiseConstantDecayOptions {
  std::vector<int64_t> boundaries;  // strictly increasing
  std::vector<float> values;        // boundaries.size() + 1 finite rates
};

class PiecewiseConstantDecay final : public LearningRateSchedule {
 public:
  explicit PiecewiseConstantDecay(PiecewiseConstantDecayOptions options);
  std::string name() const override { return "PiecewiseConstantDecay"; }
  float operator()(int64_t step) const override;
  const PiecewiseConstantDecayOptions& options() const { return options_; }

 private:
  PiecewiseConstantDecayOptions options_;
};

}  // namespace soma::optimizers::schedules
