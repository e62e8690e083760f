// The Keras binary-classification tutorial: Dense(10, relu, input_dim 8) -> Dense(8, relu) -> Dense(1,
// sigmoid), adam, binary_crossentropy, 1000 random samples, batch 32. Keras' version draws labels at random,
// which leaves nothing to learn; here each label follows a fixed hidden rule on the 8 random features (with
// 5% of the labels flipped), so the accuracy shows whether training works. --data/--dataset are accepted for
// uniformity and ignored.
#include "example_common.hpp"

namespace {
// y = 1 when a fixed weighted sum of the features exceeds its median-ish threshold.
std::pair<soma::Tensor, soma::Tensor> make_data(int64_t n) {
  const float w[8] = {0.9f, -0.7f, 0.5f, 0.8f, -0.4f, 0.6f, -0.9f, 0.3f};
  soma::Tensor x = soma::Tensor::empty({n, 8}), y = soma::Tensor::empty({n, 1});
  for (int64_t i = 0; i < n; ++i) {
    float s = 0.0f;
    for (int j = 0; j < 8; ++j) {
      const float v = soma::random::uniform(0.0f, 1.0f);
      x.f32()[i * 8 + j] = v;
      s += w[j] * (v - 0.5f);
    }
    const bool label = (s > 0.0f) != (soma::random::uniform01() < 0.05);
    y.f32()[i] = label ? 1.0f : 0.0f;
  }
  return {x, y};
}
}  // namespace

int main(int argc, char** argv) try {
  namespace L = soma::layers;
  auto args = example::parse(argc, argv, "Train a small binary classifier on 1000 synthetic samples", 10);
  args.dataset = "synthetic";
  const auto [x_train, y_train] = make_data(1000);
  const auto [x_test, y_test] = make_data(1000);

  soma::Sequential model;
  model.add(L::Dense({.units = 10, .activation = "relu", .input_dim = 8}));
  model.add(L::Dense({.units = 8, .activation = "relu"}));
  model.add(L::Dense({.units = 1, .activation = "sigmoid"}));
  model.compile({.optimizer = "adam", .loss = "binary_crossentropy", .metrics = {"accuracy"}});

  example::Stopwatch clock;
  model.fit(x_train, y_train, {.batch_size = 32, .epochs = args.epochs, .verbose = args.verbose});
  const double seconds = clock.seconds();

  const auto score = model.evaluate(x_test, y_test, {.verbose = 0});
  std::printf("Test loss: %.4f\nTest accuracy: %.4f\n", score.at("loss"), score.at("accuracy"));
  example::print_result("binary_classifier", args, score.at("accuracy"),
                        static_cast<double>(x_train.dim(0)) * args.epochs / seconds);
} catch (const soma::Error& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
