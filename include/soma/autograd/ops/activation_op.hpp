#pragma once
// y = f(x) for any Keras activation; softmax and log_softmax over one axis (the last by default).
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

  // The identity ("linear") returns x itself and records nothing. `axis` (negative from the end) is the
  // softmax / log_softmax axis; the element-wise activations ignore it.
  Variable& forward(Tape* tape, Variable& x, const activations::Activation& act, int axis = -1);
  void backward(Tape& tape) override;

  const activations::Activation& activation() const { return act_; }
  // The pre-activation input of the latest forward: losses fuse softmax/sigmoid with it.
  Variable& input() const { return *x_; }
  Variable out;

 private:
  Variable* x_ = nullptr;
  activations::Activation act_;
  int64_t outer_ = 1, axis_extent_ = 1, inner_ = 1;  // the softmax view of the latest forward
  std::unique_ptr<kernels::Eltwise> eltwise_;
  std::unique_ptr<kernels::Softmax> softmax_;
  Tensor scratch_;
};

}  // namespace soma::autograd
