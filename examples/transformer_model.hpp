#pragma once
// The model of Keras' "Text classification with Transformer" recipe, as examples/transformer_imdb.cpp
// trains it and bench/workload.cpp times it ("transformer").
#include <soma/soma.hpp>

namespace example {
namespace L = soma::layers;

inline soma::KerasTensor transformer_block(const soma::KerasTensor& x, int64_t embed_dim, int64_t heads, int64_t ff_dim,
                                    float rate) {
  auto attention = L::MultiHeadAttention({.num_heads = heads, .key_dim = embed_dim})(x, x);
  attention = L::Dropout(rate)(attention);
  auto out1 = L::LayerNormalization({.epsilon = 1e-6f})(x + attention);
  auto ffn = L::Dense({.units = ff_dim, .activation = "relu"})(out1);
  ffn = L::Dense({.units = embed_dim})(ffn);
  ffn = L::Dropout(rate)(ffn);
  return L::LayerNormalization({.epsilon = 1e-6f})(out1 + ffn);
}

inline soma::Model transformer_classifier(int64_t maxlen, int64_t vocabulary, int64_t embed_dim) {
  auto tokens = soma::Input({maxlen}, {.name = "tokens", .dtype = "int64"});
  auto words = L::Embedding({.input_dim = vocabulary, .output_dim = embed_dim})(tokens);
  // The recipe's position table is an Embedding(maxlen, embed_dim): uniform in [-0.05, 0.05].
  auto positions = L::PositionEmbedding({.sequence_length = maxlen, .initializer = "random_uniform"})(words);
  auto x = transformer_block(words + positions, embed_dim, 2, 32, 0.1f);
  x = L::GlobalAveragePooling1D()(x);
  x = L::Dropout(0.1f)(x);
  x = L::Dense({.units = 20, .activation = "relu"})(x);
  x = L::Dropout(0.1f)(x);
  auto out = L::Dense({.units = 2, .activation = "softmax"})(x);
  return soma::Model({tokens}, {out}, "transformer_imdb");
}

}  // namespace example
