// Explaining a CNN (the tutorials' "visualising what convnets learn"): trains a small CNN on MNIST, then
// writes three pictures to --out: the first layer's filters, its feature maps for one test digit, and
// saliency maps (|d class score / d pixel|) of eight test digits under the digits themselves. Prints, per
// digit, how much of the saliency falls on the digit's own strokes.
#include <filesystem>

#include "example_common.hpp"

namespace {
namespace L = soma::layers;
namespace V = soma::visualization;
}  // namespace

int main(int argc, char** argv) try {
  std::string out_dir = "explain_cnn_output";
  auto args =
      example::parse(argc, argv, "Train a small CNN and draw what it learned and where it looks", 2,
                     [&](CLI::App& app) { app.add_option("--out", out_dir, "Directory for the PNG files"); });
  const auto [x_train, y_train, x_test, y_test] = example::load(args, {28, 28, 1});

  soma::Sequential model;
  model.add(L::Conv2D({.filters = 16, .kernel_size = {3}, .activation = "relu", .input_shape = {28, 28, 1}}));
  model.add(L::MaxPooling2D());
  model.add(L::Conv2D({.filters = 32, .kernel_size = {3}, .activation = "relu"}));
  model.add(L::MaxPooling2D());
  model.add(L::Flatten());
  model.add(L::Dense({.units = 10, .activation = "softmax"}));
  model.compile({.optimizer = "adam", .loss = "categorical_crossentropy", .metrics = {"accuracy"}});
  example::Stopwatch clock;
  model.fit(x_train, y_train, {.batch_size = 128, .epochs = args.epochs, .verbose = args.verbose});
  const double seconds = clock.seconds();
  const double accuracy = model.evaluate(x_test, y_test, {.verbose = 0}).at("accuracy");

  std::filesystem::create_directories(out_dir);
  // 1. What the first layer looks for: its 16 3x3 kernels.
  auto& conv = dynamic_cast<L::Conv2D&>(model.layer(0));
  soma::data::save_image(out_dir + "/filters.png", V::tile_images(V::conv_filters(conv.kernel().value),
                                                                  {.columns = 8, .padding = 1, .scale = 8}));
  // 2. What it sees in the first test digit: 16 feature maps of 26x26.
  const soma::Tensor digit = x_test.rows(0, 1);
  soma::data::save_image(
      out_dir + "/feature_maps.png",
      V::tile_images(V::channels_first(model.layer_outputs(digit)[0]), {.columns = 8, .scale = 2}));
  // 3. Where it looks: the gradient of each digit's predicted class score with respect to its pixels.
  const int64_t n = 8;
  const soma::Tensor batch = x_test.rows(0, n);
  const soma::Tensor probs = model.predict(batch);
  soma::Tensor seed = soma::Tensor::zeros({n, 10});
  std::vector<int64_t> predicted(n);
  for (int64_t i = 0; i < n; ++i) {
    const float* p = probs.f32() + i * 10;
    predicted[static_cast<size_t>(i)] = std::max_element(p, p + 10) - p;
    seed.f32()[i * 10 + predicted[static_cast<size_t>(i)]] = 1.0f;
  }
  const soma::Tensor grad = model.input_gradient(batch, seed);
  soma::Tensor panel = soma::Tensor::empty({2 * n, 28, 28});
  std::copy_n(batch.f32(), n * 784, panel.f32());
  for (int64_t i = 0; i < n * 784; ++i) panel.f32()[n * 784 + i] = std::fabs(grad.f32()[i]);
  soma::data::save_image(out_dir + "/saliency.png",
                         V::tile_images(panel, {.columns = n, .padding = 2, .scale = 3}));

  std::printf("test accuracy %.4f; pictures in %s/: filters.png, feature_maps.png, saliency.png\n", accuracy,
              out_dir.c_str());
  std::printf("%6s %9s %6s %22s\n", "digit", "predicted", "label", "saliency on strokes");
  for (int64_t i = 0; i < n; ++i) {
    double on = 0.0, all = 0.0;
    int64_t stroke_pixels = 0;
    for (int64_t k = 0; k < 784; ++k) {
      const double s = std::fabs(grad.f32()[i * 784 + k]);
      all += s;
      if (batch.f32()[i * 784 + k] > 0.5f) {
        on += s;
        ++stroke_pixels;
      }
    }
    const float* label = y_test.f32() + i * 10;
    std::printf("%6lld %9lld %6lld   %5.1f%% of it on %4.1f%% of the pixels\n", static_cast<long long>(i),
                static_cast<long long>(predicted[static_cast<size_t>(i)]),
                static_cast<long long>(std::max_element(label, label + 10) - label),
                all > 0 ? 100.0 * on / all : 0.0, 100.0 * static_cast<double>(stroke_pixels) / 784.0);
  }
  example::print_result("explain_cnn", args, accuracy,
                        static_cast<double>(x_train.dim(0)) * args.epochs / std::max(seconds, 1e-9));
} catch (const soma::Error& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
