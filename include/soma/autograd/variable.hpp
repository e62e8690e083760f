#pragma once
// A Variable is a slot in the computation: its value, its gradient, and the node that produced it.
// Layers and ops own their Variables and reuse them every step, so a training step allocates nothing
// once the shapes have been seen.
#include <cstdint>
#include <string>

#include "soma/core/tensor.hpp"

namespace soma::autograd {

class Node;

struct Variable {
  Variable() = default;
  explicit Variable(Tensor v, bool trainable = false, std::string n = {})
      : value(std::move(v)), requires_grad(trainable), name(std::move(n)) {}

  Tensor value;
  Tensor grad;
  bool requires_grad = false;
  // The node that computed value in the latest forward pass (taped or not); null for inputs and weights.
  Node* producer = nullptr;
  std::string name;
  // Which backward pass last wrote grad; a grad from an older pass is stale (see Tape::has_grad).
  uint64_t grad_pass = 0;
  // Keras' sequence mask, (batch, steps), 1 for real steps and 0 for padding: set by Embedding with
  // mask_zero, passed on by layers that keep the steps (Dropout), read by the recurrent layers.
  Tensor mask;
};

}  // namespace soma::autograd
