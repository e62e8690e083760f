// Sentiment of IMDB reviews (Keras' imdb_lstm.py, on the raw texts): a vocabulary of the 20,000 most
// frequent words built by TextVectorization, reviews cut or padded (at the front) to 200 words, then
// Embedding(20000, 128) -> LSTM(128) -> Dense(1, sigmoid), adam, binary cross-entropy, batch 32.
#include "example_common.hpp"

namespace {
// The reviews contain HTML line breaks; they are not words.
std::string standardize(std::string_view text) {
  std::string out(text);
  for (size_t at = out.find("<br />"); at != std::string::npos; at = out.find("<br />", at))
    out.replace(at, 6, " ");
  std::string clean;
  clean.reserve(out.size());
  for (char c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (!std::ispunct(u)) clean.push_back(static_cast<char>(std::tolower(u)));
  }
  return clean;
}
}  // namespace

int main(int argc, char** argv) try {
  namespace L = soma::layers;
  int64_t maxlen = 200, max_tokens = 20000;
  auto args = example::parse(
      argc, argv, "Classify IMDB reviews as positive or negative with an LSTM", 2, [&](CLI::App& app) {
        app.add_option("--maxlen", maxlen, "Words kept per review")->check(CLI::PositiveNumber);
        app.add_option("--max-tokens", max_tokens, "Vocabulary size")->check(CLI::Range(3, 1000000));
      });
  args.dataset = "imdb";
  auto [train, test] = soma::datasets::imdb::load(args.data.empty() ? "" : args.data + "/reviews.json");
  if (args.limit > 0 && args.limit < static_cast<int64_t>(train.texts.size())) {
    // The training split lists its negative reviews first: a balanced slice takes from both ends.
    const auto half = static_cast<size_t>(args.limit / 2);
    std::vector<std::string> texts(train.texts.begin(), train.texts.begin() + half);
    texts.insert(texts.end(), train.texts.end() - half, train.texts.end());
    std::vector<int64_t> labels(half, 0);
    labels.insert(labels.end(), half, 1);
    train.texts = std::move(texts);
    train.labels = soma::Tensor::from_vector(labels, {static_cast<int64_t>(labels.size())});
  }

  soma::text::TextVectorization vectorize({.max_tokens = max_tokens, .custom_standardize = standardize});
  vectorize.adapt(train.texts);
  const auto x_train = soma::utils::pad_sequences(vectorize.to_sequences(train.texts), {.maxlen = maxlen});
  const auto x_test = soma::utils::pad_sequences(vectorize.to_sequences(test.texts), {.maxlen = maxlen});
  const auto y_train = train.labels.astype(soma::DType::float32).reshape({-1, 1});
  const auto y_test = test.labels.astype(soma::DType::float32).reshape({-1, 1});
  std::printf("%lld training and %lld test reviews, vocabulary of %lld words\n",
              static_cast<long long>(x_train.dim(0)), static_cast<long long>(x_test.dim(0)),
              static_cast<long long>(vectorize.vocabulary_size()));

  soma::Sequential model;
  model.add(
      L::Embedding({.input_dim = vectorize.vocabulary_size(), .output_dim = 128, .input_shape = {maxlen}}));
  model.add(L::LSTM({.units = 128}));
  model.add(L::Dense({.units = 1, .activation = "sigmoid"}));
  if (args.verbose) model.summary();
  model.compile({.optimizer = "adam", .loss = "binary_crossentropy", .metrics = {"accuracy"}});

  example::Stopwatch clock;
  model.fit(x_train, y_train, {.batch_size = 32, .epochs = args.epochs, .verbose = args.verbose});
  const double seconds = clock.seconds();

  const auto score = model.evaluate(x_test, y_test, {.batch_size = 256, .verbose = 0});
  std::printf("Test loss: %.4f\nTest accuracy: %.4f\n", score.at("loss"), score.at("accuracy"));
  example::print_result("imdb_sentiment", args, score.at("accuracy"),
                        static_cast<double>(x_train.dim(0)) * args.epochs / seconds);
} catch (const soma::Error& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
