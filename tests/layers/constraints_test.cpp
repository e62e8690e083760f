// keras.constraints: each formula against a direct loop over the norm groups, the axis conventions, the
// Keras names, and the errors; the layer options register them on the right weights.
#include "soma/constraints.hpp"

#include <cmath>

#include "soma/layers/convolutional.hpp"
#include "soma/layers/dense.hpp"
#include "soma/layers/embedding.hpp"
#include "support/error_matchers.hpp"
#include "support/gradcheck.hpp"

namespace soma {
namespace {

namespace C = constraints;
namespace L = layers;
using test::expect_contains;
using test::message_of;

// Keras: w * desired / (epsilon + norm), the norm of each column of a (rows, cols) matrix (axis 0).
Tensor by_columns(const Tensor& w, const std::function<double(double)>& desired) {
  Tensor out = w.clone();
  const int64_t rows = w.dim(0), cols = w.dim(1);
  for (int64_t c = 0; c < cols; ++c) {
    double sq = 0;
    for (int64_t r = 0; r < rows; ++r) sq += std::pow(w.f32()[r * cols + c], 2);
    const double norm = std::sqrt(sq), scale = desired(norm) / (1e-7 + norm);
    for (int64_t r = 0; r < rows; ++r)
      out.f32()[r * cols + c] = static_cast<float>(w.f32()[r * cols + c] * scale);
  }
  return out;
}

void expect_near_all(const Tensor& a, const Tensor& b, float tol = 1e-6f) {
  ASSERT_EQ(a.shape(), b.shape());
  for (int64_t i = 0; i < a.numel(); ++i) EXPECT_NEAR(a.f32()[i], b.f32()[i], tol) << "element " << i;
}

Tensor applied(const C::Constraint& c, const Tensor& w) {
  Tensor t = w.clone();
  c.apply(t);
  return t;
}

TEST(Constraints, MaxNormScalesOnlyColumnsAboveTheLimit) {
  // Columns of norm 5 and 0.5: the first is scaled to norm 1, the second kept (up to epsilon).
  const Tensor w = Tensor::from_vector<float>({3, 0.3f, 4, 0.4f}, {2, 2});
  const Tensor got = applied(C::MaxNorm(1.0f), w);
  expect_near_all(got, Tensor::from_vector<float>({0.6f, 0.3f, 0.8f, 0.4f}, {2, 2}));
  set_seed(1);
  const Tensor r = testing::random_tensor({7, 5}, -2, 2);
  expect_near_all(applied(C::MaxNorm(1.5f), r), by_columns(r, [](double n) { return std::min(n, 1.5); }));
  // Keras' default: MaxNorm(2) by name.
  expect_near_all(applied("max_norm", r), by_columns(r, [](double n) { return std::min(n, 2.0); }));
}

TEST(Constraints, AxisOneAndNegativeAxesTakeRowNorms) {
  set_seed(2);
  const Tensor r = testing::random_tensor({4, 6}, -2, 2);
  // Rows of r are columns of its transpose.
  Tensor rt = Tensor::empty({6, 4});
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 6; ++j) rt.f32()[j * 4 + i] = r.f32()[i * 6 + j];
  const Tensor expect_t = by_columns(rt, [](double) { return 1.0; });
  Tensor expect = Tensor::empty({4, 6});
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 6; ++j) expect.f32()[i * 6 + j] = expect_t.f32()[j * 4 + i];
  expect_near_all(applied(C::UnitNorm({1}), r), expect);
  expect_near_all(applied(C::UnitNorm({-1}), r), expect);
}

TEST(Constraints, ConvKernelNormOverAllButTheFilterAxis) {
  // Keras' advice for Conv2D: axis [0, 1, 2], one norm per filter of the (kh, kw, in, filters) kernel.
  set_seed(3);
  const Tensor k = testing::random_tensor({3, 3, 2, 4}, -1, 1);
  const Tensor flat = k.reshape({18, 4}).clone();
  expect_near_all(applied(C::MaxNorm(0.5f, {0, 1, 2}), k).reshape({18, 4}),
                  by_columns(flat, [](double n) { return std::min(n, 0.5); }));
  expect_near_all(applied(C::MaxNorm(0.5f, {-4, -3, -2}), k), applied(C::MaxNorm(0.5f, {0, 1, 2}), k));
}

TEST(Constraints, UnitNormAndMinMaxNorm) {
  set_seed(4);
  const Tensor r = testing::random_tensor({5, 3}, -1, 1);
  const Tensor unit = applied(C::UnitNorm(), r);
  expect_near_all(unit, by_columns(r, [](double) { return 1.0; }));
  for (int c = 0; c < 3; ++c) {
    double sq = 0;
    for (int i = 0; i < 5; ++i) sq += std::pow(unit.f32()[i * 3 + c], 2);
    EXPECT_NEAR(std::sqrt(sq), 1.0, 1e-6);
  }
  // rate 0.5: halfway between the norm and its clipped value.
  expect_near_all(applied(C::MinMaxNorm(0.9f, 1.1f, 0.5f), r),
                  by_columns(r, [](double n) { return 0.5 * std::clamp(n, 0.9, 1.1) + 0.5 * n; }));
  expect_near_all(applied("min_max_norm", r),
                  by_columns(r, [](double n) { return std::clamp(n, 0.0, 1.0); }));
}

TEST(Constraints, NonNegZeroesNegatives) {
  const Tensor w = Tensor::from_vector<float>({-1, 0, 2, -0.5f, 3, -7}, {3, 2});
  expect_near_all(applied(C::NonNeg(), w), Tensor::from_vector<float>({0, 0, 2, 0, 3, 0}, {3, 2}));
}

TEST(Constraints, KerasNamesAndFieldsReadBack) {
  const C::Constraint none;
  EXPECT_FALSE(none.active());
  const C::Constraint m = C::MaxNorm(3.0f, {0, 1});
  EXPECT_EQ(m.name, "max_norm");
  EXPECT_EQ(m.max_value, 3.0f);
  EXPECT_EQ(m.axis, (std::vector<int>{0, 1}));
  const C::Constraint mm = C::MinMaxNorm(0.5f, 2.0f, 0.25f);
  EXPECT_EQ(mm.name, "min_max_norm");
  EXPECT_EQ(mm.min_value, 0.5f);
  EXPECT_EQ(mm.max_value, 2.0f);
  EXPECT_EQ(mm.rate, 0.25f);
  EXPECT_EQ(C::Constraint("max_norm").max_value, 2.0f);
  EXPECT_EQ(C::Constraint("MaxNorm").name, "max_norm");
  EXPECT_EQ(C::Constraint("NonNeg").name, "non_neg");
  EXPECT_EQ(C::Constraint(std::string("unit_norm")).name, "unit_norm");
  const C::Constraint keras_min_max("min_max_norm");
  EXPECT_EQ(keras_min_max.min_value, 0.0f);
  EXPECT_EQ(keras_min_max.max_value, 1.0f);
  EXPECT_EQ(keras_min_max.rate, 1.0f);
}

TEST(Constraints, BadArguments) {
  expect_contains(message_of<ValueError>([] { C::MaxNorm(-1.0f); }),
                  {"MaxNorm", "max_value must be >= 0", "-1"});
  expect_contains(message_of<ValueError>([] { C::MinMaxNorm(2.0f, 1.0f); }),
                  {"MinMaxNorm", "0 <= min_value <= max_value", "min_value 2", "max_value 1"});
  expect_contains(message_of<ValueError>([] { C::MinMaxNorm(-0.5f, 1.0f); }), {"min_value -0.5"});
  expect_contains(message_of<ValueError>([] { C::MinMaxNorm(0.0f, 1.0f, 1.5f); }),
                  {"rate must be in [0, 1]", "1.5"});
  expect_contains(message_of<ValueError>([] { C::UnitNorm({}); }), {"unit_norm", "at least one axis"});
  Tensor w = Tensor::ones({2, 2});
  expect_contains(message_of<ValueError>([&] { C::MaxNorm(1.0f, {3}).apply(w); }),
                  {"max_norm axis 3 is out of range for a weight of rank 2"});
  expect_contains(message_of<ValueError>([] { C::Constraint c("maxnorm"); }),
                  {"unknown constraint \"maxnorm\"", "max_norm, non_neg, unit_norm, min_max_norm"});
}

TEST(Constraints, LayerOptionsAreCheckedAtConstruction) {
  expect_contains(message_of<ValueError>([] {
                    L::Dense({.units = 2, .kernel_constraint = C::MaxNorm(1.0f, {2}), .name = "d"});
                  }),
                  {"Dense \"d\": kernel_constraint", "axis 2 is out of range for a weight of rank 2"});
  expect_contains(
      message_of<ValueError>([] {
        L::Conv2D({.filters = 2, .kernel_size = {3}, .bias_constraint = C::UnitNorm({1}), .name = "c"});
      }),
      {"Conv2D \"c\": bias_constraint", "axis 1 is out of range for a weight of rank 1"});
  expect_contains(
      message_of<ValueError>([] {
        L::Conv1D({.filters = 2, .kernel_size = {3}, .kernel_constraint = C::UnitNorm({0, 0}), .name = "c1"});
      }),
      {"Conv1D \"c1\"", "lists axis 0 twice"});
  // Public fields can be set to anything; the layer still refuses what makes no sense.
  C::Constraint bad = C::MaxNorm(1.0f);
  bad.max_value = -2.0f;
  expect_contains(message_of<ValueError>(
                      [&] { L::Embedding({.input_dim = 3, .output_dim = 2, .embeddings_constraint = bad}); }),
                  {"embeddings_constraint", "max_value must be >= 0, received -2"});
  bad.name = "clip";
  expect_contains(message_of<ValueError>([&] { L::Dense({.units = 2, .kernel_constraint = bad}); }),
                  {"kernel_constraint", "unknown constraint \"clip\""});
}

TEST(Constraints, LayerAppliesToTrainableWeightsOnly) {
  set_seed(5);
  L::Dense d({.units = 3, .kernel_constraint = "non_neg", .bias_constraint = C::MaxNorm(0.1f)});
  d.build(Shape{4});
  d.bias()->value.fill(1.0f);  // norm sqrt(3)
  const Tensor before = d.kernel().value.clone();
  d.apply_constraints();
  for (int64_t i = 0; i < before.numel(); ++i)
    EXPECT_EQ(d.kernel().value.f32()[i], std::max(0.0f, before.f32()[i]));
  for (float b : d.bias()->value.span<float>()) EXPECT_NEAR(b, 0.1f / std::sqrt(3.0f), 1e-6f);
  // Keras constrains what the optimizer updates: a frozen layer keeps its weights.
  L::Dense frozen({.units = 3, .kernel_constraint = "non_neg"});
  frozen.build(Shape{4});
  frozen.set_trainable(false);
  const Tensor kept = frozen.kernel().value.clone();
  frozen.apply_constraints();
  expect_near_all(frozen.kernel().value, kept, 0.0f);
}

}  // namespace
}  // namespace soma
