#include "soma/optimizers/schedules.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "soma/core/error.hpp"
#include "soma/optimizers/learning_rate.hpp"

namespace soma::optimizers {

void LearningRate::require_schedule() const {
  if (!schedule_) throw ValueError("LearningRate: received a null schedule; pass a float or a schedule.");
}

namespace schedules {
namespace {

void check_rate(const char* who, const char* option, float value) {
  if (!(value >= 0.0f) || std::isinf(value))
    throw ValueError(
        fmt::format("{}: expected {} to be a finite number >= 0, received {}.", who, option, value));
}

void check_decay_steps(const char* who, int64_t decay_steps) {
  if (decay_steps <= 0)
    throw ValueError(fmt::format("{}: expected decay_steps > 0, received {}.", who, decay_steps));
}

// The step counted in decay periods; floored for a staircase.
double periods(int64_t step, int64_t decay_steps, bool staircase) {
  const double p = static_cast<double>(step) / static_cast<double>(decay_steps);
  return staircase ? std::floor(p) : p;
}

}  // namespace

ExponentialDecay::ExponentialDecay(ExponentialDecayOptions options) : options_(options) {
  check_rate("ExponentialDecay", "initial_learning_rate", options_.initial_learning_rate);
  check_decay_steps("ExponentialDecay", options_.decay_steps);
  check_rate("ExponentialDecay", "decay_rate", options_.decay_rate);
}

float ExponentialDecay::operator()(int64_t step) const {
  const double p = periods(step, options_.decay_steps, options_.staircase);
  return static_cast<float>(options_.initial_learning_rate * std::pow(double{options_.decay_rate}, p));
}

InverseTimeDecay::InverseTimeDecay(InverseTimeDecayOptions options) : options_(options) {
  check_rate("InverseTimeDecay", "initial_learning_rate", options_.initial_learning_rate);
  check_decay_steps("InverseTimeDecay", options_.decay_steps);
  check_rate("InverseTimeDecay", "decay_rate", options_.decay_rate);
}

float InverseTimeDecay::operator()(int64_t step) const {
  const double p = periods(step, options_.decay_steps, options_.staircase);
  return static_cast<float>(options_.initial_learning_rate / (1.0 + options_.decay_rate * p));
}

CosineDecay::CosineDecay(CosineDecayOptions options) : options_(options) {
  check_rate("CosineDecay", "initial_learning_rate", options_.initial_learning_rate);
  check_decay_steps("CosineDecay", options_.decay_steps);
  check_rate("CosineDecay", "alpha", options_.alpha);
  if (options_.warmup_target) check_rate("CosineDecay", "warmup_target", *options_.warmup_target);
  if (options_.warmup_steps < 0)
    throw ValueError(
        fmt::format("CosineDecay: expected warmup_steps >= 0, received {}.", options_.warmup_steps));
}

float CosineDecay::operator()(int64_t step) const {
  const CosineDecayOptions& o = options_;
  const auto decay = [&](int64_t s, double from) {
    const double fraction =
        static_cast<double>(std::min(s, o.decay_steps)) / static_cast<double>(o.decay_steps);
    const double cosine = 0.5 * (1.0 + std::cos(std::numbers::pi * fraction));
    return from * ((1.0 - o.alpha) * cosine + o.alpha);
  };
  if (!o.warmup_target) return static_cast<float>(decay(step, o.initial_learning_rate));
  if (step < o.warmup_steps) {
    const double fraction = static_cast<double>(step) / static_cast<double>(o.warmup_steps);
    return static_cast<float>(o.initial_learning_rate +
                              (double{*o.warmup_target} - o.initial_learning_rate) * fraction);
  }
  return static_cast<float>(decay(step - o.warmup_steps, *o.warmup_target));
}

PiecewiseConstantDecay::PiecewiseConstantDecay(PiecewiseConstantDecayOptions options)
    : options_(std::move(options)) {
  const auto& b = options_.boundaries;
  const auto& v = options_.values;
  if (v.size() != b.size() + 1) {
    throw ValueError(fmt::format(
        "PiecewiseConstantDecay: the length of boundaries should be 1 less than the length of values. "
        "Received: boundaries [{}] of length {}, and values [{}] of length {}.",
        fmt::join(b, ", "), b.size(), fmt::join(v, ", "), v.size()));
  }
  if (std::adjacent_find(b.begin(), b.end(), [](int64_t x, int64_t y) { return x >= y; }) != b.end()) {
    throw ValueError(
        fmt::format("PiecewiseConstantDecay: boundaries must be strictly increasing, received [{}].",
                    fmt::join(b, ", ")));
  }
  for (const float x : v) check_rate("PiecewiseConstantDecay", "every value", x);
}

float PiecewiseConstantDecay::operator()(int64_t step) const {
  // The first boundary >= step closes the interval step falls in.
  const auto& b = options_.boundaries;
  return options_.values[static_cast<size_t>(std::lower_bound(b.begin(), b.end(), step) - b.begin())];
}

}  // namespace schedules
}  // namespace soma::optimizers
