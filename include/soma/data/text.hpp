#pragma once
// Text to integer sequences, as keras.layers.TextVectorization does it (output_mode "int"):
//   soma::text::TextVectorization vectorize({.max_tokens = 20000});
//   vectorize.adapt(train_texts);                               // builds the vocabulary
//   auto sequences = vectorize.to_sequences(train_texts);       // ragged, one vector per text
//   auto x = soma::utils::pad_sequences(sequences, {.maxlen = 200});
// Index 0 is padding (""), 1 the out-of-vocabulary token ("[UNK]"), then tokens by falling frequency
// (ties: first seen first).
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "soma/core/tensor.hpp"

namespace soma::text {

struct TextVectorizationOptions {
  // Vocabulary size including padding and OOV; 0 keeps every token seen by adapt().
  int64_t max_tokens = 0;
  // "lower_and_strip_punctuation" (Keras' default), "lower" or "none"; ignored when custom_standardize is
  // set.
  std::string standardize = "lower_and_strip_punctuation";
  std::function<std::string(std::string_view)> custom_standardize = nullptr;
  // With a length, operator() returns (n, length) int64, padded or truncated at the end as Keras does.
  int64_t output_sequence_length = 0;
};

class TextVectorization {
 public:
  explicit TextVectorization(TextVectorizationOptions options = {});

  void adapt(std::span<const std::string> texts);
  const std::vector<std::string>& get_vocabulary() const { return vocabulary_; }
  int64_t vocabulary_size() const { return static_cast<int64_t>(vocabulary_.size()); }

  // The tokens of one text after standardisation, split on whitespace.
  std::vector<std::string> tokenize(std::string_view text) const;
  std::vector<std::vector<int64_t>> to_sequences(std::span<const std::string> texts) const;
  // (n, output_sequence_length) int64; needs output_sequence_length.
  Tensor operator()(std::span<const std::string> texts) const;

 private:
  void check_adapted(const char* who) const;
  TextVectorizationOptions options_;
  std::vector<std::string> vocabulary_;
  std::unordered_map<std::string, int64_t> index_;
};

}  // namespace soma::text
