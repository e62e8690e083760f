#include "soma/optimizers/nadam.hpp"

#include <fmt/format.h>

#include <cmath>

#include "optimizers/elementwise.hpp"
#include "optimizers/slots.hpp"
#include "soma/core/error.hpp"

namespace soma::optimizers {
namespace {
using detail::elementwise;

const NadamOptions& validated(const NadamOptions& o) {
  auto fail = [](const char* option, const char* expected, float value) {
    throw ValueError(fmt::format("Nadam: expected {} {}, received {}.", option, expected, value));
  };
  if (const float lr = o.learning_rate.value();
      !o.learning_rate.is_schedule() && (!(lr >= 0.0f) || std::isinf(lr)))
    fail("learning_rate", "to be a finite number >= 0", lr);
  if (!(o.beta_1 >= 0.0f && o.beta_1 < 1.0f)) fail("beta_1", "in [0, 1)", o.beta_1);
  if (!(o.beta_2 >= 0.0f && o.beta_2 < 1.0f)) fail("beta_2", "in [0, 1)", o.beta_2);
  if (!(o.epsilon >= 0.0f) || std::isinf(o.epsilon)) fail("epsilon", "to be a finite number >= 0", o.epsilon);
  return o;
}

// Dozat's momentum schedule as Keras and PyTorch define it (decay base 0.96, momentum_decay 0.004).
double momentum_at(double beta_1, int64_t t) {
  return beta_1 * (1.0 - 0.5 * std::pow(0.96, static_cast<double>(t) * 0.004));
}

}  // namespace

Nadam::Nadam(NadamOptions options) : Optimizer(validated(options).learning_rate, 0.0f), options_(options) {
  set_clipping(options.clipnorm, options.clipvalue);
}

Nadam::Nadam(const Nadam& other)
    : Optimizer(other),
      options_(other.options_),
      m_(detail::deep_copy(other.m_)),
      v_(detail::deep_copy(other.v_)),
      u_product_(other.u_product_),
      u_product_step_(other.u_product_step_) {}

Nadam& Nadam::operator=(const Nadam& other) {
  if (this != &other) *this = Nadam(other);
  return *this;
}

std::unique_ptr<Optimizer> Nadam::clone() const {
  return std::make_unique<Nadam>(*this);
}

NadamOptions Nadam::options() const {
  NadamOptions o = options_;
  o.learning_rate = learning_rate_option();
  return o;
}

void Nadam::add_slots(std::span<autograd::Variable* const> params) {
  detail::append_slots(m_, params);
  detail::append_slots(v_, params);
}

double Nadam::u_product(int64_t t) {
  if (t < u_product_step_) {  // iterations went back (restored state): recompute from the start
    u_product_ = 1.0;
    u_product_step_ = 0;
  }
  while (u_product_step_ < t) u_product_ *= momentum_at(options_.beta_1, ++u_product_step_);
  return u_product_;
}

void Nadam::update(size_t index, autograd::Variable& param, float lr) {
  if (!param.grad.defined()) return;  // no gradient reached this parameter: Keras skips it too
  const int64_t n = detail::checked_size("Nadam", param, index, m_[index]);
  float* __restrict p = param.value.f32();
  const float* __restrict g = param.grad.f32();
  float* __restrict m = m_[index].f32();
  float* __restrict v = v_[index].f32();
  const float b1 = options_.beta_1, one_minus_b1 = 1.0f - b1;
  const float b2 = options_.beta_2, one_minus_b2 = 1.0f - b2;
  const float eps = options_.epsilon;
  // Every per-step scalar in double, folded into three factors: p -= (cm * m + cg * g) / (sqrt(v) * rs +
  // eps).
  const int64_t t = iterations() + 1;
  const double u_t = momentum_at(b1, t), u_next = momentum_at(b1, t + 1);
  const double product = u_product(t), product_next = product * u_next;
  const auto cm = static_cast<float>(lr * u_next / (1.0 - product_next));
  const auto cg = static_cast<float>(lr * (1.0 - u_t) / (1.0 - product));
  const auto rs = static_cast<float>(1.0 / std::sqrt(1.0 - std::pow(double{b2}, static_cast<double>(t))));
  elementwise(n, [=](int64_t i) {
    const float mi = b1 * m[i] + one_minus_b1 * g[i];
    const float vi = b2 * v[i] + one_minus_b2 * g[i] * g[i];
    m[i] = mi;
    v[i] = vi;
    p[i] -= (cm * mi + cg * g[i]) / (std::sqrt(vi) * rs + eps);
  });
}

}  // namespace soma::optimizers
