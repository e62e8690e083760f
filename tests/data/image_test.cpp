// load_image / save_image and image_dataset_from_directory: round trips, conversions, resizing, the
// Keras directory layout, and errors that name the file.
#include "soma/data/image.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "soma/data/image_dataset.hpp"
#include "support/error_matchers.hpp"

namespace soma::data {
namespace {

namespace fs = std::filesystem;
using test::expect_contains;
using test::message_of;

class Images : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("soma_images_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  // An h x w RGB image whose pixels are (r, g, b) = (value, 2 * y, 3 * x).
  static Tensor rgb(int64_t h, int64_t w, uint8_t value) {
    Tensor t = Tensor::empty({h, w, 3}, DType::uint8);
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        uint8_t* p = t.data<uint8_t>() + (y * w + x) * 3;
        p[0] = value;
        p[1] = static_cast<uint8_t>(2 * y);
        p[2] = static_cast<uint8_t>(3 * x);
      }
    return t;
  }
  fs::path dir_;
};

TEST_F(Images, PngRoundTripIsExact) {
  const Tensor img = rgb(5, 7, 200);
  save_image(path("a.png"), img);
  const Tensor back = load_image(path("a.png"));
  ASSERT_EQ(back.shape(), (Shape{5, 7, 3}));
  EXPECT_EQ(back.to_vector<uint8_t>(), img.to_vector<uint8_t>());
  const Tensor rgba = load_image(path("a.png"), {.color_mode = "rgba"});
  EXPECT_EQ(rgba.shape(), (Shape{5, 7, 4}));
  EXPECT_EQ(rgba.data<uint8_t>()[3], 255) << "opaque alpha added";
}

TEST_F(Images, PngRoundTripsOfGreyAndRgbaThroughLibpng) {
  Tensor grey = Tensor::empty({3, 5, 1}, DType::uint8), rgba = Tensor::empty({4, 3, 4}, DType::uint8);
  for (int64_t i = 0; i < grey.numel(); ++i) grey.data<uint8_t>()[i] = static_cast<uint8_t>(i * 17);
  for (int64_t i = 0; i < rgba.numel(); ++i) rgba.data<uint8_t>()[i] = static_cast<uint8_t>(255 - i * 5);
  save_image(path("g.png"), grey);
  save_image(path("c.png"), rgba);
  EXPECT_EQ(load_image(path("g.png"), {.color_mode = "grayscale"}).to_vector<uint8_t>(),
            grey.to_vector<uint8_t>());
  EXPECT_EQ(load_image(path("c.png"), {.color_mode = "rgba"}).to_vector<uint8_t>(),
            rgba.to_vector<uint8_t>());
  std::ifstream f(path("g.png"), std::ios::binary);
  std::string head(8, '\0');
  f.read(head.data(), 8);
  EXPECT_EQ(head, "\x89PNG\r\n\x1a\n");
  EXPECT_FALSE(fs::exists(path("g.png.tmp"))) << "written atomically";
  expect_contains(message_of<ValueError>([&] {
                    save_image(path("e.png"), Tensor::zeros({0, 4, 3}, DType::uint8));
                  }),
                  {"save_image: a PNG needs a height and width in 1..2^31-1, received (0, 4, 3)."});
  expect_contains(message_of<IOError>([&] { save_image(path("missing/x.png"), grey); }),
                  {"save_image", "missing"});
}

TEST_F(Images, GrayscaleAndResize) {
  Tensor img = Tensor::full({4, 4, 3}, 0.0f).astype(DType::uint8);
  for (int64_t i = 0; i < 16; ++i) img.data<uint8_t>()[i * 3] = 255;  // pure red
  save_image(path("red.png"), img);
  const Tensor gray = load_image(path("red.png"), {.color_mode = "grayscale"});
  ASSERT_EQ(gray.shape(), (Shape{4, 4, 1}));
  EXPECT_NEAR(gray.data<uint8_t>()[0], 77, 2) << "stb's luma of pure red";
  const Tensor small = load_image(path("red.png"), {.target_size = {2, 3}});
  ASSERT_EQ(small.shape(), (Shape{2, 3, 3}));
  EXPECT_EQ(small.data<uint8_t>()[0], 255);  // a uniform image stays uniform when resized
  EXPECT_EQ(small.data<uint8_t>()[1], 0);
}

TEST_F(Images, Errors) {
  expect_contains(message_of<IOError>([&] { load_image(path("none.png")); }), {"load_image", "none.png"});
  std::ofstream(path("text.png")) << "not an image";
  expect_contains(message_of<IOError>([&] { load_image(path("text.png")); }),
                  {"load_image: ", "text.png: not a PNG, JPEG, BMP, GIF, TGA or binary PGM/PPM image",
                   "it starts with 6e 6f 74 20"});
  expect_contains(message_of<ValueError>([&] { load_image(path("text.png"), {.color_mode = "cmyk"}); }),
                  {"color_mode", "cmyk"});
  expect_contains(message_of<ValueError>([&] {
                    load_image(path("text.png"), {.target_size = {0, 3}});
                  }),
                  {"target_size"});
  expect_contains(message_of<ValueError>([&] {
                    load_image(path("text.png"), {.target_size = {65536, 65536}});
                  }),
                  {"target_size", "at most 178956970 pixels"});
  expect_contains(message_of<ValueError>([&] {
                    save_image(path("x.png"), Tensor::zeros({2, 2, 3}));
                  }),
                  {"uint8"});
  expect_contains(message_of<ValueError>([&] {
                    save_image(path("x.png"), Tensor::zeros({2, 2, 2}, DType::uint8));
                  }),
                  {"1, 3 or 4 channels"});
}

TEST_F(Images, DatasetFromDirectory) {
  // Keras' layout: a directory per class. "cats" has 3 images, "dogs" 2 (one in a nested folder), plus a
  // file that is not an image, which is skipped.
  for (const char* c : {"dogs", "cats", "dogs/puppies"}) fs::create_directories(dir_ / "pets" / c);
  save_image(path("pets/cats/c1.png"), rgb(6, 6, 10));
  save_image(path("pets/cats/c2.png"), rgb(8, 4, 11));
  save_image(path("pets/cats/c3.png"), rgb(6, 6, 12));
  save_image(path("pets/dogs/d1.png"), rgb(6, 6, 20));
  save_image(path("pets/dogs/puppies/d2.png"), rgb(6, 6, 21));
  std::ofstream(path("pets/dogs/notes.txt")) << "not an image";

  const ImageDataset all =
      image_dataset_from_directory(path("pets"), {.image_size = {6, 6}, .shuffle = false});
  EXPECT_EQ(all.class_names, (std::vector<std::string>{"cats", "dogs"}));
  ASSERT_EQ(all.images.shape(), (Shape{5, 6, 6, 3}));
  EXPECT_EQ(all.labels.to_vector<int64_t>(), (std::vector<int64_t>{0, 0, 0, 1, 1}));
  EXPECT_EQ(all.images.data<uint8_t>()[0], 10);
  EXPECT_EQ(all.images.data<uint8_t>()[3 * 108], 20) << "first dog, by file name";
  // Each label matches the red value its class was drawn with.
  const ImageDataset mixed = image_dataset_from_directory(path("pets"), {.image_size = {6, 6}, .seed = 3});
  for (int64_t i = 0; i < 5; ++i) {
    EXPECT_EQ(mixed.images.data<uint8_t>()[i * 108] / 10, mixed.labels.data<int64_t>()[i] + 1) << i;
  }
  const auto train = image_dataset_from_directory(
      path("pets"), {.image_size = {6, 6}, .seed = 3, .validation_split = 0.4f, .subset = "training"});
  const auto val = image_dataset_from_directory(
      path("pets"), {.image_size = {6, 6}, .seed = 3, .validation_split = 0.4f, .subset = "validation"});
  EXPECT_EQ(train.images.dim(0), 3);
  EXPECT_EQ(val.images.dim(0), 2);
  for (const auto& f : val.file_paths) {
    EXPECT_EQ(std::count(train.file_paths.begin(), train.file_paths.end(), f), 0)
        << "no file in both subsets";
  }
  const auto gray =
      image_dataset_from_directory(path("pets"), {.color_mode = "grayscale", .image_size = {3, 3}});
  EXPECT_EQ(gray.images.shape(), (Shape{5, 3, 3, 1}));
}

TEST_F(Images, DatasetErrors) {
  expect_contains(message_of<IOError>([&] { image_dataset_from_directory(path("missing")); }),
                  {"missing", "not a directory"});
  fs::create_directories(dir_ / "flat");
  save_image(path("flat/a.png"), rgb(2, 2, 1));
  expect_contains(message_of<IOError>([&] { image_dataset_from_directory(path("flat")); }),
                  {"no subdirectories"});
  fs::create_directories(dir_ / "empty" / "a");
  expect_contains(message_of<IOError>([&] { image_dataset_from_directory(path("empty")); }),
                  {"no image files"});
  fs::create_directories(dir_ / "broken" / "a");
  std::ofstream(path("broken/a/x.png")) << "junk";
  expect_contains(message_of<IOError>([&] { image_dataset_from_directory(path("broken")); }), {"x.png"});
  expect_contains(message_of<ValueError>(
                      [&] { image_dataset_from_directory(path("broken"), {.validation_split = 0.2f}); }),
                  {"subset"});
  expect_contains(
      message_of<ValueError>([&] { image_dataset_from_directory(path("broken"), {.image_size = {5}}); }),
      {"image_size"});
  expect_contains(
      message_of<ValueError>([&] { image_dataset_from_directory(path("broken"), {.color_mode = "hsv"}); }),
      {"color_mode"});
}

}  // namespace
}  // namespace soma::data
