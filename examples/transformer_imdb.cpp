// Keras' "Text classification with Transformer" recipe on the IMDB reviews, with the functional API:
// token + learned position embeddings (32 wide), one Transformer block (MultiHeadAttention with 2 heads
// of 32, dropout 0.1, residual + LayerNormalization(1e-6), feed-forward Dense(32, relu) - Dense(32),
// dropout, residual + LayerNormalization), GlobalAveragePooling1D, Dropout(0.1), Dense(20, relu),
// Dropout(0.1), Dense(2, softmax); adam, sparse categorical cross-entropy, batch 32, 2 epochs. The
// vocabulary is the 20,000 most frequent words of the training reviews, each review cut or padded to 200.
#include "imdb_data.hpp"
#include "transformer_model.hpp"

int main(int argc, char** argv) try {
  int64_t maxlen = 200, max_tokens = 20000;
  bool validate = false;
  auto args = example::parse(argc, argv, "Classify IMDB reviews with a Transformer block (functional API)", 2,
                             [&](CLI::App& app) {
                               app.add_option("--maxlen", maxlen, "Words kept per review")->check(CLI::PositiveNumber);
                               app.add_option("--max-tokens", max_tokens, "Vocabulary size")
                                   ->check(CLI::Range(3, 1000000));
                               app.add_flag("--validate", validate, "Report the test set's loss and accuracy each epoch");
                             });
  args.dataset = "imdb";
  const example::ImdbData data = example::load_imdb(args, maxlen, max_tokens);
  const auto y_train = data.y_train.astype(soma::DType::float32);
  const auto y_test = data.y_test.astype(soma::DType::float32);

  soma::Model model = example::transformer_classifier(maxlen, data.vocabulary, 32);
  if (args.verbose) model.summary();
  model.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});

  example::Stopwatch clock;
  soma::FitOptions fit{.batch_size = 32, .epochs = args.epochs, .verbose = args.verbose};
  if (validate) fit.validation_data = soma::ValidationData{.x = data.x_test, .y = y_test};
  model.fit(data.x_train, y_train, fit);
  const double seconds = clock.seconds();

  const auto score = model.evaluate(data.x_test, y_test, {.batch_size = 256, .verbose = 0});
  std::printf("Test loss: %.4f\nTest accuracy: %.4f\n", score.at("loss"), score.at("accuracy"));
  example::print_result("transformer_imdb", args, score.at("accuracy"),
                        static_cast<double>(data.x_train.dim(0)) * args.epochs / seconds);
} catch (const soma::Error& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
