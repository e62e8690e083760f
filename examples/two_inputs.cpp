// Two inputs, two outputs (the functional API): an MNIST image and a question flag go in; the digit and
// the answer to the question come out. Flag 0 asks "is the digit odd?", flag 1 asks "is it 5 or more?",
// so the answer needs both inputs. The total loss is 1.0 * digit loss + 0.5 * answer loss (Keras'
// loss_weights); History and the progress bar name each part (digit_loss, answer_accuracy, ...).
#include "example_common.hpp"

namespace {
namespace L = soma::layers;

// One random question per sample, and its answer for the digit in that row.
std::pair<soma::Tensor, soma::Tensor> questions(const soma::Tensor& one_hot) {
  const int64_t n = one_hot.dim(0);
  soma::Tensor flags = soma::Tensor::zeros({n, 1}), answers = soma::Tensor::zeros({n, 1});
  for (int64_t i = 0; i < n; ++i) {
    const float* row = one_hot.f32() + i * 10;
    const int64_t digit = std::max_element(row, row + 10) - row;
    const bool ask_high = soma::random::uniform(0.0f, 1.0f) < 0.5f;
    flags.f32()[i] = ask_high ? 1.0f : 0.0f;
    answers.f32()[i] = (ask_high ? digit >= 5 : digit % 2 == 1) ? 1.0f : 0.0f;
  }
  return {flags, answers};
}
}  // namespace

int main(int argc, char** argv) try {
  auto args = example::parse(argc, argv, "Train a two-input, two-output model on MNIST", 3);
  const auto [x_train, y_train, x_test, y_test] = example::load(args, {28, 28, 1});
  const auto [flag_train, answer_train] = questions(y_train);
  const auto [flag_test, answer_test] = questions(y_test);

  auto image = soma::Input({28, 28, 1}, {.name = "image"});
  auto flag = soma::Input({1}, {.name = "flag"});
  auto h = L::Conv2D({.filters = 32, .kernel_size = {3, 3}, .activation = "relu"})(image);
  h = L::MaxPooling2D()(h);
  h = L::Conv2D({.filters = 64, .kernel_size = {3, 3}, .activation = "relu"})(h);
  h = L::MaxPooling2D()(h);
  auto features = L::Dense({.units = 128, .activation = "relu"})(L::Flatten()(h));
  auto digit = L::Dense({.units = 10, .activation = "softmax", .name = "digit"})(features);
  auto both = L::Concatenate()({features, flag});
  auto answer = L::Dense({.units = 1, .activation = "sigmoid", .name = "answer"})(
      L::Dense({.units = 64, .activation = "relu"})(both));
  soma::Model model({image, flag}, {digit, answer}, "two_inputs");
  if (args.verbose) model.summary();

  model.compile({.optimizer = "adam",
                 .losses = {{"digit", "categorical_crossentropy"}, {"answer", "binary_crossentropy"}},
                 .loss_weights = {{"digit", 1.0f}, {"answer", 0.5f}},
                 .output_metrics = {{"digit", {"accuracy"}}, {"answer", {"accuracy"}}}});

  example::Stopwatch clock;
  model.fit({{"image", x_train}, {"flag", flag_train}}, {{"digit", y_train}, {"answer", answer_train}},
            {.batch_size = 64, .epochs = args.epochs, .verbose = args.verbose});
  const double seconds = clock.seconds();

  const auto score = model.evaluate({x_test, flag_test}, {y_test, answer_test}, {.verbose = 0});
  std::printf("Test loss: %.4f (digit %.4f, answer %.4f)\nTest accuracy: digit %.4f, answer %.4f\n",
              score.at("loss"), score.at("digit_loss"), score.at("answer_loss"), score.at("digit_accuracy"),
              score.at("answer_accuracy"));
  std::printf("RESULT example=two_inputs dataset=%s epochs=%d digit_accuracy=%.4f answer_accuracy=%.4f "
              "train_samples_per_s=%.0f\n",
              args.dataset.c_str(), args.epochs, score.at("digit_accuracy"), score.at("answer_accuracy"),
              static_cast<double>(x_train.dim(0)) * args.epochs / seconds);
} catch (const soma::Error& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
