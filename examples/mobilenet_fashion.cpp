// A small MobileNetV2-style network on Fashion-MNIST (examples/mobilenet_model.hpp): depthwise separable
// inverted residual blocks with ReLU(max_value=6), BatchNormalization and residual Adds, with
// RandomFlip("horizontal") and RandomTranslation(0.1, 0.1) augmentation inside the model (active in fit
// only, so the saved model takes raw images). Adam with the learning rate divided by 10 for the last
// quarter of the epochs; batch 128.
#include "example_common.hpp"
#include "mobilenet_model.hpp"

int main(int argc, char** argv) try {
  bool validate = false;
  auto args = example::parse(
      argc, argv, "Train a small MobileNet (depthwise separable convolutions) on Fashion-MNIST", 15,
      [&](CLI::App& app) { app.add_flag("--validate", validate, "Report the test set's loss and accuracy each epoch"); },
      "fashion_mnist");
  const auto [x_train, y_train, x_test, y_test] = example::load(args, {28, 28, 1});

  soma::Model model = example::small_mobilenet();
  if (args.verbose) model.summary();
  model.compile({.optimizer = soma::optimizers::Adam({.learning_rate = 1e-3}),
                 .loss = "categorical_crossentropy",
                 .metrics = {"accuracy"}});
  const int epochs = args.epochs;
  soma::callbacks::LearningRateScheduler schedule(
      [epochs](int epoch, double lr) { return epoch == epochs - epochs / 4 && epoch > 0 ? lr / 10 : lr; });

  example::Stopwatch clock;
  soma::FitOptions fit{.batch_size = 128, .epochs = epochs, .verbose = args.verbose, .callbacks = {schedule}};
  if (validate) fit.validation_data = soma::ValidationData{.x = x_test, .y = y_test};
  model.fit(x_train, y_train, fit);
  const double seconds = clock.seconds();

  const auto score = model.evaluate(x_test, y_test, {.batch_size = 256, .verbose = 0});
  std::printf("Test loss: %.4f\nTest accuracy: %.4f\n", score.at("loss"), score.at("accuracy"));
  example::print_result("mobilenet_fashion", args, score.at("accuracy"),
                        static_cast<double>(x_train.dim(0)) * args.epochs / seconds);
} catch (const soma::Error& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
