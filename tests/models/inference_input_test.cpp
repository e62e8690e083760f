// Bad input to predict/evaluate and labels that are not class indices: errors that name the sample, where
// the library used to compute plausible-looking numbers (relu turns NaN into 0) or cast with undefined
// behaviour. And batch sizes up to INT64_MAX, whose batch arithmetic used to overflow.
#include <gtest/gtest.h>
#include <immintrin.h>

#include <cmath>
#include <limits>

#include "soma/layers/dense.hpp"
#include "soma/models/sequential.hpp"
#include "support/error_matchers.hpp"
#include "support/gradcheck.hpp"

namespace soma {
namespace {

using test::expect_contains;
using test::message_of;

Sequential classifier(const char* loss) {
  Sequential m;
  m.add(layers::Dense({.units = 8, .activation = "relu", .input_shape = {4}}));
  m.add(layers::Dense({.units = 3, .activation = "softmax"}));
  m.compile({.optimizer = "adam", .loss = loss, .metrics = {"accuracy"}});
  return m;
}

TEST(InferenceInput, NonFiniteInputsAreRejectedNamingTheSample) {
  set_seed(61);
  Sequential m = classifier("sparse_categorical_crossentropy");
  Tensor x = testing::random_tensor({10, 4});
  const Tensor labels = Tensor::from_vector<int64_t>({0, 1, 2, 0, 1, 2, 0, 1, 2, 0}, {10});
  x.f32()[7 * 4 + 2] = std::numeric_limits<float>::quiet_NaN();
  expect_contains(message_of<ValueError>([&] { m.predict(x, {.batch_size = 4, .verbose = 0}); }),
                  {"predict() x holds a non-finite value (nan) in sample 7"});
  expect_contains(message_of<ValueError>([&] { m.evaluate(x, labels, {.batch_size = 3, .verbose = 0}); }),
                  {"evaluate() x holds a non-finite value (nan) in sample 7"});
  x.f32()[7 * 4 + 2] = std::numeric_limits<float>::infinity();
  const Tensor clean = testing::random_tensor({10, 4});
  expect_contains(message_of<ValueError>([&] {
                    m.fit(clean, labels, {.epochs = 1, .verbose = 0, .validation_data = {{x, labels}}});
                  }),
                  {"fit() validation x holds a non-finite value (inf) in sample 7"});
}

TEST(InferenceInput, SparseLabelsMustBeClassIndices) {
  set_seed(62);
  Sequential m = classifier("sparse_categorical_crossentropy");
  const Tensor x = testing::random_tensor({6, 4});
  struct Bad {
    float value;
    const char* says;
  };
  for (const Bad b : {Bad{2.7f, "label 2.700000 of sample 4 is not an integer"},
                      Bad{std::numeric_limits<float>::quiet_NaN(), "label nan of sample 4 is not an integer"},
                      Bad{1e30f, "of sample 4 is outside the classes"}, Bad{-1.0f, "label -1.000000 of sample 4"},
                      Bad{3.0f, "label 3.000000 of sample 4 is outside the classes"}}) {
    Tensor y = Tensor::from_vector<float>({0, 1, 2, 0, 0, 1}, {6});
    y.f32()[4] = b.value;
    const std::string fit = message_of<ValueError>([&] { m.fit(x, y, {.epochs = 1, .verbose = 0}); });
    expect_contains(fit, {b.says, "expected integer class indices in [0, 3)"});
    expect_contains(message_of<ValueError>([&] { m.evaluate(x, y, {.verbose = 0}); }), {b.says});
  }
  // Whole-number floats are fine.
  EXPECT_NO_THROW(m.fit(x, Tensor::from_vector<float>({0, 1, 2, 0, 2, 1}, {6}), {.epochs = 1, .verbose = 0}));
}

TEST(InferenceInput, BatchSizeUpToInt64MaxIsOneBatch) {
  set_seed(63);
  Sequential m = classifier("categorical_crossentropy");
  const Tensor x = testing::random_tensor({5, 4});
  Tensor y = Tensor::zeros({5, 3});
  for (int64_t i = 0; i < 5; ++i) y.f32()[i * 3 + i % 3] = 1.0f;
  const int64_t huge = std::numeric_limits<int64_t>::max();
  const Tensor whole = m.predict(x, {.batch_size = 5, .verbose = 0});
  const Tensor p = m.predict(x, {.batch_size = huge, .verbose = 0});
  EXPECT_EQ(p.to_vector<float>(), whole.to_vector<float>());
  EXPECT_NO_THROW(m.evaluate(x, y, {.batch_size = huge - 1, .verbose = 0}));
  const auto h = m.fit(x, y, {.batch_size = huge, .epochs = 2, .verbose = 0});
  EXPECT_EQ(h.history.at("loss").size(), 2u);
}

// fit and predict flush denormals while they compute, and hand the caller's mode back (the review found
// FTZ/DAZ left on for the rest of the caller's thread).
TEST(InferenceInput, FitAndPredictLeaveTheCallersFloatingPointMode) {
  const unsigned bits = _MM_FLUSH_ZERO_ON | _MM_DENORMALS_ZERO_ON;
  const unsigned before = _mm_getcsr();
  _mm_setcsr(before & ~bits);
  set_seed(64);
  Sequential m = classifier("categorical_crossentropy");
  const Tensor x = testing::random_tensor({8, 4});
  Tensor y = Tensor::zeros({8, 3});
  for (int64_t i = 0; i < 8; ++i) y.f32()[i * 3 + i % 3] = 1.0f;
  m.fit(x, y, {.epochs = 1, .verbose = 0});
  EXPECT_EQ(_mm_getcsr() & bits, 0u) << "after fit";
  m.predict(x);
  m.evaluate(x, y, {.verbose = 0});
  EXPECT_EQ(_mm_getcsr() & bits, 0u) << "after predict and evaluate";
  volatile float tiny = 1e-40f;
  EXPECT_NE(tiny * 1.0f, 0.0f);
  _mm_setcsr(before);
}

}  // namespace
}  // namespace soma
