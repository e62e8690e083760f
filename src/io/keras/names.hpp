#pragma once
// Name conversions between Keras' spellings: class names, identifiers and the weights tree's keys.
#include <cctype>
#include <string>

namespace soma::io::keras {

// GlorotUniform -> glorot_uniform, CategoricalCrossentropy -> categorical_crossentropy (every capital
// starts a word; for class names that Keras also accepts as identifiers).
inline std::string snake_case(const std::string& camel) {
  std::string out;
  for (size_t i = 0; i < camel.size(); ++i) {
    const auto c = static_cast<unsigned char>(camel[i]);
    if (std::isupper(c)) {
      if (i > 0 && camel[i - 1] != '_') out += '_';
      out += static_cast<char>(std::tolower(c));
    } else {
      out += camel[i];
    }
  }
  return out;
}

// glorot_uniform -> GlorotUniform.
inline std::string camel_case(const std::string& snake) {
  std::string out;
  bool up = true;
  for (char c : snake) {
    if (c == '_') {
      up = true;
      continue;
    }
    out += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    up = false;
  }
  return out;
}

// Keras' naming.to_snake_case, which names layers in a .keras weights tree: Conv2D -> conv2d,
// MultiHeadAttention -> multi_head_attention, GRU -> gru.
inline std::string keras_snake_case(const std::string& name) {
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (std::isupper(c) && i > 0) {
      const auto prev = static_cast<unsigned char>(name[i - 1]);
      const bool next_lower = i + 1 < name.size() && std::islower(static_cast<unsigned char>(name[i + 1]));
      if (std::islower(prev) || (std::isupper(prev) && next_lower)) out += '_';
    }
    out += static_cast<char>(std::tolower(c));
  }
  return out;
}

}  // namespace soma::io::keras
