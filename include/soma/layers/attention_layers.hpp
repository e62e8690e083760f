#pragma once
// keras.layers.Attention (Luong-style dot-product attention) and keras.layers.AdditiveAttention
// (Bahdanau-style), on [query (batch, T, dim), value (batch, S, dim_v)] or [query, value, key (batch, S,
// dim)]; the key defaults to the value. The output is (batch, T, dim_v); the scores (batch, T, S).
//   L::Attention att({.use_scale = true});
//   auto y = att({q, v});
//   auto [y, scores] = att.attention_outputs({q, v, k}, {.use_causal_mask = true});
// Scores: Attention "dot" q·kᵀ (times a learned scalar `scale` if use_scale), "concat"
// concat_score_weight * sum(tanh(scale * (q + k))); AdditiveAttention sum(scale * tanh(q + k)) with a
// learned `scale` of dim values. softmax over the keys, dropout on it in training, times the value.
// Masks as in Keras: the value's sequence mask keeps padded keys out of the softmax; the query's mask
// zeroes the padded queries' output rows and is the output's mask. Keras also takes explicit mask
// tensors (mask=[query_mask, value_mask]); soma takes the masks that arrive with the tensors
// (Embedding(mask_zero), Masking).
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "soma/autograd/ops/additive_score_op.hpp"
#include "soma/autograd/ops/attention_op.hpp"
#include "soma/layers/layer.hpp"
#include "soma/models/keras_tensor.hpp"

namespace soma::layers {

struct AttentionOptions {
  bool use_scale = false;
  std::string score_mode = "dot";  // or "concat"
  float dropout = 0.0f;            // on the attention probabilities, in training
  std::optional<int64_t> seed = std::nullopt;
  std::string name = "";
};

struct AdditiveAttentionOptions {
  bool use_scale = true;
  float dropout = 0.0f;
  std::optional<int64_t> seed = std::nullopt;
  std::string name = "";
};

// The call arguments besides the tensors, as Keras' keywords.
struct AttentionLayerCall {
  bool use_causal_mask = false;  // query i attends to keys j <= i only
  bool return_attention_scores = false;
};

// What Attention and AdditiveAttention share: inputs, masks, the softmax and the product with the value.
// The subclasses own the weights and say how scores are computed.
class BaseAttention : public Layer {
 public:
  using Layer::operator();
  KerasTensor operator()(const std::vector<KerasTensor>& inputs, AttentionLayerCall call) &&;
  KerasTensor operator()(const std::vector<KerasTensor>& inputs, AttentionLayerCall call) &;
  // {output, attention scores (batch, T, S)}.
  std::pair<KerasTensor, KerasTensor> attention_outputs(const std::vector<KerasTensor>& inputs,
                                                        AttentionLayerCall call = {}) &;

  Shape output_shape(const Shape& input_shape) const override;
  std::pair<int, int> input_count() const override { return {2, 3}; }
  std::vector<Shape> output_shapes(std::span<const Shape> inputs) const override;
  void build_multi(std::span<const Shape> inputs) override;
  void call_multi(CallFrame& frame, autograd::Tape* tape, std::span<autograd::Variable* const> inputs,
                  std::vector<autograd::Variable*>& outputs, bool training) override;
  std::vector<Shape> node_output_shapes(std::span<const Shape> inputs, const CallArguments& arguments) const override;
  void build_node(std::span<const Shape> inputs, const CallArguments& arguments) override;
  void call_node(CallFrame& frame, autograd::Tape* tape, std::span<autograd::Variable* const> inputs,
                 std::vector<autograd::Variable*>& outputs, bool training, const CallArguments& arguments) override;

 protected:
  BaseAttention(const std::string& default_name, const std::string& name, float dropout, std::optional<int64_t> seed);
  // Checks the options common to both; called by the final constructors (who() needs the final type).
  void check_common() const;
  // Dot scores (q·kᵀ in AttentionOp) or additive ones (AdditiveScoreOp's logits).
  virtual bool additive() const = 0;
  // The weights for queries and keys of `dim` features, and the learned scalars or vector of the scores.
  virtual void create_weights(int64_t dim) = 0;
  virtual autograd::Variable* dot_scale() const { return nullptr; }
  virtual autograd::AdditiveScoreWeights additive_weights() const { return {}; }
  void build_weights(const Shape& input_shape) override;
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool training) override;

 private:
  struct Flags {
    bool causal = false, scores = false;
  };
  Flags flags(const CallArguments& arguments) const;
  void check_shapes(std::span<const Shape> inputs) const;
  std::vector<autograd::Variable*>& run(CallFrame& frame, autograd::Tape* tape,
                                        std::span<autograd::Variable* const> inputs, bool training, Flags f);
  std::pair<KerasTensor, KerasTensor> connect_call(std::shared_ptr<Layer> self, const std::vector<KerasTensor>& inputs,
                                                   const AttentionLayerCall& call);

  float dropout_ = 0.0f;
  std::optional<std::mt19937_64> generator_;
  struct Ops {
    autograd::AdditiveScoreOp scores;
    autograd::AttentionOp attention;
    std::vector<autograd::Variable*> outs;
  };
};

class Attention final : public BaseAttention {
 public:
  SOMA_LAYER(Attention)
  explicit Attention(AttentionOptions options = {});
  std::string type() const override { return "Attention"; }
  Config get_config() const override;
  const AttentionOptions& options() const { return options_; }

 protected:
  bool additive() const override { return options_.score_mode == "concat"; }
  void create_weights(int64_t dim) override;
  autograd::Variable* dot_scale() const override { return scale_; }
  autograd::AdditiveScoreWeights additive_weights() const override { return {.c = concat_weight_, .a = scale_}; }

 private:
  AttentionOptions options_;
  autograd::Variable *scale_ = nullptr, *concat_weight_ = nullptr;
};

class AdditiveAttention final : public BaseAttention {
 public:
  SOMA_LAYER(AdditiveAttention)
  explicit AdditiveAttention(AdditiveAttentionOptions options = {});
  std::string type() const override { return "AdditiveAttention"; }
  Config get_config() const override;
  const AdditiveAttentionOptions& options() const { return options_; }

 protected:
  bool additive() const override { return true; }
  void create_weights(int64_t dim) override;
  autograd::AdditiveScoreWeights additive_weights() const override { return {.w = scale_}; }

 private:
  AdditiveAttentionOptions options_;
  autograd::Variable* scale_ = nullptr;
};

}  // namespace soma::layers
