// The small MLP with SGD: 784-32-10, SGD(lr 0.01, decay 1e-6, momentum 0.9, nesterov), batch 32.
#include "example_common.hpp"

int main(int argc, char** argv) try {
  namespace L = soma::layers;
  const auto args = example::parse(argc, argv, "Train 784-32-10 with SGD + Nesterov momentum", 10);
  const auto [x_train, y_train, x_test, y_test] = example::load(args, {784});

  soma::Sequential model;
  model.add(L::Dense({.units = 32, .activation = "relu", .input_shape = {784}}));
  model.add(L::Dense({.units = 10, .activation = "softmax"}));
  model.compile({.optimizer = soma::optimizers::SGD(
                     {.learning_rate = 0.01f, .momentum = 0.9f, .nesterov = true, .decay = 1e-6f}),
                 .loss = "categorical_crossentropy",
                 .metrics = {"accuracy"}});

  example::Stopwatch clock;
  model.fit(x_train, y_train, {.batch_size = 32, .epochs = args.epochs, .verbose = args.verbose});
  const double seconds = clock.seconds();

  const auto score = model.evaluate(x_test, y_test, {.verbose = 0});
  std::printf("Test loss: %.4f\nTest accuracy: %.4f\n", score.at("loss"), score.at("accuracy"));
  example::print_result("sgd_nesterov", args, score.at("accuracy"),
                        static_cast<double>(x_train.dim(0)) * args.epochs / seconds);
} catch (const soma::Error& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
