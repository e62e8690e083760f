#pragma once
// What the optimizer tests share: a parameter with a given gradient, one update step, and a ValueError
// check on an optimizer's constructor.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "soma/core/error.hpp"
#include "soma/optimizers/optimizer.hpp"

namespace soma::test {

inline autograd::Variable param(std::vector<float> value, std::vector<float> grad) {
  autograd::Variable v(Tensor::from_vector(value), true, "w");
  v.grad = Tensor::from_vector(grad);
  return v;
}

inline void step(optimizers::Optimizer& opt, autograd::Variable& v) {
  autograd::Variable* list[] = {&v};
  opt.apply(list);
}

// Expects fn to throw ValueError whose message contains every one of `parts`.
inline void expect_value_error(const std::function<void()>& fn, const std::vector<std::string>& parts) {
  try {
    fn();
    ADD_FAILURE() << "no ValueError thrown; expected a message with '" << parts.front() << "'";
  } catch (const ValueError& e) {
    const std::string msg = e.what();
    for (const auto& part : parts)
      EXPECT_NE(msg.find(part), std::string::npos) << "'" << part << "' not in: " << msg;
  }
}

}  // namespace soma::test
