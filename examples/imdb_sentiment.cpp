// Sentiment of IMDB reviews (Keras' imdb_lstm.py, on the raw texts): a vocabulary of the 20,000 most
// frequent words built by TextVectorization, reviews cut or padded (at the front) to 200 words, then
// Embedding(20000, 128) -> LSTM(128) -> Dense(1, sigmoid), adam, binary cross-entropy, batch 32.
#include "imdb_data.hpp"

int main(int argc, char** argv) try {
  namespace L = soma::layers;
  int64_t maxlen = 200, max_tokens = 20000;
  auto args = example::parse(
      argc, argv, "Classify IMDB reviews as positive or negative with an LSTM", 2, [&](CLI::App& app) {
        app.add_option("--maxlen", maxlen, "Words kept per review")->check(CLI::PositiveNumber);
        app.add_option("--max-tokens", max_tokens, "Vocabulary size")->check(CLI::Range(3, 1000000));
      });
  args.dataset = "imdb";
  const example::ImdbData data = example::load_imdb(args, maxlen, max_tokens);
  const auto& x_train = data.x_train;
  const auto& x_test = data.x_test;
  const auto y_train = data.y_train.astype(soma::DType::float32).reshape({-1, 1});
  const auto y_test = data.y_test.astype(soma::DType::float32).reshape({-1, 1});

  soma::Sequential model;
  model.add(
      L::Embedding({.input_dim = data.vocabulary, .output_dim = 128, .input_shape = {maxlen}}));
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
