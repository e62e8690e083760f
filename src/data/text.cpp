#include "soma/data/text.hpp"

#include <algorithm>
#include <cctype>

#include "soma/core/error.hpp"

namespace soma::text {

namespace {
// Keras strips the ASCII punctuation of string.punctuation.
bool is_punctuation(unsigned char c) {
  return std::ispunct(c) != 0;
}
}  // namespace

TextVectorization::TextVectorization(TextVectorizationOptions o) : options_(std::move(o)) {
  if (options_.max_tokens < 0 || options_.max_tokens == 1 || options_.max_tokens == 2) {
    throw ValueError(
        "TextVectorization: max_tokens must be 0 (unlimited) or at least 3 (padding, OOV and a "
        "word), received " +
        std::to_string(options_.max_tokens) + ".");
  }
  if (options_.output_sequence_length < 0) {
    throw ValueError("TextVectorization: output_sequence_length must be >= 0, received " +
                     std::to_string(options_.output_sequence_length) + ".");
  }
  const auto& s = options_.standardize;
  if (!options_.custom_standardize && s != "lower_and_strip_punctuation" && s != "lower" && s != "none") {
    throw ValueError(
        "TextVectorization: standardize must be lower_and_strip_punctuation, lower or none, received \"" + s +
        "\".");
  }
}

std::vector<std::string> TextVectorization::tokenize(std::string_view text) const {
  std::string t;
  if (options_.custom_standardize) {
    t = options_.custom_standardize(text);
  } else {
    t.reserve(text.size());
    for (const char ch : text) {
      const auto c = static_cast<unsigned char>(ch);
      if (options_.standardize == "lower_and_strip_punctuation" && is_punctuation(c)) continue;
      t.push_back(options_.standardize == "none" ? ch : static_cast<char>(std::tolower(c)));
    }
  }
  std::vector<std::string> tokens;
  size_t i = 0;
  while (i < t.size()) {
    while (i < t.size() && std::isspace(static_cast<unsigned char>(t[i]))) ++i;
    size_t j = i;
    while (j < t.size() && !std::isspace(static_cast<unsigned char>(t[j]))) ++j;
    if (j > i) tokens.emplace_back(t.substr(i, j - i));
    i = j;
  }
  return tokens;
}

void TextVectorization::adapt(std::span<const std::string> texts) {
  struct Count {
    int64_t count = 0, first = 0;
  };
  std::unordered_map<std::string, Count> counts;
  int64_t seen = 0;
  for (const auto& text : texts) {
    for (auto& token : tokenize(text)) {
      auto [it, inserted] = counts.try_emplace(std::move(token));
      if (inserted) it->second.first = seen++;
      ++it->second.count;
    }
  }
  std::vector<std::pair<std::string, Count>> sorted(counts.begin(), counts.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.second.count != b.second.count ? a.second.count > b.second.count
                                            : a.second.first < b.second.first;
  });
  vocabulary_ = {"", "[UNK]"};
  const size_t limit = options_.max_tokens > 0 ? static_cast<size_t>(options_.max_tokens) : SIZE_MAX;
  for (auto& [token, count] : sorted) {
    if (vocabulary_.size() >= limit) break;
    vocabulary_.push_back(token);
  }
  index_.clear();
  for (size_t i = 2; i < vocabulary_.size(); ++i) index_[vocabulary_[i]] = static_cast<int64_t>(i);
}

void TextVectorization::check_adapted(const char* who) const {
  if (vocabulary_.empty())
    throw StateError(std::string("TextVectorization::") + who + ": call adapt() first.");
}

std::vector<std::vector<int64_t>> TextVectorization::to_sequences(std::span<const std::string> texts) const {
  check_adapted("to_sequences");
  std::vector<std::vector<int64_t>> out;
  out.reserve(texts.size());
  for (const auto& text : texts) {
    auto& seq = out.emplace_back();
    for (const auto& token : tokenize(text)) {
      const auto it = index_.find(token);
      seq.push_back(it == index_.end() ? 1 : it->second);
    }
  }
  return out;
}

Tensor TextVectorization::operator()(std::span<const std::string> texts) const {
  check_adapted("operator()");
  const int64_t len = options_.output_sequence_length;
  if (len == 0) {
    throw StateError(
        "TextVectorization: set output_sequence_length for a tensor, or use to_sequences() and "
        "utils::pad_sequences.");
  }
  const auto seqs = to_sequences(texts);
  Tensor out = Tensor::zeros(Shape{static_cast<int64_t>(seqs.size()), len}, DType::int64);
  int64_t* p = out.data<int64_t>();
  for (size_t i = 0; i < seqs.size(); ++i) {
    const auto n = std::min<int64_t>(len, static_cast<int64_t>(seqs[i].size()));
    std::copy_n(seqs[i].begin(), n, p + static_cast<int64_t>(i) * len);
  }
  return out;
}

}  // namespace soma::text
