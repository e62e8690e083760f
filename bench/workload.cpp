// One seed workload in one process, timed the way bench/torch_workload.py times its PyTorch twin:
// a warm-up of a few steps, one timed training epoch over Fashion-MNIST, one timed pass of inference over
// the test set (batch 1000), then peak resident memory. bench/run.sh alternates the two and compares.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <soma/soma.hpp>

#include "../examples/imdb_data.hpp"
#include "../examples/mobilenet_model.hpp"
#include "../examples/transformer_model.hpp"

namespace {
namespace L = soma::layers;

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Workload {
  std::unique_ptr<soma::Model> model;
  soma::Tensor x_train, y_train, x_test, y_test;
  int64_t batch_size;
};

// The binary workload's data, computed the same way in bench/torch_workload.py: 8 features per image
// (the mean brightness of eight horizontal bands of 3 or 4 rows), label 1 for classes 5..9 (sandals,
// shirts, sneakers, bags, ankle boots).
std::pair<soma::Tensor, soma::Tensor> bands(const soma::datasets::Split& s) {
  const int64_t n = s.images.dim(0);
  soma::Tensor x = soma::Tensor::empty({n, 8}), y = soma::Tensor::empty({n, 1});
  const uint8_t* px = s.images.data<uint8_t>();
  for (int64_t i = 0; i < n; ++i) {
    for (int b = 0; b < 8; ++b) {
      const int r0 = b * 28 / 8, r1 = (b + 1) * 28 / 8;
      float sum = 0.0f;
      for (int r = r0; r < r1; ++r)
        for (int c = 0; c < 28; ++c) sum += px[i * 784 + r * 28 + c];
      x.f32()[i * 8 + b] = sum / (255.0f * 28.0f * static_cast<float>(r1 - r0));
    }
    y.f32()[i] = s.labels.data<int64_t>()[i] >= 5 ? 1.0f : 0.0f;
  }
  return {x, y};
}

Workload make(const std::string& name, const std::string& dir) {
  Workload w;
  if (name == "transformer") {
    // IMDB reviews tokenised as the example does (bench/torch_workload.py repeats it in Python).
    example::Args args;
    args.data = dir;
    const example::ImdbData d = example::load_imdb(args, 200, 20000);
    w.x_train = d.x_train, w.x_test = d.x_test;
    w.y_train = d.y_train.astype(soma::DType::float32), w.y_test = d.y_test.astype(soma::DType::float32);
    w.model = std::make_unique<soma::Model>(example::transformer_classifier(200, d.vocabulary, 32));
    w.model->compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
    w.batch_size = 32;
    return w;
  }
  auto [train, test] = soma::datasets::fashion_mnist::load(dir);
  auto seq = std::make_unique<soma::Sequential>();
  if (name == "binary") {
    std::tie(w.x_train, w.y_train) = bands(train);
    std::tie(w.x_test, w.y_test) = bands(test);
    seq->add(L::Dense({.units = 10, .activation = "relu", .input_dim = 8}));
    seq->add(L::Dense({.units = 8, .activation = "relu"}));
    seq->add(L::Dense({.units = 1, .activation = "sigmoid"}));
    seq->compile({.optimizer = "adam", .loss = "binary_crossentropy", .metrics = {"accuracy"}});
    w.batch_size = 32;
    w.model = std::move(seq);
    return w;
  }
  const soma::Shape sample = name == "cnn" || name == "mobilenet" ? soma::Shape{28, 28, 1}
                             : name == "lstm" ? soma::Shape{28, 28}
                                              : soma::Shape{784};
  w.x_train = (train.images / 255.0f).reshape(sample.with_batch(-1));
  w.x_test = (test.images / 255.0f).reshape(sample.with_batch(-1));
  w.y_train = soma::utils::to_categorical(train.labels, 10);
  w.y_test = soma::utils::to_categorical(test.labels, 10);
  if (name == "mlp") {
    seq->add(L::Dense({.units = 512, .activation = "relu", .input_shape = {784}}));
    seq->add(L::Dense({.units = 512, .activation = "relu"}));
    seq->add(L::Dense({.units = 10, .activation = "softmax"}));
    seq->compile({.optimizer = "rmsprop", .loss = "categorical_crossentropy", .metrics = {"accuracy"}});
    w.batch_size = 128;
  } else if (name == "small") {
    seq->add(L::Dense({.units = 32, .activation = "relu", .input_shape = {784}}));
    seq->add(L::Dense({.units = 10, .activation = "softmax"}));
    seq->compile(
        {.optimizer = soma::optimizers::SGD({.learning_rate = 0.01f, .momentum = 0.9f, .nesterov = true}),
         .loss = "categorical_crossentropy",
         .metrics = {"accuracy"}});
    w.batch_size = 32;
  } else if (name == "cnn") {
    seq->add(
        L::Conv2D({.filters = 32, .kernel_size = {3}, .activation = "relu", .input_shape = {28, 28, 1}}));
    seq->add(L::MaxPooling2D());
    seq->add(L::Conv2D({.filters = 64, .kernel_size = {3}, .activation = "relu"}));
    seq->add(L::MaxPooling2D());
    seq->add(L::Conv2D({.filters = 64, .kernel_size = {3}, .activation = "relu"}));
    seq->add(L::Flatten());
    seq->add(L::Dense({.units = 64, .activation = "relu"}));
    seq->add(L::Dense({.units = 10, .activation = "softmax"}));
    seq->compile({.optimizer = "rmsprop", .loss = "categorical_crossentropy", .metrics = {"accuracy"}});
    w.batch_size = 64;
  } else if (name == "mobilenet") {
    // examples/mobilenet_fashion's model and optimizer (a functional graph, not a Sequential).
    w.model = std::make_unique<soma::Model>(example::small_mobilenet());
    w.model->compile({.optimizer = "adam", .loss = "categorical_crossentropy", .metrics = {"accuracy"}});
    w.batch_size = 128;
    return w;
  } else if (name == "lstm") {
    seq->add(L::LSTM({.units = 128, .input_shape = {28, 28}}));
    seq->add(L::Dense({.units = 10, .activation = "softmax"}));
    seq->compile({.optimizer = "adam", .loss = "categorical_crossentropy", .metrics = {"accuracy"}});
    w.batch_size = 128;
  } else {
    throw soma::ValueError("unknown workload \"" + name + "\"; known: mlp, small, binary, cnn, lstm, transformer, mobilenet.");
  }
  w.model = std::move(seq);
  return w;
}
}  // namespace

int main(int argc, char** argv) try {
  std::string name = "mlp", data;
  int warmup_steps = 50, epochs = 1;
  CLI::App app{"Time one soma seed workload (training epoch, inference, peak memory)"};
  app.add_option("--workload", name, "mlp, small, binary, cnn, lstm, transformer or mobilenet");
  app.add_option("--data", data, "Fashion-MNIST directory, or for transformer the one with IMDB's reviews.json");
  app.add_option("--warmup-steps", warmup_steps, "Untimed training steps first");
  app.add_option("--epochs", epochs, "Timed training epochs (samples/s is their average)");
  bool bf16 = false;
  app.add_flag("--bf16", bf16, "Use the mixed_bfloat16 policy");
  CLI11_PARSE(app, argc, argv);
  soma::set_seed(0);
  if (bf16) soma::mixed_precision::set_global_policy("mixed_bfloat16");

  Workload w = make(name, data);
  const int64_t n = w.x_train.dim(0);
  w.model->fit(w.x_train.rows(0, std::min(n, w.batch_size * warmup_steps)),
              w.y_train.rows(0, std::min(n, w.batch_size * warmup_steps)),
              {.batch_size = w.batch_size, .epochs = 1, .verbose = 0});

  double t0 = now_s();
  w.model->fit(w.x_train, w.y_train, {.batch_size = w.batch_size, .epochs = epochs, .verbose = 0});
  const double train_s = now_s() - t0;

  w.model->predict(w.x_test.rows(0, 1000), {.batch_size = 1000});  // warm-up at the timed shape
  t0 = now_s();
  const soma::Tensor p = w.model->predict(w.x_test, {.batch_size = 1000});
  const double infer_s = now_s() - t0;
  const double accuracy =
      w.model->evaluate(w.x_test, w.y_test, {.batch_size = 1000, .verbose = 0}).at("accuracy");

  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf(
      "WORKLOAD impl=soma%s workload=%s train_sps=%.0f infer_sps=%.0f peak_rss_mb=%.1f test_acc=%.4f\n",
      bf16 ? "_bf16" : "", name.c_str(), static_cast<double>(n) * epochs / train_s,
      static_cast<double>(w.x_test.dim(0)) / infer_s, static_cast<double>(usage.ru_maxrss) / 1024.0,
      accuracy);
  (void)p;
} catch (const soma::Error& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
