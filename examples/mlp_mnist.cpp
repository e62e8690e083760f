// The tutorial MLP (Keras' mnist_mlp.py): 784-512-512-10, relu, softmax, RMSprop, batch 128. Keras' script
// also puts Dropout(0.2) after each hidden layer: --dropout 0.2 adds them.
#include "example_common.hpp"

int main(int argc, char** argv) try {
  namespace L = soma::layers;
  float dropout = 0.0f;
  const auto args =
      example::parse(argc, argv, "Train the tutorial MLP on MNIST or Fashion-MNIST", 10, [&](CLI::App& app) {
        app.add_option("--dropout", dropout, "Dropout rate after each hidden layer (mnist_mlp.py: 0.2)")
            ->check(CLI::Range(0.0f, 0.99f));
      });
  const auto [x_train, y_train, x_test, y_test] = example::load(args, {784});

  soma::Sequential model;
  model.add(L::Dense({.units = 512, .activation = "relu", .input_shape = {784}}));
  if (dropout > 0) model.add(L::Dropout(dropout));
  model.add(L::Dense({.units = 512, .activation = "relu"}));
  if (dropout > 0) model.add(L::Dropout(dropout));
  model.add(L::Dense({.units = 10, .activation = "softmax"}));
  if (args.verbose) model.summary();
  model.compile({.optimizer = soma::optimizers::RMSprop{},
                 .loss = "categorical_crossentropy",
                 .metrics = {"accuracy"}});

  example::Stopwatch clock;
  model.fit(x_train, y_train,
            {.batch_size = 128,
             .epochs = args.epochs,
             .verbose = args.verbose,
             .validation_data = {{x_test, y_test}}});
  const double seconds = clock.seconds();

  const auto score = model.evaluate(x_test, y_test, {.verbose = 0});
  std::printf("Test loss: %.4f\nTest accuracy: %.4f\n", score.at("loss"), score.at("accuracy"));
  example::print_result("mlp_mnist", args, score.at("accuracy"),
                        static_cast<double>(x_train.dim(0)) * args.epochs / seconds);
} catch (const soma::Error& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
