#include "soma/data/utils.hpp"

#include <gtest/gtest.h>

#include "support/error_matchers.hpp"

namespace soma::test {
namespace {

TEST(ToCategorical, OneHotsInt64Labels) {
  Tensor y = utils::to_categorical(Tensor::from_vector<int64_t>({0, 2, 1}, Shape{3}), 4);
  EXPECT_EQ(y.dtype(), DType::float32);
  EXPECT_EQ(y.shape(), (Shape{3, 4}));
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0}));
}

TEST(ToCategorical, InfersNumClassesFromTheLargestLabel) {
  Tensor y = utils::to_categorical(Tensor::from_vector<int64_t>({1, 2}, Shape{2}));
  EXPECT_EQ(y.shape(), (Shape{2, 3}));
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{0, 1, 0, 0, 0, 1}));
}

TEST(ToCategorical, AcceptsUint8AndWholeFloats) {
  const std::vector<float> expected{0, 1, 1, 0};
  EXPECT_EQ(utils::to_categorical(Tensor::from_vector<uint8_t>({1, 0}, Shape{2}), 2).to_vector<float>(),
            expected);
  EXPECT_EQ(utils::to_categorical(Tensor::from_vector<float>({1.0f, 0.0f}, Shape{2}), 2).to_vector<float>(),
            expected);
}

TEST(ToCategorical, ShapesFollowKeras) {
  // Any shape gains a trailing class dimension; a trailing 1 is replaced, as Keras does.
  EXPECT_EQ(utils::to_categorical(Tensor::from_vector<int64_t>({0, 1, 2, 0, 1, 2}, Shape{2, 3}), 3).shape(),
            (Shape{2, 3, 3}));
  EXPECT_EQ(utils::to_categorical(Tensor::from_vector<int64_t>({0, 1}, Shape{2, 1}), 3).shape(),
            (Shape{2, 3}));
  EXPECT_EQ(utils::to_categorical(Tensor::from_vector<int64_t>({}, Shape{0}), 10).shape(), (Shape{0, 10}));
}

TEST(ToCategorical, OutOfRangeLabelNamesIndexAndValue) {
  expect_contains(message_of<ValueError>([] {
                    utils::to_categorical(Tensor::from_vector<int64_t>({0, 5, 1}, Shape{3}), 3);
                  }),
                  {"index 1", "is 5", "< 3"});
  expect_contains(message_of<ValueError>([] {
                    utils::to_categorical(Tensor::from_vector<int64_t>({0, -1}, Shape{2}));
                  }),
                  {"index 1", "is -1"});
  expect_contains(message_of<ValueError>([] {
                    utils::to_categorical(Tensor::from_vector<int64_t>({0, 1, 2, 3, 4, 9}, Shape{2, 3}), 5);
                  }),
                  {"index (1, 2)", "is 9"});
}

TEST(ToCategorical, RejectsBadArguments) {
  expect_contains(message_of<ValueError>([] {
                    utils::to_categorical(Tensor::from_vector<float>({0.0f, 1.5f}, Shape{2}), 3);
                  }),
                  {"index 1", "1.5", "whole number"});
  expect_contains(
      message_of<ValueError>([] { utils::to_categorical(Tensor::from_vector<int64_t>({0}, Shape{1}), 0); }),
      {"num_classes", "received 0"});
  expect_contains(
      message_of<ValueError>([] { utils::to_categorical(Tensor::from_vector<int64_t>({}, Shape{0})); }),
      {"empty", "num_classes"});
}

TEST(NormalizePixels, DividesBy255IntoFloat32) {
  Tensor images = Tensor::from_vector<uint8_t>({0, 51, 255, 128}, Shape{1, 2, 2});
  Tensor x = utils::normalize_pixels(images);
  EXPECT_EQ(x.dtype(), DType::float32);
  EXPECT_EQ(x.shape(), (Shape{1, 2, 2}));
  EXPECT_EQ(x.to_vector<float>(), (images / 255.0f).to_vector<float>());
  EXPECT_FLOAT_EQ(x.f32()[1], 0.2f);
  EXPECT_EQ(x.f32()[2], 1.0f);
}

TEST(NormalizePixels, RejectsFloatImages) {
  expect_contains(message_of<ValueError>([] { utils::normalize_pixels(Tensor::zeros(Shape{2})); }),
                  {"uint8", "float32"});
}

}  // namespace
}  // namespace soma::test
