// Each 28x28 image read as a sequence of 28 rows of 28 pixels: LSTM(128) -> Dense(10, softmax), Adam,
// batch 128 (the classic "MNIST with an RNN" tutorial).
#include "example_common.hpp"

int main(int argc, char** argv) try {
  namespace L = soma::layers;
  const auto args = example::parse(argc, argv, "Train an LSTM on MNIST or Fashion-MNIST rows", 5);
  const auto [x_train, y_train, x_test, y_test] = example::load(args, {28, 28});

  soma::Sequential model;
  model.add(L::LSTM({.units = 128, .input_shape = {28, 28}}));
  model.add(L::Dense({.units = 10, .activation = "softmax"}));
  if (args.verbose) model.summary();
  model.compile({.optimizer = "adam", .loss = "categorical_crossentropy", .metrics = {"accuracy"}});

  example::Stopwatch clock;
  model.fit(x_train, y_train, {.batch_size = 128, .epochs = args.epochs, .verbose = args.verbose});
  const double seconds = clock.seconds();

  const auto score = model.evaluate(x_test, y_test, {.verbose = 0});
  std::printf("Test loss: %.4f\nTest accuracy: %.4f\n", score.at("loss"), score.at("accuracy"));
  example::print_result("lstm_mnist", args, score.at("accuracy"),
                        static_cast<double>(x_train.dim(0)) * args.epochs / seconds);
} catch (const soma::Error& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
