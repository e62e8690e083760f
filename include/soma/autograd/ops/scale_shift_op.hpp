#pragma once
// y = x * scale + offset; dx = dy * scale. Masks pass through. Scalar scale and offset (Rescaling), or
// arrays of one value per position of a sample, repeated over the batch (Normalization's per-feature
// mean and variance, broadcast over a sample beforehand).
#include "soma/autograd/tape.hpp"

namespace soma::autograd {

class ScaleShiftOp final : public Node {
 public:
  Variable& forward(Tape* tape, Variable& x, float scale, float offset);
  // scale and offset hold the same number of values, which divides x's.
  Variable& forward(Tape* tape, Variable& x, const Tensor& scale, const Tensor& offset);
  void backward(Tape& tape) override;
  Variable out;

 private:
  Variable& run(Tape* tape, Variable& x);
  Variable* x_ = nullptr;
  Tensor scale_, offset_;  // one period of values, kept for the backward pass
};

}  // namespace soma::autograd
