#pragma once
// The copies behind Keras' reshaping layers, all on kernels::box_copy.
//   PermuteOp: y = x with its axes reordered (perm over every axis, the batch included); the gradient
//     is dy with the inverse order.
//   PadOp: signed padding per axis, as ONNX Pad: positive adds zeros (ZeroPadding), negative removes
//     (Cropping); the gradient is dy's overlap with x, zero where x was cropped away.
//   RepeatOp: (batch, features) -> (batch, n, features) (RepeatVector); the gradient sums over the n.
//   UpsampleOp: every entry repeated factors[a] times along each axis a (UpSampling, "nearest"); the
//     gradient sums each block, in a fixed order.
#include <array>
#include <vector>

#include "soma/autograd/tape.hpp"

namespace soma::autograd {

class PermuteOp final : public Node {
 public:
  Variable& forward(Tape* tape, Variable& x, const std::vector<int>& perm);
  void backward(Tape& tape) override;
  Variable out;

 private:
  Variable* x_ = nullptr;
  std::vector<int> perm_;
};

class PadOp final : public Node {
 public:
  // pads[a] = {before, after} for every axis of x.
  Variable& forward(Tape* tape, Variable& x, const std::vector<std::array<int64_t, 2>>& pads);
  void backward(Tape& tape) override;
  Variable out;

 private:
  Variable* x_ = nullptr;
  std::vector<std::array<int64_t, 2>> pads_;
};

class RepeatOp final : public Node {
 public:
  Variable& forward(Tape* tape, Variable& x, int64_t n);
  void backward(Tape& tape) override;
  Variable out;

 private:
  Variable* x_ = nullptr;
  int64_t n_ = 0;
};

class UpsampleOp final : public Node {
 public:
  Variable& forward(Tape* tape, Variable& x, const std::vector<int64_t>& factors);
  void backward(Tape& tape) override;
  Variable out;

 private:
  Variable* x_ = nullptr;
  std::vector<int64_t> factors_;
};

}  // namespace soma::autograd
