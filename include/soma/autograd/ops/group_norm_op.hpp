#pragma once
// Group normalisation (Keras 3's GroupNormalization, PyTorch's F.group_norm): x viewed as
// (batch, before, channels, after), the channels split into `groups` consecutive groups; each
// (sample, group) is normalised with its mean and biased variance over its channels and every other
// non-batch axis, then scaled by gamma[c] and shifted by beta[c] (either may be absent). Work is split
// by (sample, group) and the weight gradients are summed per sample first, then over samples in order:
// the same bits on any thread count.
#include "soma/autograd/tape.hpp"

namespace soma::autograd {

struct GroupNormParams {
  int64_t batch = 1, before = 1, channels = 1, after = 1;
  int64_t groups = 1;
  float epsilon = 1e-3f;
};

class GroupNormOp final : public Node {
 public:
  Variable& forward(Tape* tape, Variable& x, Variable* gamma, Variable* beta, const GroupNormParams& p);
  void backward(Tape& tape) override;
  Variable out;

 private:
  Variable *x_ = nullptr, *gamma_ = nullptr, *beta_ = nullptr;
  GroupNormParams p_;
  Tensor xhat_;                          // x's shape
  Tensor inv_std_;                       // (batch, groups)
  Tensor partial_gamma_, partial_beta_;  // (batch, channels)
};

}  // namespace soma::autograd
