#pragma once
// Keras' way of masking a softmax (keras.layers.Softmax with a mask): before it, masked positions get a
// large negative number added, (1 - m) * -1e9; after it, the output is multiplied by m. m has x's shape.
#include "soma/autograd/tape.hpp"

namespace soma::autograd {

enum class MaskMode {
  add_large_negative,  // y = x + (1 - m) * -1e9; dx = dy
  multiply,            // y = x * m;              dx = dy * m
};

class MaskOp final : public Node {
 public:
  Variable& forward(Tape* tape, Variable& x, const Tensor& mask, MaskMode mode);
  void backward(Tape& tape) override;
  Variable out;

 private:
  Variable* x_ = nullptr;
  Tensor mask_;
  MaskMode mode_ = MaskMode::multiply;
};

}  // namespace soma::autograd
