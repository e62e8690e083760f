#pragma once
// The tfjs reference models (tests/reference/tfjs_models.txt) checked against a model loaded from any of
// their forms (tfjs, .h5, .keras): max |y_soma - y_tfjs| on the case's inputs, printed and bounded.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "soma/models/model.hpp"
#include "support/reference_cases.hpp"

namespace soma::testing {

inline void expect_matches_tfjs(Model& model, const ReferenceCase& c, const std::string& label) {
  TensorList x;
  for (int i = 0; i < std::stoi(c.options.at("inputs")); ++i) {
    std::string name = "x";
    name += std::to_string(i);
    x.list.push_back(c.tensors.at(name));
  }
  const Tensor y = model.predict(x)[0];
  const Tensor& want = c.tensors.at("y");
  ASSERT_EQ(y.shape(), want.shape()) << label;
  float worst = 0;
  for (int64_t i = 0; i < y.numel(); ++i) worst = std::max(worst, std::abs(y.f32()[i] - want.f32()[i]));
  EXPECT_LT(worst, 2e-5f) << label;
  std::printf("%-22s max |y_soma - y_tfjs| = %.3g\n", label.c_str(), worst);
}

}  // namespace soma::testing
