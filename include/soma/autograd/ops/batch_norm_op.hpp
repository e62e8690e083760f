#pragma once
// Batch normalisation over the last axis (channels-last), as keras.layers.BatchNormalization:
//   training:  y = gamma * (x - mean_b) / sqrt(var_b + epsilon) + beta, with the batch's mean and (biased)
//              variance over every axis but the last; then moving = moving * momentum + batch * (1 -
//              momentum)
//   inference: the same with the moving mean and variance.
// gamma or beta may be absent (scale = false, center = false).
#include <vector>

#include "soma/autograd/tape.hpp"

namespace soma::autograd {

struct BatchNormParams {
  float momentum = 0.99f;
  float epsilon = 1e-3f;
};

class BatchNormOp final : public Node {
 public:
  Variable& forward(Tape* tape, Variable& x, Variable* gamma, Variable* beta, Variable& moving_mean,
                    Variable& moving_variance, const BatchNormParams& params, bool training);
  void backward(Tape& tape) override;
  Variable out;

 private:
  Variable *x_ = nullptr, *gamma_ = nullptr, *beta_ = nullptr;
  bool training_ = false;
  std::vector<float> mean_, inv_std_;  // the statistics the latest forward normalised with
  std::vector<double> sum_, sum2_;     // per-channel accumulators, reused
  Tensor scratch_;
};

}  // namespace soma::autograd
