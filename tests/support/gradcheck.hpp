#pragma once
// Finite-difference gradient check shared by the op and layer tests. The function under test maps input
// Variables to an output Variable; the scalar checked is sum(output * seed) for a fixed random seed, so
// every output element's gradient path is exercised.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <vector>

#include "soma/autograd/tape.hpp"
#include "soma/core/random.hpp"

namespace soma::testing {

using Forward = std::function<autograd::Variable&(autograd::Tape*, std::vector<autograd::Variable*>&)>;

inline Tensor random_tensor(const Shape& s, float low = -1.0f, float high = 1.0f) {
  Tensor t = Tensor::empty(s);
  for (auto& v : t.span<float>()) v = random::uniform(low, high);
  return t;
}

struct GradCheckOptions {
  float eps = 1e-3f;
  float rtol = 1e-2f;
  float atol = 1e-3f;
};

// Returns the worst |analytic - numeric| / (atol + rtol * |numeric|) (<= 1 passes) and records failures.
// `extra`, when given, is a scalar the last forward added to the loss besides its output (an activity
// penalty, whose ops add its gradient in backward): the numeric side then differentiates it too.
inline double gradcheck(const Forward& f, std::vector<autograd::Variable*> inputs, GradCheckOptions o = {},
                        const std::function<double()>& extra = nullptr) {
  autograd::Tape tape;
  autograd::Variable& out = f(&tape, inputs);
  const Tensor seed = random_tensor(out.value.shape());
  tape.backward(out, seed);
  std::vector<Tensor> analytic;
  for (auto* v : inputs)
    analytic.push_back(v->requires_grad && tape.has_grad(*v) ? v->grad.clone() : Tensor());

  auto objective = [&] {
    autograd::Variable& y = f(nullptr, inputs);
    double s = 0.0;
    for (int64_t i = 0; i < y.value.numel(); ++i) s += static_cast<double>(y.value.f32()[i]) * seed.f32()[i];
    return extra ? s + extra() : s;
  };
  double worst = 0.0;
  for (size_t k = 0; k < inputs.size(); ++k) {
    if (!inputs[k]->requires_grad) continue;
    EXPECT_TRUE(analytic[k].defined()) << "input " << k << " received no gradient";
    if (!analytic[k].defined()) continue;
    float* p = inputs[k]->value.f32();
    for (int64_t i = 0; i < inputs[k]->value.numel(); ++i) {
      const float saved = p[i];
      p[i] = saved + o.eps;
      const double up = objective();
      p[i] = saved - o.eps;
      const double down = objective();
      p[i] = saved;
      const double numeric = (up - down) / (2.0 * o.eps);
      const double a = analytic[k].f32()[i];
      const double ratio = std::fabs(a - numeric) / (o.atol + o.rtol * std::fabs(numeric));
      worst = std::max(worst, ratio);
      EXPECT_LE(ratio, 1.0) << "input " << k << " element " << i << ": analytic " << a << " numeric "
                            << numeric;
    }
  }
  return worst;
}

}  // namespace soma::testing
