#include "soma/optimizers/adagrad.hpp"

#include <fmt/format.h>

#include <cmath>

#include "optimizers/elementwise.hpp"
#include "optimizers/slots.hpp"
#include "soma/core/error.hpp"

namespace soma::optimizers {
namespace {
using detail::elementwise;

const AdagradOptions& validated(const AdagradOptions& o) {
  auto fail = [](const char* option, const char* expected, float value) {
    throw ValueError(fmt::format("Adagrad: expected {} {}, received {}.", option, expected, value));
  };
  if (const float lr = o.learning_rate.value();
      !o.learning_rate.is_schedule() && (!(lr >= 0.0f) || std::isinf(lr)))
    fail("learning_rate", "to be a finite number >= 0", lr);
  if (!(o.initial_accumulator_value >= 0.0f) || std::isinf(o.initial_accumulator_value))
    fail("initial_accumulator_value", "to be a finite number >= 0", o.initial_accumulator_value);
  if (!(o.epsilon >= 0.0f) || std::isinf(o.epsilon)) fail("epsilon", "to be a finite number >= 0", o.epsilon);
  return o;
}

}  // namespace

Adagrad::Adagrad(AdagradOptions options)
    : Optimizer(validated(options).learning_rate, 0.0f), options_(options) {
  set_clipping(options.clipnorm, options.clipvalue);
}

Adagrad::Adagrad(const Adagrad& other)
    : Optimizer(other), options_(other.options_), accumulators_(detail::deep_copy(other.accumulators_)) {}

Adagrad& Adagrad::operator=(const Adagrad& other) {
  if (this != &other) *this = Adagrad(other);
  return *this;
}

std::unique_ptr<Optimizer> Adagrad::clone() const {
  return std::make_unique<Adagrad>(*this);
}

AdagradOptions Adagrad::options() const {
  AdagradOptions o = options_;
  o.learning_rate = learning_rate_option();
  return o;
}

void Adagrad::add_slots(std::span<autograd::Variable* const> params) {
  detail::append_slots(accumulators_, params, options_.initial_accumulator_value);
}

void Adagrad::update(size_t index, autograd::Variable& param, float lr) {
  if (!param.grad.defined()) return;  // no gradient reached this parameter: Keras skips it too
  const int64_t n = detail::checked_size("Adagrad", param, index, accumulators_[index]);
  float* __restrict p = param.value.f32();
  const float* __restrict g = param.grad.f32();
  float* __restrict a = accumulators_[index].f32();
  const float eps = options_.epsilon;
  elementwise(n, [=](int64_t i) {
    const float ai = a[i] + g[i] * g[i];
    a[i] = ai;
    p[i] -= lr * g[i] / std::sqrt(ai + eps);
  });
}

}  // namespace soma::optimizers
