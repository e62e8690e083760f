#pragma once
// Backward through two outputs at once, as the loss sum(y * dy) + sum(s * ds) would: the attention tests
// use it to send gradients into both the output and the returned attention scores.
#include "soma/autograd/tape.hpp"

namespace soma::testing {

inline void backward_two(autograd::Tape& tape, autograd::Variable& y, const Tensor& dy, autograd::Variable& s,
                         const Tensor& ds) {
  struct Seed final : autograd::Node {
    autograd::Variable *y = nullptr, *s = nullptr;
    const Tensor *dy = nullptr, *ds = nullptr;
    void backward(autograd::Tape& tp) override {
      bool acc = false;
      tp.grad_target(*y, acc).copy_from(*dy);
      tp.grad_target(*s, acc).copy_from(*ds);
    }
  } seed;
  seed.y = &y, seed.s = &s, seed.dy = &dy, seed.ds = &ds;
  autograd::Variable total;
  total.value = Tensor::zeros(Shape{1});
  tape.record(&seed);
  tape.backward(total);
}

}  // namespace soma::testing
