// The tutorial CNN (Keras' "simple MNIST convnet" / Deep Learning with Python, chapter 5):
// Conv2D(32, 3x3, relu) -> MaxPooling2D(2) -> Conv2D(64, 3x3, relu) -> MaxPooling2D(2) -> Conv2D(64, 3x3,
// relu)
// -> Flatten -> Dense(64, relu) -> Dense(10, softmax); RMSprop, categorical_crossentropy, batch 64, 5 epochs.
#include "example_common.hpp"

int main(int argc, char** argv) try {
  namespace L = soma::layers;
  const auto args = example::parse(argc, argv, "Train the tutorial CNN on MNIST or Fashion-MNIST", 5);
  const auto [x_train, y_train, x_test, y_test] = example::load(args, {28, 28, 1});

  soma::Sequential model;
  model.add(
      L::Conv2D({.filters = 32, .kernel_size = {3, 3}, .activation = "relu", .input_shape = {28, 28, 1}}));
  model.add(L::MaxPooling2D({.pool_size = {2, 2}}));
  model.add(L::Conv2D({.filters = 64, .kernel_size = {3, 3}, .activation = "relu"}));
  model.add(L::MaxPooling2D({.pool_size = {2, 2}}));
  model.add(L::Conv2D({.filters = 64, .kernel_size = {3, 3}, .activation = "relu"}));
  model.add(L::Flatten());
  model.add(L::Dense({.units = 64, .activation = "relu"}));
  model.add(L::Dense({.units = 10, .activation = "softmax"}));
  if (args.verbose) model.summary();
  model.compile({.optimizer = "rmsprop", .loss = "categorical_crossentropy", .metrics = {"accuracy"}});

  example::Stopwatch clock;
  model.fit(x_train, y_train, {.batch_size = 64, .epochs = args.epochs, .verbose = args.verbose});
  const double seconds = clock.seconds();

  const auto score = model.evaluate(x_test, y_test, {.verbose = 0});
  std::printf("Test loss: %.4f\nTest accuracy: %.4f\n", score.at("loss"), score.at("accuracy"));
  example::print_result("cnn_mnist", args, score.at("accuracy"),
                        static_cast<double>(x_train.dim(0)) * args.epochs / seconds);
} catch (const soma::Error& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
