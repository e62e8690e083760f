// Fighting overfitting (the tutorials' chapter on it): a too-large MLP (784-512-512-10) trained on a small
// slice of Fashion-MNIST (--limit, default 2,000 images) overfits; the same network with the classic cures
// overfits less and generalises better. Validation uses 10,000 other training images (so choosing the
// best epoch never looks at the test set); both runs are then scored on the test set.
//
// The cures, as Srivastava et al.'s dropout paper and the Keras tutorials combine them: dropout on the
// input (--input-dropout) and on the hidden layers (--dropout), a max-norm constraint on the kernels
// (--max-norm), L2 weight penalties (--l2) and early stopping on val_loss that restores the best weights
// (--patience).
#include "example_common.hpp"

namespace {
namespace L = soma::layers;

struct Cures {
  float l2 = 1e-4f;
  float input_dropout = 0.2f;
  float dropout = 0.5f;
  float max_norm = 3.0f;
  int patience = 20;
};

soma::Sequential build(const Cures* cures) {
  const auto l2 = cures ? soma::regularizers::L2(cures->l2) : soma::regularizers::Regularizer{};
  const auto norm = cures && cures->max_norm > 0 ? soma::constraints::MaxNorm(cures->max_norm)
                                                 : soma::constraints::Constraint{};
  soma::Sequential m;
  if (cures) m.add(L::Dropout({.rate = cures->input_dropout, .input_shape = {784}}));
  m.add(L::Dense({.units = 512,
                  .activation = "relu",
                  .kernel_regularizer = l2,
                  .kernel_constraint = norm,
                  .input_shape = cures ? std::vector<int64_t>{} : std::vector<int64_t>{784}}));
  if (cures) m.add(L::Dropout(cures->dropout));
  m.add(L::Dense({.units = 512, .activation = "relu", .kernel_regularizer = l2, .kernel_constraint = norm}));
  if (cures) m.add(L::Dropout(cures->dropout));
  m.add(L::Dense({.units = 10, .activation = "softmax"}));
  m.compile({.optimizer = "adam", .loss = "categorical_crossentropy", .metrics = {"accuracy"}});
  return m;
}
}  // namespace

int main(int argc, char** argv) try {
  Cures cures;
  auto args = example::parse(
      argc, argv, "Show overfitting and its cures on a small slice of the data", 60, [&](CLI::App& app) {
        app.add_option("--l2", cures.l2, "L2 penalty on the kernels");
        app.add_option("--input-dropout", cures.input_dropout, "Dropout rate on the input");
        app.add_option("--dropout", cures.dropout, "Dropout rate after each hidden layer");
        app.add_option("--max-norm", cures.max_norm, "MaxNorm on the kernels (0: none)");
        app.add_option("--patience", cures.patience, "EarlyStopping patience (epochs)");
      });
  if (args.limit == 0) args.limit = 2000;
  // Train on the first `limit` images, validate on the 10,000 after them.
  example::Args all = args;
  all.limit = args.limit + 10000;
  const auto [x_pool, y_pool, x_test, y_test] = example::load(all, {784});
  const soma::Tensor x_train = x_pool.rows(0, args.limit), y_train = y_pool.rows(0, args.limit);
  const soma::Tensor x_val = x_pool.rows(args.limit, x_pool.dim(0)),
                     y_val = y_pool.rows(args.limit, y_pool.dim(0));

  soma::History curves[2];
  double test_accuracy[2];
  example::Stopwatch clock;
  for (int cured = 0; cured < 2; ++cured) {
    soma::set_seed(args.seed);
    soma::Sequential model = build(cured ? &cures : nullptr);
    std::vector<soma::callbacks::CallbackArg> callbacks;
    if (cured) {
      callbacks.push_back(soma::callbacks::EarlyStopping(
          {.monitor = "val_loss", .patience = cures.patience, .restore_best_weights = true}));
    }
    curves[cured] = model.fit(x_train, y_train,
                              {.batch_size = 64,
                               .epochs = args.epochs,
                               .verbose = 0,
                               .validation_data = {{x_val, y_val}},
                               .callbacks = callbacks});
    test_accuracy[cured] = model.evaluate(x_test, y_test, {.verbose = 0}).at("accuracy");
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
  std::printf("test accuracy (final weights; regularised: restored best): plain %.4f, regularised %.4f\n",
              test_accuracy[0], test_accuracy[1]);
  example::print_result("overfitting", args, test_accuracy[1],
                        static_cast<double>(x_train.dim(0)) *
                            static_cast<double>(curves[0].epoch.size() + curves[1].epoch.size()) / seconds);
} catch (const soma::Error& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
