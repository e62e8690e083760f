// Fighting overfitting (the tutorials' chapter on it): a too-large MLP (784-512-512-10) trained on a small
// slice of Fashion-MNIST (--limit, default 2,000 images) overfits; the same network with L2 weight
// penalties, dropout and early stopping (restoring the best weights) overfits less. Prints both
// validation curves, epoch by epoch, and the best validation accuracy of each run.
#include "example_common.hpp"

namespace {
namespace L = soma::layers;

soma::Sequential build(bool regularized) {
  const auto l2 = regularized ? soma::regularizers::L2(1e-3f) : soma::regularizers::Regularizer{};
  soma::Sequential m;
  m.add(L::Dense({.units = 512, .activation = "relu", .kernel_regularizer = l2, .input_shape = {784}}));
  if (regularized) m.add(L::Dropout(0.5f));
  m.add(L::Dense({.units = 512, .activation = "relu", .kernel_regularizer = l2}));
  if (regularized) m.add(L::Dropout(0.5f));
  m.add(L::Dense({.units = 10, .activation = "softmax"}));
  m.compile({.optimizer = "adam", .loss = "categorical_crossentropy", .metrics = {"accuracy"}});
  return m;
}
}  // namespace

int main(int argc, char** argv) try {
  auto args = example::parse(argc, argv, "Show overfitting and its cures on a small slice of the data", 40);
  if (args.limit == 0) args.limit = 2000;
  const auto [x_train, y_train, x_test, y_test] = example::load(args, {784});

  soma::History curves[2];
  example::Stopwatch clock;
  for (int regularized = 0; regularized < 2; ++regularized) {
    soma::set_seed(args.seed);
    soma::Sequential model = build(regularized != 0);
    std::vector<soma::callbacks::CallbackArg> callbacks;
    if (regularized) {
      callbacks.push_back(soma::callbacks::EarlyStopping(
          {.monitor = "val_loss", .patience = 10, .restore_best_weights = true}));
    }
    curves[regularized] = model.fit(x_train, y_train,
                                    {.batch_size = 64,
                                     .epochs = args.epochs,
                                     .verbose = 0,
                                     .validation_data = {{x_test, y_test}},
                                     .callbacks = callbacks});
  }
  const double seconds = clock.seconds();
  std::printf("%5s  %-32s  %-32s\n", "epoch", "plain: train_acc val_acc val_loss",
              "regularised: train_acc val_acc val_loss");
  const size_t epochs = std::max(curves[0].epoch.size(), curves[1].epoch.size());
  for (size_t e = 0; e < epochs; ++e) {
    std::printf("%5zu ", e + 1);
    for (const auto& h : curves) {
      if (e < h.epoch.size()) {
        std::printf("  %9.4f %7.4f %8.4f          ", h["accuracy"][e], h["val_accuracy"][e],
                    h["val_loss"][e]);
      } else {
        std::printf("  %-32s", "(stopped early)");
      }
    }
    std::printf("\n");
  }
  const auto best = [](const soma::History& h) {
    return *std::max_element(h["val_accuracy"].begin(), h["val_accuracy"].end());
  };
  const auto gap = [](const soma::History& h) { return h["accuracy"].back() - h["val_accuracy"].back(); };
  std::printf("best validation accuracy: plain %.4f, regularised %.4f\n", best(curves[0]), best(curves[1]));
  std::printf("final train-validation gap: plain %.4f, regularised %.4f\n", gap(curves[0]), gap(curves[1]));
  example::print_result("overfitting", args, best(curves[1]),
                        static_cast<double>(x_train.dim(0)) *
                            static_cast<double>(curves[0].epoch.size() + curves[1].epoch.size()) / seconds);
} catch (const soma::Error& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
