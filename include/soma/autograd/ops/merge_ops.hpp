#pragma once
// The ops of the merge layers (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot) over
// any number of inputs. Elementwise ones broadcast as numpy does (shapes right-aligned, a 1 stretches).
#include <array>
#include <span>
#include <vector>

#include "soma/autograd/tape.hpp"

namespace soma::autograd {

enum class Elementwise { add, subtract, multiply, average, maximum, minimum };

// The broadcast of shapes (batch included), or ShapeError naming `who` and the shapes.
Shape broadcast_shapes(std::span<const Shape> shapes, const std::string& who);

class ElementwiseOp final : public Node {
 public:
  Variable& forward(Tape* tape, std::span<Variable* const> inputs, Elementwise mode);
  void backward(Tape& tape) override;
  Variable out;

 private:
  // For an input that broadcasts: the input element of every output element.
  const std::vector<int64_t>* index_of(size_t input) const;
  std::vector<Variable*> in_;
  std::vector<std::vector<int64_t>> index_;  // empty for an input of the output's shape
  std::vector<Shape> index_shapes_;           // the input shapes index_ was made for
  std::vector<Shape> shapes_;
  Elementwise mode_ = Elementwise::add;
  Tensor scratch_, grad_;
};

// Joins inputs along `axis` (batch included, non-negative); the other dimensions must agree.
class ConcatenateOp final : public Node {
 public:
  Variable& forward(Tape* tape, std::span<Variable* const> inputs, int axis);
  void backward(Tape& tape) override;
  Variable out;

 private:
  std::vector<Variable*> in_;
  int axis_ = 0;
  Tensor scratch_;
};

// x / sqrt(max(sum(x^2 over axis), 1e-12)), as Keras' l2_normalize (Dot's normalize).
class L2NormalizeOp final : public Node {
 public:
  Variable& forward(Tape* tape, Variable& x, int axis);
  void backward(Tape& tape) override;
  Variable out;

 private:
  Variable* x_ = nullptr;
  int axis_ = 0;
  Tensor inv_norm_, scratch_;
};

// Keras' batch_dot of a (B, ...) and b (B, ...) over axes (a_axis, b_axis), for inputs of rank 2 or 3:
// (B, K)·(B, K) -> (B, 1); (B, M, K)·(B, K, N) -> (B, M, N) (any choice of contracted axes).
class BatchDotOp final : public Node {
 public:
  Variable& forward(Tape* tape, Variable& a, Variable& b, std::array<int, 2> axes);
  void backward(Tape& tape) override;
  Variable out;
  // The output shape (batch included) for these input shapes, or ShapeError.
  static Shape output_shape(const Shape& a, const Shape& b, std::array<int, 2> axes, const std::string& who);

 private:
  Variable* a_ = nullptr;
  Variable* b_ = nullptr;
  std::array<int, 2> axes_{};
  Tensor scratch_;
};

// sum_i weight_i * x_i over scalars: the total loss of a model with several outputs.
class WeightedSumOp final : public Node {
 public:
  Variable& forward(Tape* tape, std::span<Variable* const> scalars, std::span<const float> weights);
  void backward(Tape& tape) override;
  Variable out;

 private:
  std::vector<Variable*> in_;
  std::vector<float> weights_;
  Tensor scratch_;
};

}  // namespace soma::autograd
