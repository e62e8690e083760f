#pragma once
// keras.regularizers: weight penalties added to the training loss.
//   L::Dense({.units = 64, .kernel_regularizer = soma::regularizers::L2(1e-4)})
// L1: l1 * sum(|w|); L2: l2 * sum(w^2); L1L2: both. The penalties are part of the loss fit() and
// evaluate() report, as in Keras, and their gradients join the weights' before each update.
#include "soma/core/tensor.hpp"

namespace soma::regularizers {

struct Regularizer {
  float l1 = 0.0f;
  float l2 = 0.0f;
  bool active() const { return l1 != 0.0f || l2 != 0.0f; }
  double penalty(const Tensor& w) const;
  // grad += d(penalty)/dw
  void add_gradient(const Tensor& w, Tensor& grad) const;
};

// Keras' defaults: L1(0.01), L2(0.01).
inline Regularizer L1(float l1 = 0.01f) {
  return {.l1 = l1};
}
inline Regularizer L2(float l2 = 0.01f) {
  return {.l2 = l2};
}
inline Regularizer L1L2(float l1 = 0.0f, float l2 = 0.0f) {
  return {.l1 = l1, .l2 = l2};
}

}  // namespace soma::regularizers
