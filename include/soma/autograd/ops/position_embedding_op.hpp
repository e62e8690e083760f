#pragma once
// out[b, t, :] = table[t, :] for the T steps of x (batch, T, ...): a learned position embedding, the same
// for every sample. x's values are not read and get no gradient; the table's gradient is the output
// gradient summed over the batch (each row in one fixed order: split by step between threads).
#include "soma/autograd/tape.hpp"

namespace soma::autograd {

class PositionEmbeddingOp final : public Node {
 public:
  Variable& forward(Tape* tape, Variable& x, Variable& table);
  void backward(Tape& tape) override;
  Variable out;

 private:
  Variable* table_ = nullptr;
  int64_t batch_ = 0, steps_ = 0, width_ = 0;
};

}  // namespace soma::autograd
