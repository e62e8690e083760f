#include "soma/optimizers/rmsprop.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "optimizers/elementwise.hpp"
#include "optimizers/slots.hpp"
#include "soma/core/error.hpp"

namespace soma::optimizers {
namespace {
using detail::elementwise;

const RMSpropOptions& validated(const RMSpropOptions& o) {
  auto fail = [](const char* option, const char* expected, float value) {
    throw ValueError(fmt::format("RMSprop: expected {} {}, received {}.", option, expected, value));
  };
  if (const float lr = o.learning_rate.value();
      !o.learning_rate.is_schedule() && (!(lr >= 0.0f) || std::isinf(lr)))
    fail("learning_rate", "to be a finite number >= 0", lr);
  if (!(o.rho >= 0.0f && o.rho < 1.0f)) fail("rho", "in [0, 1)", o.rho);
  if (!(o.momentum >= 0.0f && o.momentum <= 1.0f)) fail("momentum", "in [0, 1]", o.momentum);
  if (!(o.epsilon >= 0.0f) || std::isinf(o.epsilon)) fail("epsilon", "to be a finite number >= 0", o.epsilon);
  if (!(o.decay >= 0.0f) || std::isinf(o.decay)) fail("decay", "to be a finite number >= 0", o.decay);
  return o;
}

}  // namespace

RMSprop::RMSprop(RMSpropOptions options)
    : Optimizer(validated(options).learning_rate, options.decay), options_(options) {
  set_clipping(options.clipnorm, options.clipvalue);
}

RMSprop::RMSprop(const RMSprop& other)
    : Optimizer(other),
      options_(other.options_),
      rms_(detail::deep_copy(other.rms_)),
      mg_(detail::deep_copy(other.mg_)),
      momentum_(detail::deep_copy(other.momentum_)) {}

RMSprop& RMSprop::operator=(const RMSprop& other) {
  if (this != &other) *this = RMSprop(other);
  return *this;
}

std::unique_ptr<Optimizer> RMSprop::clone() const {
  return std::make_unique<RMSprop>(*this);
}

RMSpropOptions RMSprop::options() const {
  RMSpropOptions o = options_;
  o.learning_rate = learning_rate_option();
  return o;
}

void RMSprop::add_slots(std::span<autograd::Variable* const> params) {
  for (const autograd::Variable* p : params) {
    rms_.emplace_back(p->value.shape());
    if (options_.centered) mg_.emplace_back(p->value.shape());
    if (options_.momentum > 0.0f) momentum_.emplace_back(p->value.shape());
  }
}

void RMSprop::update(size_t index, autograd::Variable& param, float lr) {
  if (!param.grad.defined()) return;  // no gradient reached this parameter: Keras skips it too
  const int64_t n = detail::checked_size("RMSprop", param, index, rms_[index]);
  float* __restrict p = param.value.f32();
  const float* __restrict g = param.grad.f32();
  float* __restrict a = rms_[index].f32();
  float* __restrict mg = options_.centered ? mg_[index].f32() : nullptr;
  const float rho = options_.rho, one_minus_rho = 1.0f - options_.rho, eps = options_.epsilon;

  // Keras 3: inc = lr * g / sqrt(d + eps), with d = a or the centered a - mg^2 (a >= mg^2 in exact
  // arithmetic; the max only keeps a rounding error from making a NaN).
  if (options_.momentum == 0.0f) {
    if (mg == nullptr) {
      elementwise(n, [=](int64_t i) {
        const float ai = rho * a[i] + one_minus_rho * g[i] * g[i];
        a[i] = ai;
        p[i] -= lr * g[i] / std::sqrt(ai + eps);
      });
    } else {
      elementwise(n, [=](int64_t i) {
        const float ai = rho * a[i] + one_minus_rho * g[i] * g[i];
        const float mi = rho * mg[i] + one_minus_rho * g[i];
        a[i] = ai;
        mg[i] = mi;
        p[i] -= lr * g[i] / std::sqrt(std::max(ai - mi * mi, 0.0f) + eps);
      });
    }
    return;
  }

  float* __restrict mom = momentum_[index].f32();
  const float momentum = options_.momentum;
  if (mg == nullptr) {
    elementwise(n, [=](int64_t i) {
      const float ai = rho * a[i] + one_minus_rho * g[i] * g[i];
      a[i] = ai;
      const float step = momentum * mom[i] + lr * g[i] / std::sqrt(ai + eps);
      mom[i] = step;
      p[i] -= step;
    });
  } else {
    elementwise(n, [=](int64_t i) {
      const float ai = rho * a[i] + one_minus_rho * g[i] * g[i];
      const float mi = rho * mg[i] + one_minus_rho * g[i];
      a[i] = ai;
      mg[i] = mi;
      const float step = momentum * mom[i] + lr * g[i] / std::sqrt(std::max(ai - mi * mi, 0.0f) + eps);
      mom[i] = step;
      p[i] -= step;
    });
  }
}

}  // namespace soma::optimizers
