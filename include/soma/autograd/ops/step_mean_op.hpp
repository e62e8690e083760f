#pragma once
// The mean over the steps of a sequence, counting only the unmasked ones (GlobalAveragePooling1D):
// x (N, T, C) (channels-first: (N, C, T)) and an optional mask (N, T) of 1s and 0s ->
// y[n, c] = sum_t m[n, t] x[n, t, c] / sum_t m[n, t]. Without a mask: the plain mean over T. As in Keras, a
// row whose steps are all masked divides 0 by 0 (NaN).
#include "soma/autograd/tape.hpp"

namespace soma::autograd {

class StepMeanOp final : public Node {
 public:
  Variable& forward(Tape* tape, Variable& x, const Tensor& mask, bool channels_first);
  void backward(Tape& tape) override;
  Variable out;

 private:
  Variable* x_ = nullptr;
  bool channels_first_ = false;
  Tensor weights_;  // (N, T): m[n, t] / sum_t m[n, t], what each step contributes
};

}  // namespace soma::autograd
