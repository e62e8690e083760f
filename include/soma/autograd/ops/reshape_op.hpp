#pragma once
// y = x viewed with another shape (Flatten, Reshape): no copy forward, a copy of the gradient backward.
#include "soma/autograd/tape.hpp"

namespace soma::autograd {

class ReshapeOp final : public Node {
 public:
  Variable& forward(Tape* tape, Variable& x, const Shape& shape);
  void backward(Tape& tape) override;
  Variable out;

 private:
  Variable* x_ = nullptr;
  Tensor scratch_;
};

}  // namespace soma::autograd
