#pragma once
// The main of the functional image classifiers (resnet_fashion, mobilenet_fashion): Adam at 1e-3 with the
// learning rate divided by 10 for the last quarter of the epochs, batch 128, `--validate` for the test
// set's loss and accuracy each epoch, then the test score and the RESULT line.
#include "example_common.hpp"

namespace example {

inline int train_image_classifier(int argc, char** argv, const char* name, const char* description,
                                  int default_epochs, soma::Model (*make_model)()) try {
  bool validate = false;
  auto args = example::parse(
      argc, argv, description, default_epochs,
      [&](CLI::App& app) { app.add_flag("--validate", validate, "Report the test set's loss and accuracy each epoch"); },
      "fashion_mnist");
  const auto [x_train, y_train, x_test, y_test] = example::load(args, {28, 28, 1});

  soma::Model model = make_model();
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
  example::print_result(name, args, score.at("accuracy"), static_cast<double>(x_train.dim(0)) * args.epochs / seconds);
  return 0;
} catch (const soma::Error& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}

}  // namespace example
