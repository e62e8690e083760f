#pragma once
// keras.layers.Embedding: whole-number indices (batch, steps) -> vectors (batch, steps, output_dim), from a
// trained table (input_dim, output_dim).
#include <string>
#include <vector>

#include "soma/autograd/ops/embedding_op.hpp"
#include "soma/autograd/ops/position_embedding_op.hpp"
#include "soma/layers/layer.hpp"

namespace soma::layers {

struct EmbeddingOptions {
  int64_t input_dim = 0;   // vocabulary size: indices are in [0, input_dim)
  int64_t output_dim = 0;  // vector width
  initializers::Initializer embeddings_initializer = "random_uniform";  // Keras' "uniform": U(-0.05, 0.05)
  constraints::Constraint embeddings_constraint = {};                   // applied after each update in fit()
  // Index 0 is padding: the recurrent layers that follow skip those steps (carrying their state over).
  bool mask_zero = false;
  std::vector<int64_t> input_shape = {};  // e.g. {80} for sequences of 80 indices
  int64_t input_length = 0;               // Keras 2's spelling of input_shape = {input_length}
  std::string name = "";
};

class Embedding final : public Layer {
 public:
  SOMA_LAYER(Embedding)
  explicit Embedding(EmbeddingOptions options);
  std::string type() const override { return "Embedding"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override;
  autograd::Variable& embeddings() { return *table_; }

 protected:
  void build_weights(const Shape& input_shape) override;
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                              bool training) override;

 private:
  EmbeddingOptions options_;
  autograd::Variable* table_ = nullptr;
  struct Ops {
    autograd::EmbeddingOp op;
  };
};

struct PositionEmbeddingOptions {
  int64_t sequence_length = 0;  // the longest input: the table has this many rows
  initializers::Initializer initializer = "glorot_uniform";
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// keras_hub.layers.PositionEmbedding: a learned vector per position. Called on (batch, steps, width) with
// steps <= sequence_length, it returns the first `steps` rows of its (sequence_length, width) table for
// every sample, to be added to the token embeddings (Keras' "text classification with Transformer"
// recipe: x = tokens + PositionEmbedding(...)(tokens)). The input's mask passes through.
class PositionEmbedding final : public Layer {
 public:
  SOMA_LAYER(PositionEmbedding)
  explicit PositionEmbedding(PositionEmbeddingOptions options);
  std::string type() const override { return "PositionEmbedding"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override;
  const PositionEmbeddingOptions& options() const { return options_; }

 protected:
  void build_weights(const Shape& input_shape) override;
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                              bool training) override;

 private:
  PositionEmbeddingOptions options_;
  autograd::Variable* table_ = nullptr;
  struct Ops {
    autograd::PositionEmbeddingOp op;
  };
};

}  // namespace soma::layers
