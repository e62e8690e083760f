#pragma once
// Keras 3's ReLU(max_value, negative_slope, threshold) and PReLU (a learned slope per element, shared
// along chosen axes), forward and backward.
#include <cstdint>
#include <limits>
#include <vector>

#include "soma/autograd/tape.hpp"

namespace soma::autograd {

struct ReluOptions {
  float negative_slope = 0.0f;
  float max_value = std::numeric_limits<float>::infinity();  // Keras' None
  float threshold = 0.0f;
};

// y = x > threshold ? min(x, max_value) : negative_slope * (x - threshold). Passes the mask on.
class ReluOp final : public Node {
 public:
  Variable& forward(Tape* tape, Variable& x, const ReluOptions& options);
  void backward(Tape& tape) override;
  Variable out;

 private:
  Variable* x_ = nullptr;
  ReluOptions options_;
};

// y = x > 0 ? x : alpha * x, with alpha of the per-sample shape except 1 along the shared axes: x (N,
// d1..dk), alpha (a1..ak) with each a_i d_i or 1. Gradients for x and alpha. Passes the mask on.
class PReluOp final : public Node {
 public:
  Variable& forward(Tape* tape, Variable& x, Variable& alpha);
  void backward(Tape& tape) override;
  Variable out;

 private:
  Variable *x_ = nullptr, *alpha_ = nullptr;
  Shape indexed_for_;
  std::vector<int64_t> index_;  // alpha's element for each per-sample element (empty: the same index)
  Tensor scratch_;
};

}  // namespace soma::autograd
