// Merge layers: values against naive references (with Keras' broadcasting), gradients by finite
// differences, configs, and the errors of bad inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "soma/layers/merge.hpp"
#include "soma/layers/serialization.hpp"
#include "support/error_matchers.hpp"
#include "support/gradcheck.hpp"

namespace soma::layers {
namespace {

using autograd::Variable;
using test::expect_contains;
using test::message_of;

// Runs a merge layer on Variables (its own frame), as a graph would.
Variable& run(Layer& layer, autograd::Tape* tape, std::vector<Variable*> inputs, CallFrame& frame) {
  std::vector<Shape> shapes;
  for (auto* v : inputs) shapes.push_back(v->value.shape().without_batch());
  layer.build_multi(shapes);
  std::vector<Variable*> outs;
  layer.call_multi(frame, tape, inputs, outs, false);
  return *outs.at(0);
}

float naive(const std::string& kind, std::vector<float> v) {
  float r = v[0];
  for (size_t i = 1; i < v.size(); ++i) {
    if (kind == "Add" || kind == "Average") r += v[i];
    if (kind == "Subtract") r -= v[i];
    if (kind == "Multiply") r *= v[i];
    if (kind == "Maximum") r = std::max(r, v[i]);
    if (kind == "Minimum") r = std::min(r, v[i]);
  }
  return kind == "Average" ? r / static_cast<float>(v.size()) : r;
}

std::unique_ptr<Layer> make(const std::string& kind) {
  return deserialize(Config{{"class_name", kind}, {"config", Config::object()}});
}

// (2, 3, 4) with (2, 1, 4) and (2, 4): Keras expands the last after the batch axis, so it is (2, 1, 4).
TEST(MergeLayers, ElementwiseValuesBroadcastAsKeras) {
  set_seed(1);
  for (const char* kind : {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"}) {
    const bool two = std::string(kind) == "Subtract";
    Variable a(testing::random_tensor({2, 3, 4})), b(testing::random_tensor({2, 1, 4})), c(testing::random_tensor({2, 4}));
    auto layer = make(kind);
    CallFrame frame;
    std::vector<Variable*> in{&a, &b};
    if (!two) in.push_back(&c);
    const Tensor& y = run(*layer, nullptr, in, frame).value;
    ASSERT_EQ(y.shape(), (Shape{2, 3, 4})) << kind;
    for (int n = 0; n < 2; ++n)
      for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 4; ++j) {
          std::vector<float> v{a.value.f32()[(n * 3 + i) * 4 + j], b.value.f32()[n * 4 + j]};
          if (!two) v.push_back(c.value.f32()[n * 4 + j]);
          EXPECT_FLOAT_EQ(y.f32()[(n * 3 + i) * 4 + j], naive(kind, v)) << kind;
        }
    EXPECT_EQ(layer->output_shapes(std::vector<Shape>{{3, 4}, {1, 4}})[0], (Shape{3, 4}));
  }
}

TEST(MergeLayers, ElementwiseGradientsIncludingBroadcastInputs) {
  set_seed(2);
  for (const char* kind : {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"}) {
    auto layer = make(kind);
    CallFrame frame;
    Variable a(testing::random_tensor({3, 2, 5}), true), b(testing::random_tensor({3, 1, 5}), true);
    testing::gradcheck([&](autograd::Tape* t, auto& in) -> Variable& { return run(*layer, t, {in[0], in[1]}, frame); },
                       {&a, &b});
  }
}

TEST(MergeLayers, ConcatenateAlongAnyAxis) {
  set_seed(3);
  for (int axis : {-1, 1, 2}) {
    Concatenate layer({.axis = axis});
    CallFrame frame;
    Variable a(testing::random_tensor({2, 3, 4}), true);
    Variable b(testing::random_tensor(axis == 1 ? Shape{2, 2, 4} : Shape{2, 3, 1}), true);
    const Tensor& y = run(layer, nullptr, {&a, &b}, frame).value;
    const Shape want = axis == 1 ? Shape{2, 5, 4} : Shape{2, 3, 5};
    ASSERT_EQ(y.shape(), want);
    // Reference: each output element from its source.
    for (int n = 0; n < 2; ++n)
      for (int i = 0; i < want[1]; ++i)
        for (int j = 0; j < want[2]; ++j) {
          const float got = y.f32()[(n * want[1] + i) * want[2] + j];
          const float ref = axis == 1 ? (i < 3 ? a.value.f32()[(n * 3 + i) * 4 + j] : b.value.f32()[(n * 2 + i - 3) * 4 + j])
                                      : (j < 4 ? a.value.f32()[(n * 3 + i) * 4 + j] : b.value.f32()[n * 3 + i]);
          EXPECT_EQ(got, ref);
        }
    testing::gradcheck([&](autograd::Tape* t, auto& in) -> Variable& { return run(layer, t, {in[0], in[1]}, frame); },
                       {&a, &b});
  }
  Concatenate layer;
  expect_contains(message_of<ShapeError>([&] { layer.output_shapes(std::vector<Shape>{{3, 4}, {2, 5}}); }),
                  {"differ outside the concatenation axis", "(None, 3, 4)", "(None, 2, 5)"});
  expect_contains(message_of<ValueError>([] { Concatenate({.axis = 0}); }), {"batch axis"});
}

TEST(MergeLayers, DotAndCosineProximity) {
  set_seed(4);
  // (B, K)·(B, K) -> (B, 1), plain and normalised (cosine).
  for (bool normalize : {false, true}) {
    Dot layer({.axes = {1}, .normalize = normalize});
    CallFrame frame;
    Variable a(testing::random_tensor({3, 4}), true), b(testing::random_tensor({3, 4}), true);
    const Tensor& y = run(layer, nullptr, {&a, &b}, frame).value;
    ASSERT_EQ(y.shape(), (Shape{3, 1}));
    for (int n = 0; n < 3; ++n) {
      double dot = 0, na = 0, nb = 0;
      for (int k = 0; k < 4; ++k) {
        const double u = a.value.f32()[n * 4 + k], v = b.value.f32()[n * 4 + k];
        dot += u * v;
        na += u * u;
        nb += v * v;
      }
      EXPECT_NEAR(y.f32()[n], normalize ? dot / std::sqrt(na * nb) : dot, 1e-5);
    }
    testing::gradcheck([&](autograd::Tape* t, auto& in) -> Variable& { return run(layer, t, {in[0], in[1]}, frame); },
                       {&a, &b});
  }
  // (B, M, K)·(B, N, K) over axes (2, 2) -> (B, M, N): attention-like scores.
  Dot scores({.axes = {2, 2}});
  CallFrame frame;
  Variable q(testing::random_tensor({2, 3, 4}), true), k(testing::random_tensor({2, 5, 4}), true);
  const Tensor& s = run(scores, nullptr, {&q, &k}, frame).value;
  ASSERT_EQ(s.shape(), (Shape{2, 3, 5}));
  for (int n = 0; n < 2; ++n)
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 5; ++j) {
        double ref = 0;
        for (int c = 0; c < 4; ++c) ref += q.value.f32()[(n * 3 + i) * 4 + c] * k.value.f32()[(n * 5 + j) * 4 + c];
        EXPECT_NEAR(s.f32()[(n * 3 + i) * 5 + j], ref, 1e-5);
      }
  testing::gradcheck([&](autograd::Tape* t, auto& in) -> Variable& { return run(scores, t, {in[0], in[1]}, frame); },
                     {&q, &k});
  Dot bad({.axes = {1}});
  expect_contains(message_of<ShapeError>([&] { bad.output_shapes(std::vector<Shape>{{3}, {4}}); }),
                  {"contracted dimensions differ", "3", "4"});
  expect_contains(message_of<ValueError>([] { Dot({.axes = {0}}); }), {"batch axis"});
}

TEST(MergeLayers, ConfigsRoundTripAndSingleTensorsAreRefused) {
  Dot d({.axes = {1, 2}, .normalize = true, .name = "similarity"});
  auto copy = deserialize(serialize(d));
  EXPECT_EQ(copy->get_config(), d.get_config());
  EXPECT_EQ(d.get_config()["axes"], Config::parse("[1, 2]"));
  Concatenate c({.axis = 1, .name = "cat"});
  EXPECT_EQ(deserialize(serialize(c))->get_config(), c.get_config());
  Add add;
  expect_contains(message_of<ValueError>([&] { add.output_shape(Shape{3}); }), {"list of inputs"});
  expect_contains(message_of<ShapeError>([&] { add.output_shapes(std::vector<Shape>{{3}, {4}}); }),
                  {"cannot be merged", "(None, 3)", "(None, 4)"});
}

}  // namespace
}  // namespace soma::layers
