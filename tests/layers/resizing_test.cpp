// Image resizing against tfjs (tests/reference/resize.js: tf.image.resizeBilinear/resizeNearestNeighbor
// with half-pixel centres, the kernels of tf.image.resize, and Keras' aspect-ratio windows): Resizing
// with both interpolations, crop_to_aspect_ratio and pad_to_aspect_ratio, UpSampling2D(bilinear) and
// CenterCrop on an image smaller than its target, in both layouts and on 1-3 threads. Then gradients
// (finite differences through the harness), shapes, configs and errors.
#include <gtest/gtest.h>
#include <omp.h>

#include <set>

#include "soma/soma.hpp"
#include "support/error_matchers.hpp"
#include "support/layer_harness.hpp"
#include "support/reference_cases.hpp"

namespace soma {
namespace {

namespace L = layers;
using test::expect_contains;
using test::message_of;
using testing::check_layer;
using testing::expect_close;

// (n, h, w, c) <-> (n, c, h, w)
Tensor to_channels_first(const Tensor& t) {
  const Shape& s = t.shape();
  Tensor out = Tensor::empty(Shape{s[0], s[3], s[1], s[2]});
  for (int64_t n = 0; n < s[0]; ++n)
    for (int64_t y = 0; y < s[1]; ++y)
      for (int64_t x = 0; x < s[2]; ++x)
        for (int64_t c = 0; c < s[3]; ++c)
          out.f32()[((n * s[3] + c) * s[1] + y) * s[2] + x] = t.f32()[((n * s[1] + y) * s[2] + x) * s[3] + c];
  return out;
}

std::unique_ptr<L::Layer> layer_for(const testing::ReferenceCase& c, const std::string& format) {
  const int64_t h = std::stoll(c.options.at("height")), w = std::stoll(c.options.at("width"));
  const std::string mode = c.options.at("mode");
  const Shape& in = c.tensors.at("x").shape();
  if (c.name.starts_with("upsample"))
    return std::make_unique<L::UpSampling2D>(L::UpSampling2DOptions{
        .size = {h / in[1], w / in[2]}, .data_format = format, .interpolation = "bilinear"});
  if (c.name.starts_with("center_crop"))
    return std::make_unique<L::CenterCrop>(L::CenterCropOptions{.height = h, .width = w, .data_format = format});
  return std::make_unique<L::Resizing>(L::ResizingOptions{.height = h,
                                                          .width = w,
                                                          .interpolation = c.options.at("interpolation"),
                                                          .crop_to_aspect_ratio = mode == "crop",
                                                          .pad_to_aspect_ratio = mode == "pad",
                                                          .fill_value = std::stof(c.options.at("fill")),
                                                          .data_format = format});
}

TEST(ResizeVsTfjs, EveryCaseBothLayoutsOneToThreeThreads) {
  const auto cases = testing::load_reference_cases("resize.txt");
  ASSERT_EQ(cases.size(), 12u);
  const int saved = omp_get_max_threads();
  float worst = 0.0f;
  for (int threads : {1, 2, 3}) {
    omp_set_num_threads(threads);
    for (const auto& c : cases) {
      for (const std::string format : {"channels_last", "channels_first"}) {
        SCOPED_TRACE(c.name + " " + format + " threads " + std::to_string(threads));
        const bool first = format == "channels_first";
        auto layer = layer_for(c, format);
        const Tensor x = first ? to_channels_first(c.tensors.at("x")) : c.tensors.at("x").clone();
        const Tensor want = first ? to_channels_first(c.tensors.at("y")) : c.tensors.at("y").clone();
        layer->build(x.shape().without_batch());
        EXPECT_EQ(layer->output_shape(x.shape().without_batch()), want.shape().without_batch());
        autograd::Variable v(x.clone());
        const Tensor& y = (*layer)(nullptr, v, false).value;
        expect_close(y, want, "y", 2e-6f);
        for (int64_t i = 0; i < y.numel(); ++i) worst = std::max(worst, std::fabs(y.f32()[i] - want.f32()[i]));
      }
    }
  }
  omp_set_num_threads(saved);
  std::printf("Resizing/UpSampling2D/CenterCrop vs tfjs: max |y - y_tfjs| = %.3g\n", worst);
}

// A batch big enough for the kernels to split between threads: every thread count gives the same bits,
// forward and backward.
TEST(ResizeOp, ThreadSplitsGiveTheSameBits) {
  const int saved = omp_get_max_threads();
  set_seed(3);
  const Tensor x0 = testing::random_tensor(Shape{5, 33, 27, 7});
  std::vector<std::vector<float>> results;
  for (int threads : {1, 2, 3}) {
    omp_set_num_threads(threads);
    autograd::Variable x(x0.clone(), true);
    autograd::ResizeOp op;
    autograd::Tape tape;
    autograd::Variable& y = op.forward(&tape, x, {.out_height = 61, .out_width = 49, .top = -2, .rows = 37});
    set_seed(4);
    tape.backward(y, testing::random_tensor(y.value.shape()));
    std::vector<float> all = y.value.to_vector<float>();
    const auto g = x.grad.to_vector<float>();
    all.insert(all.end(), g.begin(), g.end());
    results.push_back(all);
  }
  omp_set_num_threads(saved);
  EXPECT_EQ(results[1], results[0]);
  EXPECT_EQ(results[2], results[0]);
}

TEST(ResizingLayers, Harness) {
  set_seed(6);
  L::Resizing up({.height = 5, .width = 7});
  check_layer(up, {.input = {3, 4, 2}, .output = {5, 7, 2}, .params = 0, .batch = 2});
  L::Resizing down({.height = 2, .width = 3, .interpolation = "nearest", .crop_to_aspect_ratio = true});
  check_layer(down, {.input = {5, 4, 1}, .output = {2, 3, 1}, .params = 0, .batch = 2});
  L::Resizing pad({.height = 4, .width = 4, .pad_to_aspect_ratio = true, .fill_value = 1.0f,
                   .data_format = "channels_first"});
  check_layer(pad, {.input = {2, 3, 5}, .output = {2, 4, 4}, .params = 0, .batch = 2});
  L::UpSampling2D bilinear({.size = {2, 3}, .interpolation = "bilinear"});
  check_layer(bilinear, {.input = {3, 2, 2}, .output = {6, 6, 2}, .params = 0, .batch = 2});
  L::CenterCrop small({.height = 4, .width = 4});
  check_layer(small, {.input = {3, 5, 1}, .output = {4, 4, 1}, .params = 0, .batch = 2});
}

TEST(ResizingLayers, SameSizeIsTheIdentity) {
  set_seed(1);
  const Tensor x = testing::random_tensor(Shape{2, 4, 5, 3});
  for (const char* interpolation : {"bilinear", "nearest"}) {
    L::Resizing same({.height = 4, .width = 5, .interpolation = interpolation});
    autograd::Variable v(x.clone());
    EXPECT_EQ(same(nullptr, v, false).value.to_vector<float>(), x.to_vector<float>()) << interpolation;
  }
}

TEST(ResizingLayers, Errors) {
  expect_contains(message_of<ValueError>([] { L::Resizing({.height = 0, .width = 2}); }),
                  {"Resizing", "height and width must be positive integers, received 0 and 2"});
  expect_contains(message_of<NotImplementedError>([] { L::Resizing({.height = 2, .width = 2, .interpolation = "bicubic"}); }),
                  {"interpolation \"bicubic\" is not implemented", "\"bilinear\" and \"nearest\""});
  expect_contains(message_of<ValueError>([] { L::Resizing({.height = 2, .width = 2, .interpolation = "cubic"}); }),
                  {"unknown interpolation \"cubic\"", "lanczos5"});
  expect_contains(message_of<ValueError>([] {
                    L::Resizing({.height = 2, .width = 2, .crop_to_aspect_ratio = true, .pad_to_aspect_ratio = true});
                  }),
                  {"only one of crop_to_aspect_ratio and pad_to_aspect_ratio"});
  expect_contains(message_of<ValueError>([] { L::Resizing({.height = 2, .width = 2, .fill_mode = "reflect"}); }),
                  {"fill_mode must be \"constant\"", "reflect"});
  expect_contains(message_of<NotImplementedError>([] { L::Resizing({.height = 2, .width = 2, .antialias = true}); }),
                  {"antialias"});
  expect_contains(message_of<ShapeError>([] { L::Resizing({.height = 2, .width = 2}).build(Shape{4, 4}); }),
                  {"expected images (batch, height, width, channels)", "(None, 4, 4)"});
  expect_contains(message_of<ValueError>([] { L::Resizing({.height = 2, .width = 2, .data_format = "nhwc"}); }),
                  {"data_format"});
}

}  // namespace
}  // namespace soma

namespace soma {
namespace {

namespace L = layers;

// Images whose pixel (y, x) holds 100 y + x (one channel), so a crop's offset can be read off its corner.
Tensor coordinates(int64_t n, int64_t h, int64_t w) {
  Tensor t = Tensor::empty(Shape{n, h, w, 1});
  for (int64_t i = 0; i < n; ++i)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) t.f32()[(i * h + y) * w + x] = static_cast<float>(100 * y + x);
  return t;
}

TEST(RandomCropLayer, TrainingCropsOneWindowPerBatchAtEveryOffset) {
  L::RandomCrop crop({.height = 3, .width = 2, .seed = 7});
  crop.build(Shape{5, 6, 1});
  const Tensor x = coordinates(4, 5, 6);
  std::set<std::pair<int, int>> offsets;
  for (int step = 0; step < 200; ++step) {
    autograd::Variable v(x.clone());
    const Tensor& y = crop(nullptr, v, true).value;
    ASSERT_EQ(y.shape(), (Shape{4, 3, 2, 1}));
    const int top = static_cast<int>(y.f32()[0]) / 100, left = static_cast<int>(y.f32()[0]) % 100;
    ASSERT_LE(top, 2);
    ASSERT_LE(left, 4);
    offsets.insert({top, left});
    for (int64_t i = 0; i < 4; ++i)  // the same window in every image, copied exactly
      for (int64_t r = 0; r < 3; ++r)
        for (int64_t c = 0; c < 2; ++c)
          ASSERT_EQ(y.f32()[(i * 3 + r) * 2 + c], static_cast<float>(100 * (top + r) + left + c));
  }
  EXPECT_EQ(offsets.size(), 15u);  // every one of the 3 x 5 offsets appears
  // The same seed gives the same crops; another model load restarts the generator.
  L::RandomCrop again({.height = 3, .width = 2, .seed = 7});
  L::RandomCrop first({.height = 3, .width = 2, .seed = 7});
  for (int step = 0; step < 5; ++step) {
    autograd::Variable a(x.clone()), b(x.clone());
    EXPECT_EQ(again(nullptr, a, true).value.to_vector<float>(), first(nullptr, b, true).value.to_vector<float>());
  }
}

TEST(RandomCropLayer, InferenceAndSmallImagesAreSmartResized) {
  // Inference: Keras' smart_resize, the same as CenterCrop's small-image path or Resizing with
  // crop_to_aspect_ratio.
  set_seed(2);
  const Tensor x = testing::random_tensor(Shape{2, 6, 9, 3});
  L::RandomCrop crop({.height = 4, .width = 4});
  L::Resizing resize({.height = 4, .width = 4, .crop_to_aspect_ratio = true});
  autograd::Variable a(x.clone()), b(x.clone()), c(x.clone());
  const auto want = resize(nullptr, b, false).value.to_vector<float>();
  EXPECT_EQ(crop(nullptr, a, false).value.to_vector<float>(), want);
  // Training on an image not larger on both axes (Keras' condition is strict) takes the same path.
  L::RandomCrop tall({.height = 6, .width = 4});
  L::Resizing tall_resize({.height = 6, .width = 4, .crop_to_aspect_ratio = true});
  autograd::Variable d(x.clone());
  EXPECT_EQ(tall(nullptr, c, true).value.to_vector<float>(), tall_resize(nullptr, d, false).value.to_vector<float>());
}

TEST(RandomCropLayer, HarnessAndErrors) {
  set_seed(5);
  // Training: each call draws a new window, so instead of finite differences the gradient is checked to
  // be dy inside the window and 0 outside.
  L::RandomCrop crop({.height = 2, .width = 3, .seed = 1});
  crop.build(Shape{4, 5, 1});
  for (int step = 0; step < 10; ++step) {
    autograd::Variable x(coordinates(2, 4, 5), true);
    autograd::Tape tape;
    autograd::Variable& y = crop(&tape, x, true);
    const Tensor dy = testing::random_tensor(y.value.shape());
    tape.backward(y, dy);
    const int top = static_cast<int>(y.value.f32()[0]) / 100, left = static_cast<int>(y.value.f32()[0]) % 100;
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t r = 0; r < 4; ++r)
        for (int64_t c = 0; c < 5; ++c) {
          const bool inside = r >= top && r < top + 2 && c >= left && c < left + 3;
          const float want = inside ? dy.f32()[(i * 2 + r - top) * 3 + c - left] : 0.0f;
          ASSERT_EQ(x.grad.f32()[(i * 4 + r) * 5 + c], want) << step << " " << i << " " << r << " " << c;
        }
  }
  L::RandomCrop inference({.height = 3, .width = 3, .data_format = "channels_first"});
  testing::check_layer(inference, {.input = {2, 4, 5}, .output = {2, 3, 3}, .params = 0, .batch = 2});
  test::expect_contains(test::message_of<ValueError>([] { L::RandomCrop({.height = 2, .width = -1}); }),
                        {"RandomCrop", "height and width must be positive integers, received 2 and -1"});
  test::expect_contains(test::message_of<ShapeError>([] { L::RandomCrop({.height = 2, .width = 2}).build(Shape{4, 4}); }),
                        {"expected images", "(None, 4, 4)"});
}

}  // namespace
}  // namespace soma
