// tile_images, channels_first and conv_filters: layout, normalisation and errors.
#include "soma/visualization.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "support/error_matchers.hpp"

namespace soma::visualization {
namespace {

TEST(TileImages, LaysOutTilesWithPaddingAndScale) {
  // Three 2x2 images: 0..3, 10..13, and a constant one.
  Tensor images =
      Tensor::from_vector(std::vector<float>{0, 1, 2, 3, 10, 11, 12, 13, 5, 5, 5, 5}, Shape{3, 2, 2});
  const Tensor grid = tile_images(images, {.columns = 2, .padding = 1, .scale = 2});
  // 2 rows x 2 columns of 4x4 tiles with 1 pixel between them.
  ASSERT_EQ(grid.shape(), (Shape{9, 9, 1}));
  const uint8_t* g = grid.data<uint8_t>();
  auto at = [&](int64_t y, int64_t x) { return static_cast<int>(g[y * 9 + x]); };
  EXPECT_EQ(at(0, 0), 0);    // image 0, value 0: its minimum
  EXPECT_EQ(at(3, 3), 255);  // image 0, value 3 (scaled 2x): its maximum
  EXPECT_EQ(at(0, 2), 85);   // value 1 of 0..3
  EXPECT_EQ(at(0, 4), 0);    // padding column
  EXPECT_EQ(at(0, 5), 0);    // image 1, value 10: its own minimum (normalised on its own)
  EXPECT_EQ(at(5, 0), 0);    // image 2 is constant: black
  EXPECT_EQ(at(5, 5), 0);    // no fourth image: black
  const Tensor shared = tile_images(images, {.columns = 3, .padding = 0, .normalize_each = false});
  EXPECT_EQ(shared.shape(), (Shape{2, 6, 1}));
  EXPECT_EQ(static_cast<int>(shared.data<uint8_t>()[2]), 196);  // image 1's 10 on the set's 0..13 scale
}

TEST(TileImages, ColourImagesKeepTheirChannels) {
  Tensor rgb = Tensor::zeros({4, 3, 3, 3});
  rgb.f32()[0] = 1.0f;
  const Tensor grid = tile_images(rgb);
  EXPECT_EQ(grid.shape(), (Shape{7, 7, 3}));
  EXPECT_EQ(static_cast<int>(grid.data<uint8_t>()[0]), 255);
  EXPECT_EQ(static_cast<int>(grid.data<uint8_t>()[1]), 0);
}

TEST(TileImages, BadInput) {
  test::expect_contains(test::message_of<ShapeError>([] {
                          tile_images(Tensor::zeros({2, 3}));
                        }),
                        {"tile_images", "(n, h, w)"});
  test::expect_contains(test::message_of<ShapeError>([] {
                          tile_images(Tensor::zeros({2, 3, 3, 2}));
                        }),
                        {"1 or 3"});
  test::expect_contains(test::message_of<ValueError>([] {
                          tile_images(Tensor::zeros({1, 2, 2}), {.scale = 0});
                        }),
                        {"scale"});
  Tensor nan = Tensor::zeros({1, 2, 2});
  nan.f32()[1] = std::numeric_limits<float>::quiet_NaN();
  test::expect_contains(test::message_of<ValueError>([&] { tile_images(nan); }), {"NaN"});
}

TEST(ChannelsFirst, OneImagePerChannel) {
  // (2, 2, 3): value = 100 * y + 10 * x + channel.
  Tensor maps = Tensor::empty({1, 2, 2, 3});
  for (int64_t y = 0; y < 2; ++y)
    for (int64_t x = 0; x < 2; ++x)
      for (int64_t c = 0; c < 3; ++c)
        maps.f32()[(y * 2 + x) * 3 + c] = static_cast<float>(100 * y + 10 * x + c);
  const Tensor cf = channels_first(maps);
  ASSERT_EQ(cf.shape(), (Shape{3, 2, 2}));
  EXPECT_EQ(cf.f32()[2 * 4 + 1 * 2 + 1], 112.0f);  // channel 2, y 1, x 1
  test::expect_contains(test::message_of<ShapeError>([] {
                          channels_first(Tensor::zeros({2, 2, 2, 3}));
                        }),
                        {"channels_first"});
}

TEST(ConvFilters, OneImagePerFilterAndInputChannel) {
  Tensor kernel = Tensor::empty({2, 3, 2, 4});  // kh, kw, in, filters
  for (int64_t i = 0; i < kernel.numel(); ++i) kernel.f32()[i] = static_cast<float>(i);
  const Tensor f = conv_filters(kernel);
  ASSERT_EQ(f.shape(), (Shape{8, 2, 3}));
  // Filter 3, input channel 1, y 1, x 2 is kernel[1][2][1][3].
  EXPECT_EQ(f.f32()[((3 * 2 + 1) * 2 + 1) * 3 + 2], kernel.f32()[((1 * 3 + 2) * 2 + 1) * 4 + 3]);
  test::expect_contains(test::message_of<ShapeError>([] {
                          conv_filters(Tensor::zeros({3, 3, 4}));
                        }),
                        {"conv_filters"});
}

}  // namespace
}  // namespace soma::visualization
