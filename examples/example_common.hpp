#pragma once
// What every tutorial example shares: its command line, loading MNIST or Fashion-MNIST the way the Keras
// tutorials do (flatten or not, scale to 0..1, one-hot labels), and the closing RESULT line.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <soma/soma.hpp>
#include <string>

namespace example {

struct Args {
  std::string data;  // directory with the four IDX files; empty: the data set's default location
  std::string dataset = "mnist";
  int epochs;
  int verbose = 1;
  int64_t limit = 0;  // use only the first N training samples (0: all), for quick runs
  uint64_t seed = 42;
  std::string precision = "float32";
};

// `extra` adds an example's own options.
inline Args parse(int argc, char** argv, const std::string& description, int default_epochs,
                  const std::function<void(CLI::App&)>& extra = {},
                  const std::string& default_dataset = "mnist") {
  Args a;
  a.epochs = default_epochs;
  a.dataset = default_dataset;
  CLI::App app{description};
  app.add_option("--data", a.data, "Directory with the IDX files (default: the data set's usual place)");
  app.add_option("--dataset", a.dataset, "mnist or fashion_mnist")
      ->check(CLI::IsMember({"mnist", "fashion_mnist"}));
  app.add_option("--epochs", a.epochs, "Training epochs")->check(CLI::NonNegativeNumber);
  app.add_option("--verbose", a.verbose, "0 silent, 1 progress bar, 2 one line per epoch")
      ->check(CLI::Range(0, 2));
  app.add_option("--limit", a.limit, "Train on the first N samples only (0: all)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--seed", a.seed, "Random seed");
  if (extra) extra(app);
  app.add_option("--precision", a.precision, "Dtype policy: float32 or mixed_bfloat16")
      ->check(CLI::IsMember({"float32", "mixed_bfloat16"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  }
  soma::set_seed(a.seed);
  soma::mixed_precision::set_global_policy(a.precision);
  return a;
}

struct Data {
  soma::Tensor x_train, y_train, x_test, y_test;
};

// Images scaled to 0..1 with the given per-sample shape ({784} for MLPs, {28, 28, 1} for CNNs), one-hot
// labels.
inline Data load(const Args& a, const soma::Shape& sample_shape) {
  auto [train, test] = a.dataset == "mnist" ? soma::datasets::mnist::load(a.data)
                                            : soma::datasets::fashion_mnist::load(a.data);
  if (a.limit > 0 && a.limit < train.images.dim(0)) {
    train.images = train.images.rows(0, a.limit);
    train.labels = train.labels.rows(0, a.limit);
  }
  auto prepare = [&](const soma::Tensor& images) {
    return (images / 255.0f).reshape(sample_shape.with_batch(-1));
  };
  return {prepare(train.images), soma::utils::to_categorical(train.labels, 10), prepare(test.images),
          soma::utils::to_categorical(test.labels, 10)};
}

class Stopwatch {
 public:
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

inline void print_result(const std::string& name, const Args& a, double test_accuracy, double samples_per_s) {
  std::printf("RESULT example=%s dataset=%s epochs=%d test_accuracy=%.4f train_samples_per_s=%.0f\n",
              name.c_str(), a.dataset.c_str(), a.epochs, test_accuracy, samples_per_s);
}

}  // namespace example
