#pragma once
// keras.layers.MultiHeadAttention: query, value (and key, by default the value) are projected per head
// by "query", "key" and "value" kernels (Keras 3's layout: (dim, heads, key_dim), biases (heads, key_dim)),
// attend with scaled dot products (softmax over the keys, Keras' masks, dropout on the probabilities), and
// the heads are joined by the "attention_output" kernel (heads, value_dim, output_dim).
//   L::MultiHeadAttention mha({.num_heads = 2, .key_dim = 32});
//   auto y = mha(x, x);                                     // self-attention
//   auto y = mha(q, v, {.key = k, .attention_mask = m, .use_causal_mask = true});
//   auto [y, scores] = mha.attention_outputs(q, v, {});      // with the attention scores
// Masks flow as in Keras: the query's and value's sequence masks (from Embedding(mask_zero) or Masking)
// limit which pairs attend, and the output keeps the query's mask.
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "soma/autograd/ops/attention_op.hpp"
#include "soma/autograd/ops/linear_op.hpp"
#include "soma/layers/layer.hpp"
#include "soma/mixed_precision.hpp"
#include "soma/models/keras_tensor.hpp"

namespace soma::layers {

struct MultiHeadAttentionOptions {
  int64_t num_heads = 0;
  int64_t key_dim = 0;
  int64_t value_dim = 0;  // 0: key_dim
  float dropout = 0.0f;   // on the attention probabilities, in training
  bool use_bias = true;
  // The output's last dimension; empty: the query's. One value (Keras also takes a longer tuple; soma
  // does not).
  std::vector<int64_t> output_shape = {};
  // The axes attended over (with the batch axis counted); empty: every axis between the batch and the
  // features. They must be consecutive and end just before the features.
  std::vector<int64_t> attention_axes = {};
  initializers::Initializer kernel_initializer = "glorot_uniform";
  initializers::Initializer bias_initializer = "zeros";
  regularizers::Regularizer kernel_regularizer = {};
  regularizers::Regularizer bias_regularizer = {};
  regularizers::Regularizer activity_regularizer = {};
  constraints::Constraint kernel_constraint = {};
  constraints::Constraint bias_constraint = {};
  std::optional<int64_t> seed = std::nullopt;  // the dropout's own generator, as RandomFlip's seed
  std::string name = "";
  std::string dtype = "";  // dtype policy, as Dense
};

// The call arguments besides query and value.
struct AttentionCall {
  KerasTensor key = {};             // default: the value
  KerasTensor attention_mask = {};  // (batch, T, S): nonzero where query i may attend to key j
  bool use_causal_mask = false;     // and only to keys j <= i
  bool return_attention_scores = false;
};

class MultiHeadAttention final : public Layer {
 public:
  SOMA_LAYER(MultiHeadAttention)
  explicit MultiHeadAttention(MultiHeadAttentionOptions options);
  std::string type() const override { return "MultiHeadAttention"; }
  Config get_config() const override;
  const MultiHeadAttentionOptions& options() const { return options_; }

  using Layer::operator();
  KerasTensor operator()(const KerasTensor& query, const KerasTensor& value, AttentionCall call = {}) &&;
  KerasTensor operator()(const KerasTensor& query, const KerasTensor& value, AttentionCall call = {}) &;
  // {output, attention scores (batch, heads, T, S)}.
  std::pair<KerasTensor, KerasTensor> attention_outputs(const KerasTensor& query, const KerasTensor& value,
                                                        AttentionCall call = {}) &;

  // One tensor: self-attention (query = value = key), as mha(x, x).
  Shape output_shape(const Shape& input_shape) const override;
  std::pair<int, int> input_count() const override { return {1, 4}; }
  std::vector<Shape> output_shapes(std::span<const Shape> inputs) const override;
  void build_multi(std::span<const Shape> inputs) override;
  void call_multi(CallFrame& frame, autograd::Tape* tape, std::span<autograd::Variable* const> inputs,
                  std::vector<autograd::Variable*>& outputs, bool training) override;
  std::vector<Shape> node_output_shapes(std::span<const Shape> inputs, const CallArguments& arguments) const override;
  void build_node(std::span<const Shape> inputs, const CallArguments& arguments) override;
  void call_node(CallFrame& frame, autograd::Tape* tape, std::span<autograd::Variable* const> inputs,
                 std::vector<autograd::Variable*>& outputs, bool training, const CallArguments& arguments) override;

 protected:
  void build_weights(const Shape& input_shape) override;
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool training) override;

 private:
  // Which input is which in one call.
  struct Roles {
    int query = 0, value = 1, key = 1, mask = -1;
    bool causal = false, scores = false;
  };
  Roles roles(size_t inputs, const CallArguments& arguments) const;
  // The attended block of a per-sample shape of this rank: [first, last] (0-based, per sample).
  std::pair<int, int> attended(int rank) const;
  void check_shapes(std::span<const Shape> inputs, const Roles& r) const;
  void build_for(const Shape& query, const Shape& value, const Shape& key);
  Shape scores_shape(const Shape& query, const Shape& value) const;  // per sample
  std::vector<autograd::Variable*>& run(CallFrame& frame, autograd::Tape* tape,
                                        std::span<autograd::Variable* const> inputs, bool training, const Roles& r);
  std::pair<KerasTensor, KerasTensor> connect_call(std::shared_ptr<Layer> self, const KerasTensor& query,
                                                   const KerasTensor& value, const AttentionCall& call);

  MultiHeadAttentionOptions options_;
  mixed_precision::Policy policy_;
  int64_t value_dim_ = 0, output_dim_ = 0;
  Shape query_shape_, value_shape_, key_shape_;
  autograd::Variable *query_kernel_ = nullptr, *query_bias_ = nullptr, *key_kernel_ = nullptr,
                     *key_bias_ = nullptr, *value_kernel_ = nullptr, *value_bias_ = nullptr,
                     *output_kernel_ = nullptr, *output_bias_ = nullptr;
  std::optional<std::mt19937_64> generator_;
  struct Ops {
    autograd::LinearOp query, key, value, output;
    autograd::AttentionOp attention;
    std::vector<autograd::Variable*> outs;
  };
};

}  // namespace soma::layers
