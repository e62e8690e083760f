#pragma once
// Inverted dropout: in training each element is zeroed with probability `rate` and the survivors are
// scaled by 1 / (1 - rate); at inference the op is the identity.
#include "soma/autograd/tape.hpp"

namespace soma::autograd {

class DropoutOp final : public Node {
 public:
  Variable& forward(Tape* tape, Variable& x, float rate, bool training);
  void backward(Tape& tape) override;
  Variable out;
  const Tensor& mask() const { return mask_; }

 private:
  Variable* x_ = nullptr;
  Tensor mask_;
  Tensor scratch_;
};

}  // namespace soma::autograd
