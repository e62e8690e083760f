#pragma once
// The noise ops behind SpatialDropout1D/2D, GaussianNoise and GaussianDropout. All are the identity at
// inference (training == false returns x itself) and draw from soma's global generator, so set_seed
// makes them reproducible.
#include "soma/autograd/tape.hpp"

namespace soma::autograd {

// Channels-last spatial dropout: x is (batch, ..., channels); one keep/drop draw per (sample, channel),
// shared by every position in between, survivors scaled by 1 / (1 - rate).
class SpatialDropoutOp final : public Node {
 public:
  Variable& forward(Tape* tape, Variable& x, float rate, bool training);
  void backward(Tape& tape) override;
  // (batch, channels): 0 or 1 / (1 - rate) for each sample and channel, from the latest training call.
  const Tensor& mask() const { return mask_; }
  Variable out;

 private:
  Variable* x_ = nullptr;
  Tensor mask_;
};

// y = x + n, n ~ N(0, stddev) elementwise; dy/dx = 1.
class GaussianNoiseOp final : public Node {
 public:
  Variable& forward(Tape* tape, Variable& x, float stddev, bool training);
  void backward(Tape& tape) override;
  Variable out;

 private:
  Variable* x_ = nullptr;
};

// y = x * m, m ~ N(1, sqrt(rate / (1 - rate))) elementwise (Keras' GaussianDropout); dy/dx = m.
class GaussianDropoutOp final : public Node {
 public:
  Variable& forward(Tape* tape, Variable& x, float rate, bool training);
  void backward(Tape& tape) override;
  const Tensor& mask() const { return mask_; }
  Variable out;

 private:
  Variable* x_ = nullptr;
  Tensor mask_;
};

}  // namespace soma::autograd
