#pragma once
// y = x / max(||x||_2, 1e-12) over a block of `reduced` consecutive axes of x viewed as (outer, reduced,
// inner): Keras 3's ops.normalize(order=2, epsilon=1e-12), written there as x * min(rsqrt(sum x^2),
// 1 / epsilon). The gradient is r (dy - y sum(dy y)) with r = 1 / ||x||, or r dy where the norm is
// clamped. Each (outer, inner) group is summed in one order by one thread: the same bits on any count.
#include "soma/autograd/tape.hpp"

namespace soma::autograd {

struct UnitNormParams {
  int64_t outer = 1, reduced = 1, inner = 1;
};

class UnitNormOp final : public Node {
 public:
  Variable& forward(Tape* tape, Variable& x, const UnitNormParams& p);
  void backward(Tape& tape) override;
  Variable out;

 private:
  Variable* x_ = nullptr;
  UnitNormParams p_;
  Tensor inv_norm_;  // (outer, inner): min(1 / ||x||, 1e12)
};

}  // namespace soma::autograd
