// core: Shape (checked sizes), Tensor (views, reshape, conversions, errors) and the random generator.
#include <gtest/gtest.h>
#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <vector>

#include "kernels/denormals.hpp"
#include "soma/core/error.hpp"
#include "soma/core/random.hpp"
#include "soma/core/tensor.hpp"
#include "support/error_matchers.hpp"

namespace soma {
namespace {

using test::expect_contains;
using test::message_of;

TEST(ShapeSizes, NumelAndSampleSize) {
  EXPECT_EQ(Shape({}).numel(), 1);
  EXPECT_EQ(Shape({0, 5}).numel(), 0);
  EXPECT_EQ(Shape({3, 4, 5}).numel(), 60);
  EXPECT_EQ(Shape({3, 4, 5}).sample_size(), 20);
  EXPECT_EQ(Shape({int64_t{1} << 31, int64_t{1} << 31}).numel(), int64_t{1} << 62);
}

TEST(ShapeSizes, OverflowIsAValueErrorNamingTheShape) {
  const int64_t big = int64_t{1} << 32;
  // 2^32 * 2^32 wrapped to 0 elements, and rows() then pointed 16 GiB past the allocation.
  expect_contains(message_of<ValueError>([&] { (void)Shape({big, big}).numel(); }),
                  {"Shape (4294967296, 4294967296)", "overflows"});
  expect_contains(message_of<ValueError>([&] { (void)Shape({7, big, big}).sample_size(); }), {"overflows"});
  expect_contains(message_of<ValueError>([&] { Tensor::zeros({big, big}); }), {"overflows"});
  // Elements that fit but bytes that do not.
  expect_contains(message_of<ValueError>([&] { Tensor::empty({int64_t{1} << 62}); }),
                  {"Tensor", "float32", "needs more bytes"});
  Tensor t;
  expect_contains(message_of<ValueError>([&] { t.resize(Shape{int64_t{1} << 61, 8}); }), {"overflows"});
  expect_contains(message_of<ShapeError>([&] { Tensor::empty({2, -3}); }), {"negative dimension", "(2, None)"});
}

TEST(ShapeSizes, RankLimit) {
  EXPECT_NO_THROW(Shape({1, 1, 1, 1, 1, 1, 1, 1}));
  expect_contains(message_of<ShapeError>([] { Shape({1, 1, 1, 1, 1, 1, 1, 1, 1}); }),
                  {"rank 9 exceeds the maximum of 8"});
  expect_contains(message_of<ShapeError>([] { Shape({1, 1, 1, 1, 1, 1, 1, 1}).with_batch(2); }),
                  {"rank-8"});
}

TEST(TensorViews, RowsShareStorageAndCheckBounds) {
  Tensor t = Tensor::from_vector<float>({0, 1, 2, 3, 4, 5}, {3, 2});
  Tensor r = t.rows(1, 3);
  EXPECT_EQ(r.shape(), Shape({2, 2}));
  EXPECT_EQ(r.to_vector<float>(), (std::vector<float>{2, 3, 4, 5}));
  r.f32()[0] = 20.0f;
  EXPECT_EQ(t.f32()[2], 20.0f) << "a view writes through";
  EXPECT_ANY_THROW(t.rows(2, 4));
  EXPECT_EQ(t.reshape({-1}).shape(), Shape({6}));
  expect_contains(message_of<ShapeError>([&] { t.reshape({4, -1}); }), {"cannot reshape", "(3, 2)"});
  const Tensor c = t.clone();
  t.f32()[0] = 9.0f;
  EXPECT_EQ(c.f32()[0], 0.0f) << "clone is a copy";
}

TEST(TensorConversions, AsTypeAndItem) {
  const Tensor f = Tensor::from_vector<float>({0.0f, 1.0f, 255.0f}, {3});
  EXPECT_EQ(f.astype(DType::uint8).to_vector<uint8_t>(), (std::vector<uint8_t>{0, 1, 255}));
  EXPECT_EQ(f.astype(DType::int64).to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 255}));
  EXPECT_EQ(Tensor::from_vector<float>({2.5f}, {}).item(), 2.5f);
  EXPECT_ANY_THROW(f.item());
  EXPECT_ANY_THROW((void)f.data<int64_t>());
  const Tensor rows = f.take_rows(std::vector<int64_t>{2, 0});
  EXPECT_EQ(rows.to_vector<float>(), (std::vector<float>{255.0f, 0.0f}));
}

TEST(Random, SeedReproducesAndStateRoundTrips) {
  set_seed(5);
  const double a = random::uniform01();
  set_seed(5);
  EXPECT_EQ(random::uniform01(), a);
  const std::string saved = random::state();
  const float next = random::normal(0.0f, 1.0f);
  random::set_state(saved);
  EXPECT_EQ(random::normal(0.0f, 1.0f), next);
  expect_contains(message_of<ValueError>([] { random::set_state("not a state"); }), {"set_state"});
}

TEST(Random, BelowIsUniformAndRefusesZero) {
  expect_contains(message_of<ValueError>([] { random::below(0); }), {"random::below", "positive", "0"});
  set_seed(6);
  std::map<uint64_t, int> counts;
  for (int i = 0; i < 7000; ++i) ++counts[random::below(7)];
  ASSERT_EQ(counts.size(), 7u);
  for (const auto& [v, n] : counts) EXPECT_NEAR(n, 1000, 150) << v;  // ~5 standard deviations
  EXPECT_EQ(random::below(1), 0u);
  std::vector<int64_t> v{0, 1, 2, 3, 4, 5, 6, 7};
  random::shuffle(v);
  std::vector<int64_t> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
}

TEST(Random, TruncatedNormalStaysWithinTwoStandardDeviations) {
  set_seed(7);
  for (int i = 0; i < 5000; ++i) {
    const float v = random::truncated_normal(1.0f, 0.5f);
    ASSERT_LE(std::fabs(v - 1.0f), 1.0f);
  }
}

// The library computes with flush-to-zero, but must hand its caller's floating-point mode back.
TEST(FloatingPointEnvironment, CallersModeIsRestored) {
  const unsigned bits = _MM_FLUSH_ZERO_ON | _MM_DENORMALS_ZERO_ON;
  const unsigned before = _mm_getcsr();
  _mm_setcsr(before & ~bits);
  {
    const kernels::DenormalsOff off;
    EXPECT_EQ(_mm_getcsr() & bits, bits) << "soma computes with FTZ/DAZ";
    volatile float tiny = 1e-40f;  // a denormal
    EXPECT_EQ(tiny * 1.0f, 0.0f);
  }
  EXPECT_EQ(_mm_getcsr() & bits, 0u) << "the caller's mode (denormals on) is back";
  volatile float tiny = 1e-40f;
  EXPECT_NE(tiny * 1.0f, 0.0f);
  // A caller that had FTZ on keeps it.
  _mm_setcsr(before | bits);
  { const kernels::DenormalsOff off; }
  EXPECT_EQ(_mm_getcsr() & bits, bits);
  _mm_setcsr(before);
}

}  // namespace
}  // namespace soma
