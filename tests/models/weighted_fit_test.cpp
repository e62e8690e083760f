// fit's class_weight and sample_weight and evaluate's sample_weight, with Keras semantics: they weight
// each sample's loss (divided by the batch size, not the sum of weights), never the metrics.
#include <gtest/gtest.h>

#include <cmath>

#include "soma/soma.hpp"
#include "support/allocation_counter.hpp"
#include "support/error_matchers.hpp"

namespace soma {
namespace {
namespace L = layers;
using test::expect_contains;
using test::message_of;

// Three Gaussian blobs in 4-D; labels i % 3.
std::pair<Tensor, Tensor> blobs(int64_t n) {
  Tensor x = Tensor::empty({n, 4}), y = Tensor::zeros({n, 3});
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = i % 3;
    for (int j = 0; j < 4; ++j) x.f32()[i * 4 + j] = random::normal(j == c ? 2.0f : 0.0f, 0.5f);
    y.f32()[i * 3 + c] = 1.0f;
  }
  return {x, y};
}

Tensor sparse_labels(const Tensor& one_hot) {
  const int64_t n = one_hot.dim(0), k = one_hot.dim(1);
  Tensor labels = Tensor::empty({n}, DType::int64);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < k; ++c)
      if (one_hot.f32()[i * k + c] == 1.0f) labels.data<int64_t>()[i] = c;
  return labels;
}

Sequential classifier(float lr, const char* loss = "categorical_crossentropy", uint64_t seed = 5) {
  set_seed(seed);
  Sequential m;
  m.add(L::Dense({.units = 8, .activation = "relu", .input_shape = {4}}));
  m.add(L::Dense({.units = 3, .activation = "softmax"}));
  m.compile({.optimizer = optimizers::SGD({.learning_rate = lr}), .loss = loss, .metrics = {"accuracy"}});
  return m;
}

Tensor filled(int64_t n, float value) {
  Tensor t = Tensor::empty({n});
  t.fill(value);
  return t;
}

TEST(WeightedFit, SampleWeightTwoDoublesTheLossAndActsAsTwiceTheLearningRate) {
  set_seed(40);
  auto [x, y] = blobs(60);
  Sequential plain = classifier(0.2f), weighted = classifier(0.1f);
  const History hp = plain.fit(x, y, {.batch_size = 60, .epochs = 1, .verbose = 0});
  const History hw =
      weighted.fit(x, y, {.batch_size = 60, .epochs = 1, .verbose = 0, .sample_weight = filled(60, 2.0f)});
  // One full batch: the reported loss is that of the initial (identical) weights.
  EXPECT_NEAR(hw.last("loss"), 2.0 * hp.last("loss"), 1e-6);
  EXPECT_EQ(hw.last("accuracy"), hp.last("accuracy"));  // metrics are unweighted
  // Doubling each sample's loss doubles every gradient: plain SGD at lr 0.1 then moves as at lr 0.2.
  const auto a = plain.get_weights(), b = weighted.get_weights();
  for (size_t i = 0; i < a.size(); ++i)
    for (int64_t j = 0; j < a[i].numel(); ++j) EXPECT_NEAR(a[i].f32()[j], b[i].f32()[j], 1e-6f);
  Sequential more = classifier(0.1f);
  const History many =
      more.fit(x, y, {.batch_size = 7, .epochs = 3, .verbose = 0, .sample_weight = filled(60, 2.0f)});
  EXPECT_LT(many.last("loss"), many["loss"].front());
}

TEST(WeightedFit, EvaluateWeightsTheLossOnly) {
  set_seed(41);
  auto [x, y] = blobs(30);
  Sequential m = classifier(0.1f);
  const auto plain = m.evaluate(x, y, {.batch_size = 7, .verbose = 0});
  const auto twice = m.evaluate(x, y, {.batch_size = 7, .verbose = 0, .sample_weight = filled(30, 2.0f)});
  EXPECT_NEAR(twice.at("loss"), 2.0 * plain.at("loss"), 1e-5);
  EXPECT_EQ(twice.at("accuracy"), plain.at("accuracy"));
  // Zero weight for all but sample 0: the loss is sample 0's divided by the batch size.
  Tensor w = filled(30, 0.0f);
  w.f32()[0] = 1.0f;
  const auto one = m.evaluate(x, y, {.batch_size = 30, .verbose = 0, .sample_weight = w});
  const auto alone = m.evaluate(x.rows(0, 1), y.rows(0, 1), {.verbose = 0});
  EXPECT_NEAR(one.at("loss"), alone.at("loss") / 30.0, 1e-6);
}

// class_weight {0: 1, 1: 0}: class-1 samples contribute nothing, so data of class 1 only leaves the
// weights exactly as they were, for one-hot and for sparse targets.
TEST(WeightedFit, ZeroClassWeightSilencesThatClass) {
  set_seed(42);
  auto [x, y] = blobs(60);
  std::vector<int64_t> ones;
  for (int64_t i = 1; i < 60; i += 3) ones.push_back(i);  // the class-1 samples
  Tensor x1, y1;
  x.take_rows_into(ones, x1);
  y.take_rows_into(ones, y1);
  for (const char* loss : {"categorical_crossentropy", "sparse_categorical_crossentropy"}) {
    Sequential m = classifier(0.5f, loss);
    const auto before = m.get_weights();
    const Tensor targets = std::string(loss) == "categorical_crossentropy" ? y1 : sparse_labels(y1);
    const History h = m.fit(
        x1, targets, {.batch_size = 5, .epochs = 2, .verbose = 0, .class_weight = {{0, 1.0f}, {1, 0.0f}}});
    EXPECT_EQ(h.last("loss"), 0.0) << loss;
    const auto after = m.get_weights();
    for (size_t i = 0; i < before.size(); ++i)
      EXPECT_EQ(before[i].to_vector<float>(), after[i].to_vector<float>()) << loss;
  }
}

// class_weight and sample_weight multiply; the first full-batch loss equals evaluate() with the product.
TEST(WeightedFit, ClassAndSampleWeightsMultiply) {
  set_seed(43);
  auto [x, y] = blobs(30);
  Tensor sw = Tensor::empty({30});
  Tensor product = Tensor::empty({30});
  for (int64_t i = 0; i < 30; ++i) {
    sw.f32()[i] = 0.5f + static_cast<float>(i % 4);
    product.f32()[i] = sw.f32()[i] * (i % 3 == 0 ? 3.0f : (i % 3 == 2 ? 0.25f : 1.0f));  // class 1 unlisted
  }
  Sequential m = classifier(0.1f);
  const double expected =
      m.evaluate(x, y, {.batch_size = 30, .verbose = 0, .sample_weight = product}).at("loss");
  const History h = m.fit(
      x, y, {.batch_size = 30, .verbose = 0, .class_weight = {{0, 3.0f}, {2, 0.25f}}, .sample_weight = sw});
  EXPECT_NEAR(h.last("loss"), expected, 1e-6);
}

// A single sigmoid unit: classes are the rounded 0/1 targets.
TEST(WeightedFit, BinaryTargetsUseTheRoundedLabel) {
  set_seed(44);
  const Tensor x = Tensor::from_vector<float>({0, 0, 0, 1, 1, 0, 1, 1}, {4, 2});
  const Tensor y = Tensor::from_vector<float>({0, 1, 1, 0}, {4, 1});
  Sequential m;
  m.add(L::Dense({.units = 1, .activation = "sigmoid", .input_dim = 2}));
  m.compile({.optimizer = optimizers::SGD({.learning_rate = 0.1f}), .loss = "binary_crossentropy"});
  const double expected =
      m.evaluate(x, y, {.verbose = 0, .sample_weight = Tensor::from_vector(std::vector<float>{4, 1, 1, 4})})
          .at("loss");
  const History h = m.fit(x, y, {.batch_size = 4, .verbose = 0, .class_weight = {{0, 4.0f}}});
  EXPECT_NEAR(h.last("loss"), expected, 1e-6);
}

TEST(WeightedFit, ValidationLossUsesValidationWeights) {
  set_seed(45);
  auto [x, y] = blobs(40);
  Tensor w = Tensor::empty({40});
  for (int64_t i = 0; i < 40; ++i) w.f32()[i] = static_cast<float>(i % 5);
  // validation_split: the held-out tail of sample_weight weights val_loss.
  Sequential m = classifier(0.0f);  // lr 0: the weights stay, so evaluate() sees the same model
  const History h =
      m.fit(x, y, {.batch_size = 8, .verbose = 0, .validation_split = 0.25f, .sample_weight = w});
  const double tail =
      m.evaluate(x.rows(30, 40), y.rows(30, 40), {.verbose = 0, .sample_weight = w.rows(30, 40)}).at("loss");
  EXPECT_NEAR(h.last("val_loss"), tail, 1e-6);
  // validation_data with its own weights.
  const History hv = m.fit(x, y,
                           {.batch_size = 8,
                            .verbose = 0,
                            .validation_data = ValidationData{
                                .x = x.rows(0, 10), .y = y.rows(0, 10), .sample_weight = w.rows(0, 10)}});
  const double head =
      m.evaluate(x.rows(0, 10), y.rows(0, 10), {.verbose = 0, .sample_weight = w.rows(0, 10)}).at("loss");
  EXPECT_NEAR(hv.last("val_loss"), head, 1e-6);
}

TEST(WeightedFit, BadWeightsAreClearErrors) {
  set_seed(46);
  auto [x, y] = blobs(12);
  Sequential m = classifier(0.1f);
  expect_contains(
      message_of<ShapeError>([&] { m.fit(x, y, {.verbose = 0, .sample_weight = filled(11, 1.0f)}); }),
      {"fit()", "sample_weight", "one weight per sample", "(12,)", "(11,)"});
  expect_contains(message_of<ShapeError>([&] {
                    m.evaluate(x, y, {.verbose = 0, .sample_weight = Tensor::zeros({12, 2})});
                  }),
                  {"evaluate()", "sample_weight", "(12, 2)"});
  Tensor negative = filled(12, 1.0f);
  negative.f32()[7] = -1.0f;
  expect_contains(message_of<ValueError>([&] { m.fit(x, y, {.verbose = 0, .sample_weight = negative}); }),
                  {"sample_weight of sample 7", "-1", "finite and >= 0"});
  Tensor nan = filled(12, 1.0f);
  nan.f32()[3] = std::nanf("");
  expect_contains(message_of<ValueError>([&] { m.fit(x, y, {.verbose = 0, .sample_weight = nan}); }),
                  {"sample_weight of sample 3", "nan"});
  expect_contains(message_of<ValueError>([&] {
                    m.fit(x, y, {.verbose = 0, .class_weight = {{0, 1.0f}, {3, 2.0f}}});
                  }),
                  {"class_weight has class 3", "3 classes (0 to 2)"});
  expect_contains(message_of<ValueError>([&] {
                    m.fit(x, y, {.verbose = 0, .class_weight = {{-1, 1.0f}}});
                  }),
                  {"class_weight has class -1"});
  expect_contains(message_of<ValueError>([&] {
                    m.fit(x, y, {.verbose = 0, .class_weight = {{1, -0.5f}}});
                  }),
                  {"class_weight of class 1", "-0.5", "finite and >= 0"});
  expect_contains(
      message_of<ValueError>([&] {
        m.fit(x, y,
              {.verbose = 0, .validation_data = ValidationData{.x = x, .y = y, .sample_weight = negative}});
      }),
      {"validation_data sample_weight", "sample 7"});
}

TEST(WeightedFit, WeightedStepsDoNotAllocate) {
  if (!testing::kCountsMalloc)
    GTEST_SKIP() << "the sanitizer runtime owns malloc here; the release build checks this";
  set_seed(47);
  auto [x, y] = blobs(640);
  const Tensor x_small = x.rows(0, 160), y_small = y.rows(0, 160);
  Sequential m = classifier(0.1f);
  const FitOptions o{
      .batch_size = 16, .verbose = 0, .class_weight = {{0, 2.0f}}, .sample_weight = filled(640, 0.5f)};
  FitOptions small_o = o;
  small_o.sample_weight = filled(160, 0.5f);
  m.fit(x, y, o);
  const auto small = testing::count_allocations([&] { m.fit(x_small, y_small, small_o); });
  const auto large = testing::count_allocations([&] { m.fit(x, y, o); });
  EXPECT_EQ(large.soma, small.soma);  // the per-call setup allocates; the steps do not
}

}  // namespace
}  // namespace soma
