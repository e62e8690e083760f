#include "soma/optimizers/adamw.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "optimizers/elementwise.hpp"
#include "optimizers/slots.hpp"
#include "soma/core/error.hpp"

namespace soma::optimizers {
namespace {
using detail::elementwise;

const AdamWOptions& validated(const AdamWOptions& o) {
  auto fail = [](const char* option, const char* expected, float value) {
    throw ValueError(fmt::format("AdamW: expected {} {}, received {}.", option, expected, value));
  };
  if (const float lr = o.learning_rate.value();
      !o.learning_rate.is_schedule() && (!(lr >= 0.0f) || std::isinf(lr)))
    fail("learning_rate", "to be a finite number >= 0", lr);
  if (!(o.weight_decay >= 0.0f) || std::isinf(o.weight_decay))
    fail("weight_decay", "to be a finite number >= 0", o.weight_decay);
  if (!(o.beta_1 >= 0.0f && o.beta_1 < 1.0f)) fail("beta_1", "in [0, 1)", o.beta_1);
  if (!(o.beta_2 >= 0.0f && o.beta_2 < 1.0f)) fail("beta_2", "in [0, 1)", o.beta_2);
  if (!(o.epsilon >= 0.0f) || std::isinf(o.epsilon)) fail("epsilon", "to be a finite number >= 0", o.epsilon);
  return o;
}

}  // namespace

AdamW::AdamW(AdamWOptions options) : Optimizer(validated(options).learning_rate, 0.0f), options_(options) {
  set_clipping(options.clipnorm, options.clipvalue);
}

AdamW::AdamW(const AdamW& other)
    : Optimizer(other),
      options_(other.options_),
      m_(detail::deep_copy(other.m_)),
      v_(detail::deep_copy(other.v_)),
      vhat_(detail::deep_copy(other.vhat_)) {}

AdamW& AdamW::operator=(const AdamW& other) {
  if (this != &other) *this = AdamW(other);
  return *this;
}

std::unique_ptr<Optimizer> AdamW::clone() const {
  return std::make_unique<AdamW>(*this);
}

AdamWOptions AdamW::options() const {
  AdamWOptions o = options_;
  o.learning_rate = learning_rate_option();
  return o;
}

void AdamW::add_slots(std::span<autograd::Variable* const> params) {
  detail::append_slots(m_, params);
  detail::append_slots(v_, params);
  if (options_.amsgrad) detail::append_slots(vhat_, params);
}

void AdamW::update(size_t index, autograd::Variable& param, float lr) {
  if (!param.grad.defined()) return;  // Keras drops variables without gradients before decaying too
  const int64_t n = detail::checked_size("AdamW", param, index, m_[index]);
  float* __restrict p = param.value.f32();
  const float* __restrict g = param.grad.f32();
  float* __restrict m = m_[index].f32();
  float* __restrict v = v_[index].f32();
  const float b1 = options_.beta_1, one_minus_b1 = 1.0f - b1;
  const float b2 = options_.beta_2, one_minus_b2 = 1.0f - b2;
  const float eps = options_.epsilon;
  const float shrink = lr * options_.weight_decay;
  // The bias corrections fold into the step size (in double: b^t for large t loses nothing).
  const double t = static_cast<double>(iterations() + 1);
  const float step = static_cast<float>(static_cast<double>(lr) * std::sqrt(1.0 - std::pow(double{b2}, t)) /
                                        (1.0 - std::pow(double{b1}, t)));

  if (!options_.amsgrad) {
    elementwise(n, [=](int64_t i) {
      const float mi = b1 * m[i] + one_minus_b1 * g[i];
      const float vi = b2 * v[i] + one_minus_b2 * g[i] * g[i];
      m[i] = mi;
      v[i] = vi;
      p[i] = (p[i] - shrink * p[i]) - step * mi / (std::sqrt(vi) + eps);
    });
    return;
  }
  float* __restrict vhat = vhat_[index].f32();
  elementwise(n, [=](int64_t i) {
    const float mi = b1 * m[i] + one_minus_b1 * g[i];
    const float vi = b2 * v[i] + one_minus_b2 * g[i] * g[i];
    const float hi = std::max(vhat[i], vi);
    m[i] = mi;
    v[i] = vi;
    vhat[i] = hi;
    p[i] = (p[i] - shrink * p[i]) - step * mi / (std::sqrt(hi) + eps);
  });
}

}  // namespace soma::optimizers
