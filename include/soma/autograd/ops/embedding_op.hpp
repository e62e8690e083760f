#pragma once
// out[..., :] = table[index] for every index of x: keras.layers.Embedding's lookup. x holds whole numbers
// (float32 as a model's data arrives, or int64); an index outside [0, rows) or not whole throws ValueError
// naming its position. The table's gradient is a scatter-add of the output gradient.
#include <vector>

#include "soma/autograd/tape.hpp"

namespace soma::autograd {

class EmbeddingOp final : public Node {
 public:
  // With mask_zero, out.mask marks the non-zero indices (Keras' padding mask).
  Variable& forward(Tape* tape, Variable& x, Variable& table, bool mask_zero = false);
  void backward(Tape& tape) override;
  Variable out;

 private:
  Variable* table_ = nullptr;
  std::vector<int64_t> indices_;  // of the latest forward, reused
};

}  // namespace soma::autograd
