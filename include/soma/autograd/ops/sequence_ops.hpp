#pragma once
// Small ops that recurrent wrappers need: reversing the time axis of (N, T, ...) and merging two
// same-shaped branches (Bidirectional's merge modes).
#include "soma/autograd/tape.hpp"

namespace soma::autograd {

// out[:, t] = x[:, T - 1 - t]
class ReverseTimeOp final : public Node {
 public:
  Variable& forward(Tape* tape, Variable& x);
  void backward(Tape& tape) override;
  Variable out;

 private:
  Variable* x_ = nullptr;
  Tensor scratch_;
};

enum class MergeMode { concat, sum, mul, ave };

// concat: along the last axis; sum, mul, ave: element-wise.
class MergeOp final : public Node {
 public:
  Variable& forward(Tape* tape, Variable& a, Variable& b, MergeMode mode);
  void backward(Tape& tape) override;
  Variable out;

 private:
  Variable *a_ = nullptr, *b_ = nullptr;
  MergeMode mode_ = MergeMode::concat;
  Tensor scratch_;
};

}  // namespace soma::autograd
