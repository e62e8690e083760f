#pragma once
// Scaled dot-product attention over heads: the core of MultiHeadAttention. q (batch, T, heads * dk),
// k (batch, S, heads * dk) and v (batch, S, heads * dv) hold each head's vectors side by side (a
// projection's output, Keras' (batch, steps, heads, dim)); out (batch, T, heads * dv) likewise.
//   scores = softmax(scale * q·kᵀ, mask) (batch, heads, T, S), dropout on them in training, out = scores·v.
// The products are strided batched matmuls over (batch, heads), so nothing is transposed or copied, and
// the softmax is one fused, masked pass (kernels/attention_softmax.hpp).
// keras.layers.Attention and AdditiveAttention use it too: with a learned factor on the scale (dot
// scores), or with logits computed elsewhere (forward_logits: additive scores), and with the query's
// mask zeroing output rows instead of masking pairs.
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "soma/autograd/tape.hpp"

namespace soma::kernels {
class BatchedMatmul;
}

namespace soma::autograd {

struct AttentionParams {
  int64_t heads = 1, key_dim = 1, value_dim = 1;
  // The attended lengths: q is (batch, T, heads * key_dim) and k, v (batch, S, ...) seen flat, whatever
  // their shapes (MultiHeadAttention folds the axes it does not attend over into the batch).
  int64_t queries = 1, keys = 1;
  float scale = 1.0f;    // Keras: 1 / sqrt(key_dim)
  // A 0-d weight that multiplies the scale, learned (keras.layers.Attention(use_scale=True)); null: none.
  Variable* learned_scale = nullptr;
  float dropout = 0.0f;  // on the attention probabilities, in training only
  bool training = false;
  std::mt19937_64* generator = nullptr;  // the dropout's; null: the global generator
  Shape scores_shape = {};               // of `scores`; rank 0: (batch, heads, T, S)
};

// Which (query, key) pairs attend: the AND of whichever of these is given, as Keras' MultiHeadAttention
// combines them. Tensors are float: a nonzero entry attends.
struct AttentionMasks {
  const Tensor* attention = nullptr;  // batch * T * S values, (batch, T, S) seen flat
  const Tensor* query = nullptr;      // (batch, T): a sequence mask (Variable::mask)
  const Tensor* value = nullptr;      // (batch, S)
  const Tensor* key = nullptr;        // (batch, S)
  bool causal = false;                // key j attends to query i only if j <= i
  // (batch, T): where it is 0 the output row is 0 (keras.layers.Attention's query mask, which multiplies
  // the output rather than masking pairs). The scores are not affected.
  const Tensor* output = nullptr;
};

class AttentionOp final : public Node {
 public:
  AttentionOp();
  ~AttentionOp() override;
  AttentionOp(AttentionOp&&) noexcept;
  AttentionOp& operator=(AttentionOp&&) noexcept;

  Variable& forward(Tape* tape, Variable& q, Variable& k, Variable& v, const AttentionMasks& masks,
                    const AttentionParams& p);
  // The same from logits given as they are, (batch, heads, T, S) seen flat (AdditiveScoreOp's): the scale
  // and key_dim are not used, and the logits get the gradient that q and k would.
  Variable& forward_logits(Tape* tape, Variable& logits, Variable& v, const AttentionMasks& masks,
                           const AttentionParams& p);
  void backward(Tape& tape) override;
  Variable out;
  // The attention probabilities before dropout (batch, heads, T, S): return_attention_scores' output,
  // and differentiable as such.
  Variable scores;

 private:
  // Builds mask_ from `masks`; false when every pair attends.
  bool combine(const AttentionMasks& masks, int64_t batch, int64_t t, int64_t s);
  // What both forwards share once the logits are in `scores`: softmax, dropout, the product with v.
  Variable& attend(Tape* tape, Variable& v, const Shape& out_shape, bool needs_grad);
  float alpha() const;  // the scale the scores are multiplied by
  Variable *q_ = nullptr, *k_ = nullptr, *v_ = nullptr, *logits_ = nullptr;
  AttentionParams p_;
  int64_t batch_ = 0, t_ = 0, s_ = 0;
  bool masked_ = false, dropped_ = false;
  std::vector<uint8_t> mask_;
  std::vector<uint8_t> rows_;  // AttentionMasks::output as bytes; empty: none
  Tensor dout_, dq_raw_;
  Tensor keep_;     // dropout multipliers (0 or 1 / (1 - rate))
  Tensor dropped_scores_;
  Tensor dp_;       // gradient of the probabilities
  std::unique_ptr<kernels::BatchedMatmul> qk_, pv_, dp_mm_, dv_mm_, dq_mm_, dk_mm_;
};

}  // namespace soma::autograd
