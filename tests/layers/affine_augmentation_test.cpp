// RandomTranslation, RandomZoom and RandomRotation and their op: the transform kernel against tfjs'
// tf.image.transform (tests/reference/affine_transform.js: TensorFlow's ImageProjectiveTransformV3, every
// fill mode, both interpolations, both layouts), the layers' matrices against the same cases (a factor
// range of one value draws that value), backward as the adjoint of forward and by finite differences,
// thread counts, seeds, inference, a saved model, and the errors.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>

#include "soma/soma.hpp"
#include "support/error_matchers.hpp"
#include "support/gradcheck.hpp"
#include "support/reference_cases.hpp"

namespace soma {
namespace {

namespace L = layers;
using autograd::AffineTransformOp;
using test::expect_contains;
using test::message_of;

AffineTransformOp::Mode mode_of(const testing::ReferenceCase& c, bool channels_first) {
  static const char* const fills[] = {"reflect", "wrap", "constant", "nearest"};
  AffineTransformOp::Mode m{.bilinear = c.options.at("interpolation") == "bilinear",
                            .fill_value = std::stof(c.options.at("fill_value")),
                            .channels_first = channels_first};
  for (int i = 0; i < 4; ++i)
    if (c.options.at("fill_mode") == fills[i]) m.fill = i;
  return m;
}

std::vector<float> transform_of(const testing::ReferenceCase& c) {
  const Tensor& t = c.tensors.at("transform");
  return {t.f32(), t.f32() + 8};
}

// (1, H, W, C) <-> (1, C, H, W)
Tensor to_first(const Tensor& x) {
  const int64_t h = x.dim(1), w = x.dim(2), ch = x.dim(3);
  Tensor y = Tensor::empty({1, ch, h, w});
  for (int64_t i = 0; i < h; ++i)
    for (int64_t j = 0; j < w; ++j)
      for (int64_t k = 0; k < ch; ++k) y.f32()[(k * h + i) * w + j] = x.f32()[(i * w + j) * ch + k];
  return y;
}

TEST(AffineTransform, MatchesTfjsInBothLayouts) {
  const auto cases = testing::load_reference_cases("affine_transform.txt");
  ASSERT_EQ(cases.size(), 12u);
  double worst = 0.0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    for (const bool cf : {false, true}) {
      autograd::Variable x(cf ? to_first(c.tensors.at("x")) : c.tensors.at("x").clone());
      AffineTransformOp op;
      const Tensor& y = op.forward(nullptr, x, transform_of(c), mode_of(c, cf)).value;
      const Tensor want = cf ? to_first(c.tensors.at("y")) : c.tensors.at("y").clone();
      testing::expect_close(y, want, "y", 2e-6f);
      for (int64_t i = 0; i < y.numel(); ++i) worst = std::max(worst, std::fabs(double(y.f32()[i]) - want.f32()[i]));
    }
  }
  std::printf("affine transform vs tfjs: max |y - y_tfjs| %.2g\n", worst);
}

// The layers' own matrices: a factor range of one value always draws that value.
TEST(AffineTransform, LayersBuildKerasMatrices) {
  const auto cases = testing::load_reference_cases("affine_transform.txt");
  for (const auto& c : cases) {
    const std::string kind = c.options.at("kind");
    if (kind == "projective" || c.name == "translate_far_reflect") continue;  // beyond Keras' factor range
    SCOPED_TRACE(c.name);
    std::vector<float> p;
    for (const auto& s : {c.options.at("params")}) {
      size_t start = 0;
      while (start < s.size()) {
        const size_t end = std::min(s.find(',', start), s.size());
        p.push_back(std::stof(s.substr(start, end - start)));
        start = end + 1;
      }
    }
    const std::string fill = c.options.at("fill_mode"), interp = c.options.at("interpolation");
    const float value = std::stof(c.options.at("fill_value"));
    std::unique_ptr<L::Layer> layer;
    if (kind == "translation") {
      layer = std::make_unique<L::RandomTranslation>(L::RandomTranslationOptions{
          .height_factor = {p[1], p[1]}, .width_factor = {p[0], p[0]}, .fill_mode = fill, .interpolation = interp,
          .fill_value = value});
    } else if (kind == "zoom") {
      layer = std::make_unique<L::RandomZoom>(L::RandomZoomOptions{
          .height_factor = {p[1], p[1]}, .width_factor = {p[0], p[0]}, .fill_mode = fill, .interpolation = interp,
          .fill_value = value});
    } else {
      layer = std::make_unique<L::RandomRotation>(L::RandomRotationOptions{
          .factor = {p[0], p[0]}, .fill_mode = fill, .interpolation = interp, .fill_value = value});
    }
    autograd::Variable x(c.tensors.at("x").clone());
    testing::expect_close((*layer)(nullptr, x, true).value, c.tensors.at("y"), "y", 2e-5f);
    EXPECT_EQ(&(*layer)(nullptr, x, false), &x) << "the identity at inference";
  }
}

double dot(const Tensor& a, const Tensor& b) {
  double s = 0.0;
  for (int64_t i = 0; i < a.numel(); ++i) s += double(a.f32()[i]) * b.f32()[i];
  return s;
}

// With fill_value 0 the transform is linear in the image: <T x, dy> = <x, T^T dy>.
TEST(AffineTransform, BackwardIsTheAdjointOfForward) {
  set_seed(8);
  const auto cases = testing::load_reference_cases("affine_transform.txt");
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    for (const bool cf : {false, true}) {
      AffineTransformOp::Mode m = mode_of(c, cf);
      m.fill_value = 0.0f;
      autograd::Variable x(testing::random_tensor(c.tensors.at("x").shape()), true);
      autograd::Tape tape;
      AffineTransformOp op;
      autograd::Variable& y = op.forward(&tape, x, transform_of(c), m);
      const Tensor dy = testing::random_tensor(y.value.shape());
      const double lhs = dot(y.value, dy);
      tape.backward(y, dy);
      EXPECT_NEAR(dot(x.value, x.grad), lhs, 1e-4 * (1 + std::fabs(lhs)));
    }
  }
}

TEST(AffineTransform, FiniteDifferences) {
  set_seed(9);
  const auto cases = testing::load_reference_cases("affine_transform.txt");
  for (const char* name : {"translate_constant", "rotate_reflect", "projective_constant"}) {
    SCOPED_TRACE(name);
    const auto& c = *std::find_if(cases.begin(), cases.end(), [&](const auto& k) { return k.name == name; });
    autograd::Variable x(testing::random_tensor({2, 4, 5, 2}), true);
    std::vector<float> t = transform_of(c);
    t.insert(t.end(), t.begin(), t.end());  // the same transform for both images
    AffineTransformOp op;
    testing::gradcheck([&](autograd::Tape* tape, auto& in) -> autograd::Variable& {
      return op.forward(tape, *in[0], t, mode_of(c, false));
    }, {&x});
  }
}

// Images run in parallel above the threshold: identical values and gradients on 1, 2 and 3 threads.
TEST(AffineTransform, SameResultOnEveryThreadCount) {
  set_seed(10);
  const Tensor x0 = testing::random_tensor({47, 32, 33, 3});  // 148,896 values, above kSerialElements
  const Tensor dy = testing::random_tensor(x0.shape());
  const int saved = omp_get_max_threads();
  Tensor first_y, first_dx;
  for (int threads : {1, 2, 3}) {
    omp_set_num_threads(threads);
    L::RandomRotation rot({.factor = {0.2f}, .seed = 4});
    autograd::Variable x(x0.clone(), true);
    autograd::Tape tape;
    autograd::Variable& y = rot(&tape, x, true);
    tape.backward(y, dy);
    if (threads == 1) {
      first_y = y.value.clone();
      first_dx = x.grad.clone();
      continue;
    }
    testing::expect_close(y.value, first_y, "y", 0.0f);
    testing::expect_close(x.grad, first_dx, "dx", 0.0f);
  }
  omp_set_num_threads(saved);
}

TEST(AffineAugmentation, SeededDrawsRepeatAndStayInRange) {
  const Tensor x0 = testing::random_tensor({6, 8, 8, 1});
  auto run = [&](int64_t seed) {
    L::RandomTranslation t({.height_factor = {0.2f}, .width_factor = {-0.1f, 0.3f}, .seed = seed});
    autograd::Variable x(x0.clone());
    return t(nullptr, x, true).value.clone();
  };
  testing::expect_close(run(3), run(3), "same seed", 0.0f);
  const Tensor a = run(3), b = run(4);
  EXPECT_GT(std::fabs(dot(a, a) - dot(b, b)) + std::fabs(dot(a, b) - dot(a, a)), 0.0) << "another seed differs";
  // Whole-pixel translations with nearest interpolation move each image by integer offsets in range.
  L::RandomTranslation whole({.height_factor = {0.25f}, .width_factor = {0.25f}, .fill_mode = "constant",
                              .interpolation = "nearest", .seed = 1});
  autograd::Variable x(Tensor::ones({64, 8, 8, 1}));
  const Tensor y = whole(nullptr, x, true).value.clone();
  for (int64_t img = 0; img < 64; ++img) {
    double kept = 0;
    for (int64_t i = 0; i < 64; ++i) kept += y.f32()[img * 64 + i];
    EXPECT_GE(kept, 36.0) << "at most 2 rows and 2 columns shifted out";  // (8 - 2)^2
  }
}

TEST(AffineAugmentation, InAModelSavedAndLoaded) {
  set_seed(11);
  auto in = Input({10, 10, 1});
  auto y = L::RandomTranslation({.height_factor = {0.1f}, .width_factor = {0.1f}, .seed = 5})(in);
  y = L::RandomZoom({.height_factor = {-0.2f, 0.1f}})(y);
  y = L::RandomRotation({.factor = {0.05f}, .fill_mode = "nearest"})(y);
  y = L::Conv2D({.filters = 2, .kernel_size = {3}})(y);
  Model model({in}, {y});
  const Tensor x = testing::random_tensor({3, 10, 10, 1});
  const Tensor want = model.predict(x);
  const std::string path = ::testing::TempDir() + "/affine_augmentation.soma";
  model.save(path);
  testing::expect_close(load_model(path).predict(x), want, "loaded", 0.0f);
  model.compile({.optimizer = optimizers::SGD({.learning_rate = 0.01}), .loss = "mse"});
  model.fit(x, testing::random_tensor({3, 8, 8, 2}), {.batch_size = 3, .epochs = 1, .verbose = 0});
}

TEST(AffineAugmentation, Errors) {
  expect_contains(message_of<ValueError>([] { L::RandomTranslation({.height_factor = {1.5f}, .width_factor = {0.1f}}); }),
                  {"RandomTranslation", "height_factor must lie in [-1, 1], received (1.5)"});
  expect_contains(message_of<ValueError>([] { L::RandomTranslation({.height_factor = {0.1f}}); }),
                  {"width_factor must be a number or a (lower, upper) pair, received ()"});
  expect_contains(message_of<ValueError>([] { L::RandomZoom({.height_factor = {-1.5f, 0.2f}}); }),
                  {"RandomZoom", "height_factor must be >= -1, received (-1.5, 0.2)"});
  expect_contains(message_of<NotImplementedError>([] { L::RandomRotation({.factor = {0.1f}, .fill_mode = "mirror"}); }),
                  {"RandomRotation", "unknown fill_mode \"mirror\""});
  expect_contains(message_of<NotImplementedError>([] { L::RandomRotation({.factor = {0.1f}, .interpolation = "bicubic"}); }),
                  {"unknown interpolation \"bicubic\""});
  expect_contains(message_of<ShapeError>([] { L::RandomZoom({.height_factor = {0.1f}}).build(Shape{8, 8}); }),
                  {"RandomZoom", "expected images of rank 4", "received (None, 8, 8)"});
}

}  // namespace
}  // namespace soma
