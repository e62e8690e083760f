#pragma once
// out = a + b, same shapes: residual connections and anything that merges two paths.
#include "soma/autograd/tape.hpp"

namespace soma::autograd {

class AddOp final : public Node {
 public:
  Variable& forward(Tape* tape, Variable& a, Variable& b);
  void backward(Tape& tape) override;
  Variable out;

 private:
  Variable* a_ = nullptr;
  Variable* b_ = nullptr;
};

}  // namespace soma::autograd
