#include "soma/optimizers/sgd.hpp"

#include <fmt/format.h>

#include <cmath>

#include "optimizers/elementwise.hpp"
#include "soma/core/error.hpp"

namespace soma::optimizers {
namespace {
using detail::elementwise;

const SGDOptions& validated(const SGDOptions& o) {
  auto fail = [](const char* option, const char* expected, float value) {
    throw ValueError(fmt::format("SGD: expected {} {}, received {}.", option, expected, value));
  };
  if (const float lr = o.learning_rate.value();
      !o.learning_rate.is_schedule() && (!(lr >= 0.0f) || std::isinf(lr)))
    fail("learning_rate", "to be a finite number >= 0", lr);
  if (!(o.momentum >= 0.0f && o.momentum <= 1.0f)) fail("momentum", "in [0, 1]", o.momentum);
  if (!(o.decay >= 0.0f) || std::isinf(o.decay)) fail("decay", "to be a finite number >= 0", o.decay);
  return o;
}

// The parameter, its gradient and its state must have one size; a mismatch means apply() was given a
// different parameter list than on its first call.
int64_t checked_size(const autograd::Variable& param, size_t index, const Tensor* state) {
  const int64_t n = param.value.numel();
  const bool ok = param.grad.numel() == n && (state == nullptr || state->numel() == n);
  if (!ok)
    throw StateError(fmt::format(
        "SGD: parameter {} ('{}') has shape {} and gradient shape {}, but its state was built for {} "
        "elements. "
        "Hint: apply() must receive the same parameters, in the same order, on every call.",
        index, param.name, param.value.shape().str(), param.grad.shape().str(), state ? state->numel() : n));
  return n;
}

}  // namespace

SGD::SGD(SGDOptions options) : Optimizer(validated(options).learning_rate, options.decay), options_(options) {
  set_clipping(options.clipnorm, options.clipvalue);
}

SGD::SGD(const SGD& other) : Optimizer(other), options_(other.options_) {
  velocity_.reserve(other.velocity_.size());
  for (const Tensor& t : other.velocity_) velocity_.push_back(t.clone());
}

SGD& SGD::operator=(const SGD& other) {
  if (this != &other) *this = SGD(other);
  return *this;
}

std::unique_ptr<Optimizer> SGD::clone() const {
  return std::make_unique<SGD>(*this);
}

SGDOptions SGD::options() const {
  SGDOptions o = options_;
  o.learning_rate = learning_rate_option();
  return o;
}

void SGD::add_slots(std::span<autograd::Variable* const> params) {
  if (options_.momentum == 0.0f) return;
  for (const autograd::Variable* p : params) velocity_.emplace_back(p->value.shape());
}

void SGD::update(size_t index, autograd::Variable& param, float lr) {
  if (!param.grad.defined()) return;  // no gradient reached this parameter: Keras skips it too
  const bool plain = velocity_.empty();
  const int64_t n = checked_size(param, index, plain ? nullptr : &velocity_[index]);
  float* __restrict p = param.value.f32();
  const float* __restrict g = param.grad.f32();
  if (plain) {
    elementwise(n, [=](int64_t i) { p[i] -= lr * g[i]; });
    return;
  }
  float* __restrict v = velocity_[index].f32();
  const float momentum = options_.momentum;
  if (options_.nesterov) {
    elementwise(n, [=](int64_t i) {
      const float vi = momentum * v[i] - lr * g[i];
      v[i] = vi;
      p[i] += momentum * vi - lr * g[i];
    });
  } else {
    elementwise(n, [=](int64_t i) {
      const float vi = momentum * v[i] - lr * g[i];
      v[i] = vi;
      p[i] += vi;
    });
  }
}

}  // namespace soma::optimizers
