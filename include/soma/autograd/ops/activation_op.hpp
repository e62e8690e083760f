#pragma once
// y = f(x) for any Keras activation (softmax over the last axis).
#include <memory>

#include "soma/activations.hpp"
#include "soma/autograd/tape.hpp"

namespace soma::kernels {
class Eltwise;
class Softmax;
}  // namespace soma::kernels

namespace soma::autograd {

class ActivationOp final : public Node {
 public:
  ActivationOp();
  ~ActivationOp() override;
  ActivationOp(ActivationOp&&) noexcept;
  ActivationOp& operator=(ActivationOp&&) noexcept;

  // The identity ("linear") returns x itself and records nothing.
  Variable& forward(Tape* tape, Variable& x, const activations::Activation& act);
  void backward(Tape& tape) override;

  const activations::Activation& activation() const { return act_; }
  // The pre-activation input of the latest forward: losses fuse softmax/sigmoid with it.
  Variable& input() const { return *x_; }
  Variable out;

 private:
  Variable* x_ = nullptr;
  activations::Activation act_;
  std::unique_ptr<kernels::Eltwise> eltwise_;
  std::unique_ptr<kernels::Softmax> softmax_;
  Tensor scratch_;
};

}  // namespace soma::autograd
