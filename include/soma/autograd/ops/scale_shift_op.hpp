#pragma once
// y = x * scale + offset with scalar scale and offset (Rescaling); dx = dy * scale. Masks pass through.
#include "soma/autograd/tape.hpp"

namespace soma::autograd {

class ScaleShiftOp final : public Node {
 public:
  Variable& forward(Tape* tape, Variable& x, float scale, float offset);
  void backward(Tape& tape) override;
  Variable out;

 private:
  Variable* x_ = nullptr;
  float scale_ = 1.0f;
};

}  // namespace soma::autograd
