#pragma once
// Batch normalisation over one axis, as keras.layers.BatchNormalization:
//   training:  y = gamma * (x - mean_b) / sqrt(var_b + epsilon) + beta, with the batch's mean and (biased)
//              variance over every axis but `axis`; the batch statistics are kept for the layer, which
//              folds them into its moving statistics once the training step is accepted
//   inference: the same with the moving mean and variance.
// gamma or beta may be absent (scale = false, center = false). Runs on oneDNN's primitive.
#include <memory>

#include "soma/autograd/tape.hpp"

namespace soma::kernels {
class BatchNorm;
}

namespace soma::autograd {

struct BatchNormParams {
  float epsilon = 1e-3f;
  // The normalised axis of the whole input, batch included (1 .. rank - 1).
  int64_t axis = -1;
};

class BatchNormOp final : public Node {
 public:
  BatchNormOp();
  ~BatchNormOp() override;
  BatchNormOp(BatchNormOp&&) noexcept;
  BatchNormOp& operator=(BatchNormOp&&) noexcept;

  Variable& forward(Tape* tape, Variable& x, Variable* gamma, Variable* beta, const Variable& moving_mean,
                    const Variable& moving_variance, const BatchNormParams& params, bool training);
  void backward(Tape& tape) override;
  // The statistics the latest forward normalised with: the batch's in training, the moving ones otherwise.
  const Tensor& mean() const { return mean_; }
  const Tensor& variance() const { return var_; }
  Variable out;

 private:
  Variable *x_ = nullptr, *gamma_ = nullptr, *beta_ = nullptr;
  int64_t outer_ = 0, c_ = 0, inner_ = 1;
  float epsilon_ = 1e-3f;
  bool training_ = false;
  Tensor mean_, var_, dgamma_, dbeta_, scratch_;
  std::unique_ptr<kernels::BatchNorm> kernel_;
};

}  // namespace soma::autograd
