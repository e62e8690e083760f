#pragma once
// Additive (Bahdanau-style) attention logits, as keras.layers.AdditiveAttention and
// Attention(score_mode="concat") compute them:
//   scores[b, i, j] = c * sum_d w[d] * tanh(a * (q[b, i, d] + k[b, j, d]))
// q (batch, T, dim), k (batch, S, dim), scores (batch, T, S). w (dim,), c and a (0-d) are learned weights
// when given and 1 when null: AdditiveAttention's `scale` is w; Attention(score_mode="concat") has c
// (`concat_score_weight`) and a (`scale`). The logits go on to AttentionOp::forward_logits.
// tanh is recomputed in the backward pass rather than kept: keeping it would take batch * T * S * dim floats.
#include "soma/autograd/tape.hpp"

namespace soma::autograd {

struct AdditiveScoreWeights {
  Variable* w = nullptr;  // (dim,)
  Variable* c = nullptr;  // 0-d, outside the sum
  Variable* a = nullptr;  // 0-d, inside the tanh
};

class AdditiveScoreOp final : public Node {
 public:
  Variable& forward(Tape* tape, Variable& q, Variable& k, const AdditiveScoreWeights& weights);
  void backward(Tape& tape) override;
  Variable out;

 private:
  Variable *q_ = nullptr, *k_ = nullptr;
  AdditiveScoreWeights weights_;
  int64_t batch_ = 0, t_ = 0, s_ = 0, dim_ = 0;
  Tensor dq_, dk_, dweights_;  // scratch: per-sample partial sums of the weights' gradients
};

}  // namespace soma::autograd
