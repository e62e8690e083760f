// PositionEmbedding (keras_hub's): the output is the first `steps` rows of the table for every sample,
// checked by index; the table's gradient is the output gradient summed over the batch, checked by hand
// and by finite differences on 1-3 threads over a size above the parallel threshold; configs, errors.
#include <gtest/gtest.h>
#include <omp.h>

#include "soma/soma.hpp"
#include "support/error_matchers.hpp"
#include "support/layer_harness.hpp"

namespace soma {
namespace {

namespace L = layers;
using test::expect_contains;
using test::message_of;

TEST(PositionEmbeddingLayer, RowsPerStepAndTheirGradient) {
  for (int threads : {1, 2, 3}) {
    SCOPED_TRACE(threads);
    const int saved = omp_get_max_threads();
    omp_set_num_threads(threads);
    set_seed(2);
    // 37 * 101 * 41 = 153,217 values: the parallel backward.
    L::PositionEmbedding pe({.sequence_length = 120});
    pe.build(Shape{101, 41});
    L::Layer& layer = pe;
    autograd::Variable& table = *layer.weights().at(0);
    EXPECT_EQ(table.value.shape(), Shape({120, 41}));
    autograd::Variable x(testing::random_tensor({37, 101, 41}), true);
    autograd::Tape tape;
    autograd::Variable& y = pe(&tape, x, true);
    ASSERT_EQ(y.value.shape(), x.value.shape());
    for (int64_t b : {0, 17, 36})
      for (int64_t t : {0, 50, 100})
        for (int64_t d : {0, 40}) ASSERT_EQ(y.value.f32()[(b * 101 + t) * 41 + d], table.value.f32()[t * 41 + d]);
    const Tensor dy = testing::random_tensor({37, 101, 41});
    tape.backward(y, dy);
    for (int64_t t : {0, 33, 100, 119})
      for (int64_t d : {0, 7, 40}) {
        double want = 0;
        if (t < 101)
          for (int64_t b = 0; b < 37; ++b) want += dy.f32()[(b * 101 + t) * 41 + d];
        EXPECT_NEAR(table.grad.f32()[t * 41 + d], want, 1e-4) << t << "," << d;
      }
    omp_set_num_threads(saved);
  }
}

TEST(PositionEmbeddingLayer, FiniteDifferencesAndShorterInputs) {
  set_seed(5);
  L::PositionEmbedding pe({.sequence_length = 6});
  L::Layer& layer = pe;
  layer.build(Shape{4, 3});
  autograd::Variable* table = layer.weights().at(0);
  autograd::Variable x(Tensor::zeros(Shape{2, 4, 3}));
  testing::gradcheck([&](autograd::Tape* t, auto&) -> autograd::Variable& { return pe(t, x, true); },
                     std::vector<autograd::Variable*>{table});
  // Positions past the input's steps get no gradient.
  autograd::Tape tape;
  tape.backward(pe(&tape, x, true));
  for (int64_t i = 12; i < 18; ++i) EXPECT_EQ(table->grad.f32()[i], 0.0f);
}

TEST(PositionEmbeddingLayer, ConfigAndErrors) {
  auto layer = L::deserialize(Config::parse(
      R"({"class_name": "PositionEmbedding", "config": {"sequence_length": 200, "name": "pos"}})"));
  auto& pe = dynamic_cast<L::PositionEmbedding&>(*layer);
  EXPECT_EQ(pe.options().sequence_length, 200);
  EXPECT_EQ(L::serialize(*L::deserialize(L::serialize(pe))), L::serialize(pe));
  expect_contains(message_of<ValueError>([] { L::PositionEmbedding({.sequence_length = 0}); }),
                  {"PositionEmbedding", "sequence_length must be a positive integer", "received 0"});
  expect_contains(message_of<ShapeError>([] { L::PositionEmbedding({.sequence_length = 3}).build(Shape{4, 2}); }),
                  {"the input has 4 steps, more than sequence_length 3"});
  expect_contains(message_of<ShapeError>([] { L::PositionEmbedding({.sequence_length = 3}).build(Shape{4}); }),
                  {"expected input (batch, steps, features)", "(None, 4)"});
}

}  // namespace
}  // namespace soma
