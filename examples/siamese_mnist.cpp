// A siamese network (the functional API): one encoder, a model of its own, is called on two images, so
// both branches share its weights and its gradient sums over both calls. The cosine similarity of the
// two embeddings (Dot with normalize) feeds a sigmoid that says whether the images show the same digit.
// Trained on balanced same/different pairs of MNIST digits; the test pairs come from the test images.
#include "example_common.hpp"

namespace {
namespace L = soma::layers;

struct Pairs {
  soma::Tensor left, right, same;
};

// n pairs, half of the same digit and half of different digits, drawn from (images, one-hot labels).
Pairs make_pairs(const soma::Tensor& images, const soma::Tensor& one_hot, int64_t n) {
  const int64_t count = images.dim(0), per = images.shape().sample_size();
  std::vector<std::vector<int64_t>> by_digit(10);
  for (int64_t i = 0; i < count; ++i) {
    const float* row = one_hot.f32() + i * 10;
    by_digit[static_cast<size_t>(std::max_element(row, row + 10) - row)].push_back(i);
  }
  auto pick = [](const std::vector<int64_t>& v) {
    return v[static_cast<size_t>(soma::random::uniform(0.0f, 1.0f) * static_cast<float>(v.size())) % v.size()];
  };
  auto digit_at = [](float u) { return std::min<int64_t>(static_cast<int64_t>(u * 10.0f), 9); };
  const soma::Shape shape = images.shape().with_dim(0, n);
  Pairs p{soma::Tensor::empty(shape), soma::Tensor::empty(shape), soma::Tensor::zeros({n, 1})};
  for (int64_t i = 0; i < n; ++i) {
    const int64_t a = digit_at(soma::random::uniform(0.0f, 1.0f));
    int64_t b = a;
    const bool same = i % 2 == 0;
    if (!same) b = (a + 1 + digit_at(soma::random::uniform(0.0f, 0.9f))) % 10;  // any other digit
    std::copy_n(images.f32() + pick(by_digit[a]) * per, per, p.left.f32() + i * per);
    std::copy_n(images.f32() + pick(by_digit[b]) * per, per, p.right.f32() + i * per);
    p.same.f32()[i] = same ? 1.0f : 0.0f;
  }
  return p;
}
}  // namespace

int main(int argc, char** argv) try {
  int64_t pairs = 30000;
  auto args = example::parse(argc, argv, "Train a siamese network on same/different MNIST digit pairs", 4,
                             [&](CLI::App& app) { app.add_option("--pairs", pairs, "Training pairs per epoch"); });
  const auto [x_train, y_train, x_test, y_test] = example::load(args, {28, 28, 1});
  const Pairs train = make_pairs(x_train, y_train, args.limit > 0 ? std::min(pairs, args.limit) : pairs);
  const Pairs test = make_pairs(x_test, y_test, 10000);

  auto image = soma::Input({28, 28, 1}, {.name = "image"});
  auto h = L::Conv2D({.filters = 32, .kernel_size = {3, 3}, .activation = "relu"})(image);
  h = L::MaxPooling2D()(h);
  h = L::Conv2D({.filters = 64, .kernel_size = {3, 3}, .activation = "relu"})(h);
  h = L::MaxPooling2D()(h);
  auto embedding = L::Dense({.units = 64})(L::Flatten()(h));
  auto encoder = soma::shared_layer(soma::Model({image}, {embedding}, "encoder"));

  auto left = soma::Input({28, 28, 1}, {.name = "left"});
  auto right = soma::Input({28, 28, 1}, {.name = "right"});
  auto similarity = L::Dot({.axes = {1}, .normalize = true})({encoder(left), encoder(right)});
  auto same = L::Dense({.units = 1, .activation = "sigmoid", .name = "same"})(similarity);
  soma::Model model({left, right}, {same}, "siamese");
  if (args.verbose) model.summary();
  model.compile({.optimizer = "adam", .loss = "binary_crossentropy", .metrics = {"accuracy"}});

  example::Stopwatch clock;
  model.fit({train.left, train.right}, train.same,
            {.batch_size = 64, .epochs = args.epochs, .verbose = args.verbose});
  const double seconds = clock.seconds();

  const auto score = model.evaluate({test.left, test.right}, test.same, {.verbose = 0});
  std::printf("Test loss: %.4f\nTest accuracy (same/different): %.4f\n", score.at("loss"), score.at("accuracy"));
  example::print_result("siamese_mnist", args, score.at("accuracy"),
                        static_cast<double>(train.left.dim(0)) * args.epochs / seconds);
} catch (const soma::Error& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
