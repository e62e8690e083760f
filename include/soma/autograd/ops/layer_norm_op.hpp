#pragma once
// Layer normalisation as keras.layers.LayerNormalization, over a contiguous block of axes viewed as
// (outer, reduced, inner): y = (x - mean) / sqrt(var + epsilon) * gamma + beta per (outer, inner), or
// x / sqrt(var + epsilon) * gamma with rms_scaling. gamma and beta span the reduced axes and may be
// absent. The same in training and inference (no moving statistics).
#include "soma/autograd/tape.hpp"

namespace soma::autograd {

struct LayerNormParams {
  int64_t outer = 1, reduced = 1, inner = 1;
  float epsilon = 1e-3f;
  bool rms_scaling = false;
};

class LayerNormOp final : public Node {
 public:
  Variable& forward(Tape* tape, Variable& x, Variable* gamma, Variable* beta, const LayerNormParams& params);
  void backward(Tape& tape) override;
  Variable out;

 private:
  Variable *x_ = nullptr, *gamma_ = nullptr, *beta_ = nullptr;
  LayerNormParams params_;
  Tensor mean_, inv_, dgamma_, dbeta_;
};

}  // namespace soma::autograd
