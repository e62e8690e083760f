// Sequential end to end: building, compile/fit/evaluate/predict semantics, History, summary, and the
// errors a Keras user can run into.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <sstream>

#include "soma/soma.hpp"
#include "support/allocation_counter.hpp"
#include "support/error_matchers.hpp"

namespace soma {
namespace {
namespace L = layers;
using test::expect_contains;
using test::message_of;

// XOR: the smallest problem a linear model cannot solve.
std::pair<Tensor, Tensor> xor_data() {
  return {Tensor::from_vector<float>({0, 0, 0, 1, 1, 0, 1, 1}, {4, 2}),
          Tensor::from_vector<float>({0, 1, 1, 0}, {4, 1})};
}

Sequential small_classifier(int64_t inputs = 4, int64_t classes = 3) {
  Sequential m;
  m.add(L::Dense({.units = 8, .activation = "relu", .input_shape = {inputs}}));
  m.add(L::Dense({.units = classes, .activation = "softmax"}));
  return m;
}

// Three Gaussian blobs in 4-D, one-hot labels.
std::pair<Tensor, Tensor> blobs(int64_t n) {
  Tensor x = Tensor::empty({n, 4}), y = Tensor::zeros({n, 3});
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = i % 3;
    for (int j = 0; j < 4; ++j) x.f32()[i * 4 + j] = random::normal(j == c ? 2.0f : 0.0f, 0.5f);
    y.f32()[i * 3 + c] = 1.0f;
  }
  return {x, y};
}

TEST(Sequential, LearnsXor) {
  set_seed(1);
  auto [x, y] = xor_data();
  Sequential m;
  m.add(L::Dense({.units = 16, .activation = "tanh", .input_dim = 2}));
  m.add(L::Dense({.units = 1, .activation = "sigmoid"}));
  m.compile({.optimizer = optimizers::Adam({.learning_rate = 0.05f}),
             .loss = "binary_crossentropy",
             .metrics = {"accuracy"}});
  const History h = m.fit(x, y, {.batch_size = 4, .epochs = 300, .verbose = 0});
  EXPECT_EQ(h["loss"].size(), 300u);
  EXPECT_LT(h.last("loss"), 0.1);
  EXPECT_EQ(m.evaluate(x, y, {.verbose = 0}).at("accuracy"), 1.0);
  const Tensor p = m.predict(x);
  EXPECT_LT(p.f32()[0], 0.5f);
  EXPECT_GT(p.f32()[1], 0.5f);
  EXPECT_GT(p.f32()[2], 0.5f);
  EXPECT_LT(p.f32()[3], 0.5f);
}

TEST(Sequential, HistoryHoldsTrainingAndValidationValuesPerEpoch) {
  set_seed(2);
  auto [x, y] = blobs(120);
  auto [xv, yv] = blobs(30);
  Sequential m = small_classifier();
  m.compile({.optimizer = "adam", .loss = "categorical_crossentropy", .metrics = {"accuracy"}});
  const History h = m.fit(x, y, {.batch_size = 16, .epochs = 3, .verbose = 0, .validation_data = {{xv, yv}}});
  EXPECT_EQ(h.epoch, (std::vector<int>{0, 1, 2}));
  for (const char* key : {"loss", "accuracy", "val_loss", "val_accuracy"})
    EXPECT_EQ(h[key].size(), 3u) << key;
  // The validation numbers are those of the weights at the end of the epoch: evaluate() agrees.
  const auto score = m.evaluate(xv, yv, {.verbose = 0});
  EXPECT_NEAR(h.last("val_loss"), score.at("loss"), 1e-6);
  EXPECT_NEAR(h.last("val_accuracy"), score.at("accuracy"), 1e-9);
  expect_contains(message_of<ValueError>([&] { (void)h["val_acc"]; }), {"val_acc", "val_accuracy", "loss"});
}

TEST(Sequential, ValidationSplitHoldsOutTheLastSamples) {
  set_seed(3);
  auto [x, y] = blobs(100);
  Sequential m = small_classifier();
  m.compile({.optimizer = "sgd", .loss = "categorical_crossentropy", .metrics = {"accuracy"}});
  const History h = m.fit(x, y, {.batch_size = 10, .epochs = 1, .verbose = 0, .validation_split = 0.2f});
  const auto held_out = m.evaluate(x.rows(80, 100), y.rows(80, 100), {.verbose = 0});
  EXPECT_NEAR(h.last("val_loss"), held_out.at("loss"), 1e-6);
  // 80 training samples in batches of 10: eight updates.
  EXPECT_EQ(m.optimizer().iterations(), 8);
}

TEST(Sequential, SameSeedSameTraining) {
  auto train = [] {
    set_seed(7);
    auto [x, y] = blobs(90);
    Sequential m;
    m.add(L::Dense({.units = 8, .activation = "relu", .input_shape = {4}}));
    m.add(L::Dropout(0.3f));
    m.add(L::Dense({.units = 3, .activation = "softmax"}));
    m.compile({.optimizer = "rmsprop", .loss = "categorical_crossentropy"});
    return m.fit(x, y, {.batch_size = 8, .epochs = 2, .verbose = 0}).history.at("loss");
  };
  EXPECT_EQ(train(), train());
}

TEST(Sequential, PredictIsIndependentOfBatchSizeAndMatchesEvaluate) {
  set_seed(4);
  auto [x, y] = blobs(50);
  Sequential m = small_classifier();
  m.compile({.optimizer = "adam", .loss = "categorical_crossentropy", .metrics = {"accuracy"}});
  m.fit(x, y, {.batch_size = 8, .epochs = 2, .verbose = 0});
  const Tensor a = m.predict(x, {.batch_size = 7});
  const Tensor b = m.predict(x, {.batch_size = 50});
  ASSERT_EQ(a.shape(), (Shape{50, 3}));
  for (int64_t i = 0; i < a.numel(); ++i) EXPECT_NEAR(a.f32()[i], b.f32()[i], 1e-6f);
  // Accuracy recomputed from the predictions.
  int64_t correct = 0;
  for (int64_t r = 0; r < 50; ++r) {
    const float* p = a.f32() + r * 3;
    const int64_t guess = std::max_element(p, p + 3) - p;
    correct += y.f32()[r * 3 + guess] == 1.0f;
  }
  EXPECT_NEAR(m.evaluate(x, y, {.batch_size = 16, .verbose = 0}).at("accuracy"), correct / 50.0, 1e-9);
}

TEST(Sequential, SparseLabelsAndIntegerImages) {
  set_seed(5);
  auto [x, y] = blobs(60);
  Tensor labels = Tensor::empty({60}, DType::int64);
  for (int64_t i = 0; i < 60; ++i) labels.data<int64_t>()[i] = i % 3;
  Sequential m = small_classifier();
  m.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  m.fit(x, labels, {.batch_size = 8, .epochs = 1, .verbose = 0});
  // Integer inputs are converted to float32 as Keras does.
  Tensor ints = Tensor::zeros({2, 4}, DType::uint8);
  EXPECT_EQ(m.predict(ints).shape(), (Shape{2, 3}));
}

TEST(Sequential, BuildsFromTheFirstBatchWithoutInputShape) {
  set_seed(6);
  Sequential m;
  m.add(L::Dense({.units = 5, .activation = "relu"}));
  m.add(L::Dense({.units = 2}));
  EXPECT_FALSE(m.built());
  expect_contains(message_of<StateError>([&] { m.summary_string(); }), {"summary()", "input_shape"});
  EXPECT_EQ(m.predict(Tensor::zeros({3, 7})).shape(), (Shape{3, 2}));
  EXPECT_TRUE(m.built());
  EXPECT_EQ(m.count_params(), 7 * 5 + 5 + 5 * 2 + 2);
}

TEST(Sequential, SummaryIsTheKerasTable) {
  Sequential m("mlp");
  m.add(L::Dense({.units = 512, .activation = "relu", .input_shape = {784}, .name = "hidden"}));
  m.add(L::Dropout({.rate = 0.2f, .name = "drop"}));
  m.add(L::Dense({.units = 10, .activation = "softmax", .name = "out"}));
  m.layer(2).set_trainable(false);
  const std::string s = m.summary_string();
  expect_contains(s, {"Model: \"mlp\"", "Layer (type)", "Output Shape", "Param #", "hidden (Dense)",
                      "(None, 512)", "401920", "drop (Dropout)", "out (Dense)", "(None, 10)", "5130",
                      "Total params: 407,050", "Trainable params: 401,920", "Non-trainable params: 5,130"});
  // The columns line up: every shape starts where the header's "Output Shape" does.
  std::istringstream lines(s);
  std::string line;
  size_t column = std::string::npos;
  while (std::getline(lines, line)) {
    if (line.find("Output Shape") != std::string::npos) column = line.find("Output Shape");
    if (line.find("(None,") != std::string::npos) {
      EXPECT_EQ(line.find("(None,"), column) << line;
    }
  }
}

TEST(Sequential, ProgressGoesToTheGivenStream) {
  set_seed(8);
  auto [x, y] = blobs(40);
  Sequential m = small_classifier();
  m.compile({.optimizer = "adam", .loss = "categorical_crossentropy", .metrics = {"accuracy"}});
  std::ostringstream out;
  m.fit(x, y, {.batch_size = 10, .epochs = 2, .verbose = 1, .validation_data = {{x, y}}, .out = &out});
  expect_contains(out.str(),
                  {"Epoch 1/2", "Epoch 2/2", "4/4 [==============================] - ",
                   "/step - loss: ", "- loss: ", "- accuracy: ", "- val_loss: ", "- val_accuracy: "});
  std::ostringstream out2;
  m.fit(x, y, {.batch_size = 10, .epochs = 1, .verbose = 2, .out = &out2});
  expect_contains(out2.str(), {"Epoch 1/1\n4/4 - ", "/step - loss: "});
  EXPECT_EQ(out2.str().find('['), std::string::npos) << "verbose 2 draws no bar";
  std::ostringstream silent;
  m.fit(x, y, {.batch_size = 10, .epochs = 1, .verbose = 0, .out = &silent});
  EXPECT_TRUE(silent.str().empty());
}

// The steady-state training step allocates nothing: a fit() over 40 batches makes exactly as many heap
// allocations as one over 10 (the per-call and per-epoch ones), so the 30 extra steps made none. oneDNN's
// execute allocates its argument map each call; that is counted apart and reported.
TEST(Sequential, TrainingStepsDoNotAllocate) {
  if (!testing::kCountsMalloc)
    GTEST_SKIP() << "the sanitizer runtime owns malloc here; the release build checks this";
  set_seed(11);
  auto [x, y] = blobs(640);
  const Tensor x_small = x.rows(0, 160), y_small = y.rows(0, 160);
  Sequential m;
  m.add(L::Dense({.units = 32, .activation = "relu", .input_shape = {4}}));
  m.add(L::Dropout(0.25f));
  m.add(L::Dense({.units = 16, .activation = "tanh"}));
  m.add(L::Dense({.units = 3, .activation = "softmax"}));
  for (const char* optimizer : {"sgd", "rmsprop", "adam"}) {
    m.compile({.optimizer = optimizer, .loss = "categorical_crossentropy", .metrics = {"accuracy"}});
    m.fit(x, y, {.batch_size = 16, .epochs = 1, .verbose = 0});  // sees every shape and builds all state
    const auto small =
        testing::count_allocations([&] { m.fit(x_small, y_small, {.batch_size = 16, .verbose = 0}); });
    const auto large = testing::count_allocations([&] { m.fit(x, y, {.batch_size = 16, .verbose = 0}); });
    EXPECT_EQ(large.soma, small.soma) << optimizer;
    EXPECT_GT(small.soma, 0) << "the counter counts nothing";
    std::printf(
        "[ info     ] %s: %.1f allocations per step inside oneDNN's execute, %ld per fit() call in soma\n",
        optimizer, static_cast<double>(large.onednn - small.onednn) / 30.0, small.soma);
  }
}

// kernel/bias regularizers: the reported loss includes the penalty, the gradient includes its derivative
// (checked against an update computed by hand with plain SGD), and L2 shrinks the weights.
TEST(Regularizers, PenaltyInLossAndGradient) {
  set_seed(13);
  Sequential m;
  m.add(L::Dense({.units = 1,
                  .use_bias = true,
                  .kernel_regularizer = regularizers::L1L2(0.1f, 0.2f),
                  .bias_regularizer = regularizers::L2(0.5f),
                  .input_dim = 2}));
  m.compile({.optimizer = optimizers::SGD({.learning_rate = 0.1f}), .loss = "mse"});
  auto& d = static_cast<L::Dense&>(m.layer(0));
  d.kernel().value.copy_from(Tensor::from_vector<float>({0.5f, -1.0f}, {2, 1}));
  d.bias()->value.copy_from(Tensor::from_vector<float>({0.25f}, {1}));
  const Tensor x = Tensor::from_vector<float>({1.0f, 2.0f}, {1, 2}),
               y = Tensor::from_vector<float>({0.0f}, {1, 1});
  // pred = 0.5 - 2 + 0.25 = -1.25; mse = 1.5625; penalty = 0.1 * 1.5 + 0.2 * 1.25 + 0.5 * 0.0625 = 0.43125
  const double expected_loss = 1.5625 + 0.43125;
  EXPECT_NEAR(m.evaluate(x, y, {.verbose = 0}).at("loss"), expected_loss, 1e-6);
  const History h = m.fit(x, y, {.batch_size = 1, .epochs = 1, .verbose = 0, .shuffle = false});
  EXPECT_NEAR(h.last("loss"), expected_loss, 1e-6);
  // dmse/dpred = 2 * -1.25 = -2.5; dW = x * -2.5 + 0.1 sign(w) + 0.4 w; db = -2.5 + 1.0 * b
  const float w0 = 0.5f - 0.1f * (-2.5f + 0.1f + 0.4f * 0.5f), w1 = -1.0f - 0.1f * (-5.0f - 0.1f - 0.4f);
  const float b = 0.25f - 0.1f * (-2.5f + 0.25f);
  EXPECT_NEAR(d.kernel().value.f32()[0], w0, 1e-6);
  EXPECT_NEAR(d.kernel().value.f32()[1], w1, 1e-6);
  EXPECT_NEAR(d.bias()->value.f32()[0], b, 1e-6);
}

TEST(SequentialErrors, FitBeforeCompile) {
  Sequential m = small_classifier();
  auto [x, y] = blobs(6);
  expect_contains(message_of<StateError>([&] { m.fit(x, y, {.verbose = 0}); }), {"fit()", "compile()"});
  expect_contains(message_of<StateError>([&] { m.evaluate(x, y, {.verbose = 0}); }),
                  {"evaluate()", "compile()"});
}

TEST(SequentialErrors, WrongInputShapeNamesBothShapes) {
  Sequential m = small_classifier(4);
  m.compile({.optimizer = "sgd", .loss = "categorical_crossentropy"});
  expect_contains(message_of<ShapeError>([&] {
                    m.fit(Tensor::zeros({6, 5}), Tensor::zeros({6, 3}), {.verbose = 0});
                  }),
                  {"(None, 4)", "(6, 5)"});
  expect_contains(message_of<ShapeError>([&] {
                    m.predict(Tensor::zeros({2, 2, 2}));
                  }),
                  {"(None, 4)", "(2, 2, 2)"});
}

TEST(SequentialErrors, SampleCountMismatch) {
  Sequential m = small_classifier();
  m.compile({.optimizer = "sgd", .loss = "categorical_crossentropy"});
  expect_contains(message_of<ValueError>([&] {
                    m.fit(Tensor::zeros({6, 4}), Tensor::zeros({5, 3}), {.verbose = 0});
                  }),
                  {"6 samples in x", "5 in y"});
}

TEST(SequentialErrors, TargetsThatDoNotFitTheOutput) {
  Sequential m = small_classifier();
  m.compile({.optimizer = "sgd", .loss = "categorical_crossentropy"});
  expect_contains(message_of<ShapeError>([&] {
                    m.fit(Tensor::zeros({6, 4}), Tensor::zeros({6}), {.verbose = 0});
                  }),
                  {"(6,)", "(6, 3)", "sparse_categorical_crossentropy"});
}

TEST(SequentialErrors, BadCompileArguments) {
  Sequential m = small_classifier();
  expect_contains(message_of<ValueError>([&] { m.compile({.optimizer = "adam"}); }), {"needs a loss"});
  expect_contains(message_of<ValueError>([&] { m.compile({.optimizer = "adamax", .loss = "mse"}); }),
                  {"adamax"});
  expect_contains(message_of<ValueError>([&] { m.compile({.optimizer = "adam", .loss = "hinge_loss"}); }),
                  {"hinge_loss"});
  expect_contains(message_of<ValueError>([&] {
                    m.compile({.optimizer = "adam", .loss = "mse", .metrics = {"precision_at_k"}});
                  }),
                  {"precision_at_k", "accuracy"});
  EXPECT_FALSE(m.compiled());
}

TEST(SequentialErrors, BadFitArguments) {
  Sequential m = small_classifier();
  m.compile({.optimizer = "sgd", .loss = "categorical_crossentropy"});
  auto [x, y] = blobs(6);
  expect_contains(message_of<ValueError>([&] { m.fit(x, y, {.batch_size = 0, .verbose = 0}); }),
                  {"batch_size", "0"});
  expect_contains(message_of<ValueError>([&] { m.fit(x, y, {.verbose = 0, .validation_split = 1.0f}); }),
                  {"validation_split"});
  Tensor bad = x.clone();
  bad.f32()[9] = std::nanf("");
  expect_contains(message_of<ValueError>([&] { m.fit(bad, y, {.verbose = 0}); }), {"non-finite", "sample 2"});
}

TEST(SequentialErrors, UnknownActivationAndDuplicateNames) {
  expect_contains(message_of<ValueError>([] { L::Dense({.units = 3, .activation = "relu6x"}); }),
                  {"relu6x", "relu"});
  Sequential m;
  m.add(L::Dense({.units = 3, .input_dim = 2, .name = "a"}));
  expect_contains(message_of<ValueError>([&] { m.add(L::Dense({.units = 3, .name = "a"})); }),
                  {"unique", "\"a\""});
  expect_contains(message_of<ValueError>([&] { m.get_layer("b"); }), {"\"b\"", "a"});
}

TEST(SequentialErrors, NanLossStopsTrainingWithAClearMessage) {
  set_seed(9);
  Sequential m;
  m.add(L::Dense({.units = 4, .input_dim = 3}));
  m.add(L::Dense({.units = 1}));
  // A learning rate this large sends the weights to infinity within a few steps.
  m.compile({.optimizer = optimizers::SGD({.learning_rate = 1e30f}), .loss = "mse"});
  Tensor x = Tensor::full({64, 3}, 1.0f), y = Tensor::full({64, 1}, 5.0f);
  const std::string msg =
      message_of<ValueError>([&] { m.fit(x, y, {.batch_size = 8, .epochs = 5, .verbose = 0}); });
  expect_contains(msg, {"the loss became", "epoch 1", "learning rate"});
}

TEST(SequentialEndToEnd, FashionMnistSubsetLearns) {
  const std::string dir = datasets::fashion_mnist::default_dir();
  if (!std::filesystem::exists(dir + "/train-images-idx3-ubyte.gz") &&
      !std::filesystem::exists(dir + "/train-images-idx3-ubyte")) {
    GTEST_SKIP() << "Fashion-MNIST not installed in " << dir;
  }
  set_seed(10);
  auto [train, test] = datasets::fashion_mnist::load();
  const Tensor x = (train.images.rows(0, 6000) / 255.0f).reshape({-1, 784});
  const Tensor y = utils::to_categorical(train.labels.rows(0, 6000), 10);
  const Tensor xt = (test.images.rows(0, 2000) / 255.0f).reshape({-1, 784});
  const Tensor yt = utils::to_categorical(test.labels.rows(0, 2000), 10);
  Sequential m;
  m.add(L::Dense({.units = 128, .activation = "relu", .input_shape = {784}}));
  m.add(L::Dense({.units = 10, .activation = "softmax"}));
  m.compile({.optimizer = "rmsprop", .loss = "categorical_crossentropy", .metrics = {"accuracy"}});
  m.fit(x, y, {.batch_size = 64, .epochs = 3, .verbose = 0});
  EXPECT_GT(m.evaluate(xt, yt, {.verbose = 0}).at("accuracy"), 0.78);
}

// A small convnet learns Fashion-MNIST: the convolution, pooling and flatten layers train end to end.
TEST(SequentialEndToEnd, SmallConvnetOnFashionMnistSubsetLearns) {
  const std::string dir = datasets::fashion_mnist::default_dir();
  if (!std::filesystem::exists(dir + "/train-images-idx3-ubyte.gz") &&
      !std::filesystem::exists(dir + "/train-images-idx3-ubyte")) {
    GTEST_SKIP() << "Fashion-MNIST not installed in " << dir;
  }
  set_seed(12);
  auto [train, test] = datasets::fashion_mnist::load();
  const Tensor x = (train.images.rows(0, 4000) / 255.0f).reshape({-1, 28, 28, 1});
  const Tensor xt = (test.images.rows(0, 1000) / 255.0f).reshape({-1, 28, 28, 1});
  Sequential m;
  m.add(L::Conv2D({.filters = 8, .kernel_size = {3}, .activation = "relu", .input_shape = {28, 28, 1}}));
  m.add(L::MaxPooling2D());
  m.add(L::Conv2D({.filters = 16, .kernel_size = {3}, .padding = "same", .activation = "relu"}));
  m.add(L::MaxPooling2D());
  m.add(L::Flatten());
  m.add(L::Dense({.units = 10, .activation = "softmax"}));
  EXPECT_EQ(m.output_shape(), (Shape{10}));
  m.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  m.fit(x, train.labels.rows(0, 4000), {.batch_size = 32, .epochs = 3, .verbose = 0});
  EXPECT_GT(m.evaluate(xt, test.labels.rows(0, 1000), {.verbose = 0}).at("accuracy"), 0.77);
}

}  // namespace
}  // namespace soma
