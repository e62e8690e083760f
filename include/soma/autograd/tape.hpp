#pragma once
// Reverse-mode tape over coarse ops. Forward passes record the nodes they run; backward() runs them in
// reverse. Gradients are written, not zeroed-then-added: the first contribution to a Variable in a pass
// overwrites its grad, later ones add (see write_grad).
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "soma/autograd/variable.hpp"

namespace soma::autograd {

class Tape;

class Node {
 public:
  virtual ~Node() = default;
  virtual void backward(Tape& tape) = 0;

 protected:
  // Ends a forward: this node becomes out's producer; `out` needs a gradient when any input does, and then,
  // if there is a tape, the node is recorded.
  void finish_forward(Tape* tape, Variable& out, bool requires_grad);
};

class Tape {
 public:
  Tape();
  void record(Node* node) { nodes_.push_back(node); }
  // The gradient buffer of v, sized like its value; `accumulate` says whether it already holds a
  // contribution from this pass (add into it) or not (overwrite it). Marks v as having a gradient.
  Tensor& grad_target(Variable& v, bool& accumulate) {
    accumulate = has_grad(v);
    if (!accumulate) v.grad.resize(v.value.shape());
    v.grad_pass = pass_;
    return v.grad;
  }
  // Seeds d(root)/d(root) with ones, or with the given tensor, and runs the recorded nodes in reverse.
  void backward(Variable& root);
  void backward(Variable& root, const Tensor& seed);
  // Forgets the recorded nodes (keeping their capacity) so the tape can record the next step.
  void clear();
  size_t size() const { return nodes_.size(); }

  uint64_t pass() const { return pass_; }
  bool has_grad(const Variable& v) const { return v.grad_pass == pass_ && pass_ != 0; }

  // Computes a gradient contribution for v with fn(Tensor& dst), writing straight into v.grad when it is
  // the first one this pass and through `scratch` plus an add when another op already wrote some.
  template <class Fn>
  void write_grad(Variable& v, Tensor& scratch, Fn&& fn) {
    if (!has_grad(v)) {
      v.grad.resize(v.value.shape());
      fn(v.grad);
      v.grad_pass = pass_;
    } else {
      scratch.resize(v.value.shape());
      fn(scratch);
      add_into(v.grad, scratch);
    }
  }

 private:
  static void add_into(Tensor& dst, const Tensor& src);
  std::vector<Node*> nodes_;
  Tensor seed_;
  uint64_t pass_ = 0;
};

}  // namespace soma::autograd
