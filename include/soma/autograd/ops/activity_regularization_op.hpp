#pragma once
// Keras' activity regularization: the identity on values, plus a penalty on them that joins the loss.
// penalty = (l1 * sum|y| + l2 * sum y^2) / batch, as Keras divides a layer's activity loss by the batch
// size; backward adds d(penalty)/dy = (l1 * sign(y) + 2 * l2 * y) / batch to the incoming gradient, so the
// caller only has to add penalty() to the loss value it reports.
#include "soma/autograd/tape.hpp"
#include "soma/regularizers.hpp"

namespace soma::autograd {

class ActivityRegularizationOp final : public Node {
 public:
  // Computes the penalty (with or without a tape) and returns a Variable sharing x's storage.
  Variable& forward(Tape* tape, Variable& x, const regularizers::Regularizer& r);
  void backward(Tape& tape) override;
  // The penalty of the latest forward; 0 before any.
  double penalty() const { return penalty_; }
  Variable out;

 private:
  Variable* x_ = nullptr;
  regularizers::Regularizer r_;
  double penalty_ = 0.0;
};

}  // namespace soma::autograd
