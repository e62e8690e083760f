// RandomFlip: the identity at inference; in training each sample is the input or its flip, by direct
// index arithmetic, in about half the samples; one draw flips both axes in "horizontal_and_vertical"
// (Keras 3); reproducible under set_seed or its own seed; gradients; errors; save and load in a model.
#include <gtest/gtest.h>

#include "soma/soma.hpp"
#include "support/error_matchers.hpp"
#include "support/layer_harness.hpp"

namespace soma {
namespace {

namespace L = layers;
using test::expect_contains;
using test::message_of;

Tensor train_call(L::Layer& layer, const Tensor& x) {
  autograd::Variable v(x);
  return layer(nullptr, v, true).value.clone();
}

// x[b] with rows (height) and/or columns (width) reversed, element by element.
std::vector<float> flipped_sample(const Tensor& x, int64_t b, bool h, bool v, bool channels_first) {
  const int64_t H = channels_first ? x.dim(2) : x.dim(1), W = channels_first ? x.dim(3) : x.dim(2),
                C = channels_first ? x.dim(1) : x.dim(3);
  std::vector<float> out;
  auto at = [&](int64_t i, int64_t j, int64_t c) {
    const int64_t si = v ? H - 1 - i : i, sj = h ? W - 1 - j : j;
    return channels_first ? x.f32()[((b * C + c) * H + si) * W + sj] : x.f32()[((b * H + si) * W + sj) * C + c];
  };
  if (channels_first) {
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < H; ++i)
        for (int64_t j = 0; j < W; ++j) out.push_back(at(i, j, c));
  } else {
    for (int64_t i = 0; i < H; ++i)
      for (int64_t j = 0; j < W; ++j)
        for (int64_t c = 0; c < C; ++c) out.push_back(at(i, j, c));
  }
  return out;
}

std::vector<float> sample(const Tensor& y, int64_t b) {
  const int64_t n = y.numel() / y.dim(0);
  return {y.f32() + b * n, y.f32() + (b + 1) * n};
}

// Each sample of y must be x's own or its flip in the given mode; returns the fraction flipped.
double check_each_sample(const Tensor& x, const Tensor& y, bool h, bool v, bool channels_first) {
  int64_t flipped = 0;
  for (int64_t b = 0; b < x.dim(0); ++b) {
    const auto got = sample(y, b);
    const bool same = got == sample(x, b), flip = got == flipped_sample(x, b, h, v, channels_first);
    EXPECT_TRUE(same || flip) << "sample " << b << " is neither the image nor its flip";
    flipped += flip && !same;
  }
  return static_cast<double>(flipped) / static_cast<double>(x.dim(0));
}

struct FlipCase {
  std::string mode;
  std::string data_format;
  bool h, v;
};

TEST(RandomFlip, EachSampleIsTheImageOrItsFlipAboutHalfTheTime) {
  set_seed(70);
  for (const FlipCase& c : {FlipCase{"horizontal", "channels_last", true, false},
                            FlipCase{"vertical", "channels_last", false, true},
                            FlipCase{"horizontal_and_vertical", "channels_last", true, true},
                            FlipCase{"horizontal", "channels_first", true, false},
                            FlipCase{"horizontal_and_vertical", "channels_first", true, true}}) {
    SCOPED_TRACE(c.mode + " " + c.data_format);
    L::RandomFlip f({.mode = c.mode, .data_format = c.data_format});
    // Odd sizes, so no row or column is its own mirror image by accident of an even split.
    const Tensor x = testing::random_tensor({600, 5, 3, 2});
    EXPECT_NEAR(check_each_sample(x, train_call(f, x), c.h, c.v, c.data_format == "channels_first"), 0.5, 0.07);
    autograd::Variable in(x);
    EXPECT_EQ(&f(nullptr, in, false), &in) << "inference must be the identity";
  }
}

TEST(RandomFlip, BothAxesFlipTogetherInHorizontalAndVertical) {
  // Keras 3 draws once per sample for both flips: never only one of them.
  set_seed(71);
  L::RandomFlip f;
  const Tensor x = testing::random_tensor({300, 3, 4, 1});
  const Tensor y = train_call(f, x);
  for (int64_t b = 0; b < x.dim(0); ++b) {
    EXPECT_NE(sample(y, b), flipped_sample(x, b, true, false, false)) << b;
    EXPECT_NE(sample(y, b), flipped_sample(x, b, false, true, false)) << b;
  }
}

TEST(RandomFlip, ReproducibleUnderSetSeedOrItsOwnSeed) {
  const Tensor x = testing::random_tensor({40, 3, 3, 2});
  L::RandomFlip global("horizontal");
  set_seed(5);
  const Tensor a = train_call(global, x);
  const Tensor b = train_call(global, x);
  set_seed(5);
  EXPECT_EQ(train_call(global, x).to_vector<float>(), a.to_vector<float>());
  EXPECT_NE(a.to_vector<float>(), b.to_vector<float>()) << "the next call draws new flips";

  // A seeded layer keeps its own sequence, whatever the global generator does, and leaves it alone.
  L::RandomFlip s1({.mode = "horizontal", .seed = 42}), s2({.mode = "horizontal", .seed = 42});
  const std::string before = random::state();
  const Tensor first = train_call(s1, x);
  EXPECT_EQ(random::state(), before);
  set_seed(999);
  EXPECT_EQ(train_call(s2, x).to_vector<float>(), first.to_vector<float>());
  EXPECT_NE(train_call(s1, x).to_vector<float>(), first.to_vector<float>());
}

TEST(RandomFlip, Gradient) {
  for (const char* format : {"channels_last", "channels_first"}) {
    SCOPED_TRACE(format);
    L::RandomFlip f({.data_format = format});
    f.build(Shape{3, 5, 2});
    autograd::Variable x(testing::random_tensor({6, 3, 5, 2}), true);
    testing::gradcheck(
        [&](autograd::Tape* t, auto& in) -> autograd::Variable& {
          set_seed(12);  // the same flips for every finite-difference evaluation
          return f(t, *in[0], true);
        },
        {&x});
  }
  L::RandomFlip inference;
  testing::check_layer(inference, {.input = {3, 5, 2}, .output = {3, 5, 2}});
}

TEST(RandomFlip, BadArguments) {
  expect_contains(message_of<ValueError>([] { L::RandomFlip({.mode = "diagonal", .name = "rf"}); }),
                  {"RandomFlip \"rf\"", "mode must be \"horizontal\", \"vertical\" or \"horizontal_and_vertical\"",
                   "received \"diagonal\""});
  expect_contains(message_of<ValueError>([] { L::RandomFlip({.data_format = "nhwc"}); }),
                  {"RandomFlip", "data_format must be", "received \"nhwc\""});
  L::RandomFlip f;
  expect_contains(message_of<ShapeError>([&] { f.build(Shape{28, 28}); }),
                  {"RandomFlip", "rank 4, (batch, height, width, channels)", "(None, 28, 28)"});
  expect_contains(message_of<ValueError>([] {
                    L::deserialize(Config::parse(R"({"class_name": "RandomFlip", "config": {"seed": 2.5}})"));
                  }),
                  {"RandomFlip config", "\"seed\" must be an integer", "2.5"});
  expect_contains(message_of<ValueError>([] {
                    L::deserialize(Config::parse(R"({"class_name": "RandomFlip", "config": {"seed": "one"}})"));
                  }),
                  {"RandomFlip config", "\"seed\"", "\"one\""});
}

TEST(RandomFlip, SavedInAModelAndInactiveInPredict) {
  auto image = Input({4, 3, 1});
  auto out = L::Dense({.units = 2})(L::Flatten()(L::RandomFlip({.mode = "horizontal", .seed = 3, .name = "flip"})(image)));
  Model model({image}, {out});
  const Config c = model.get_layer("flip").get_config();
  EXPECT_EQ(c["seed"], 3);
  EXPECT_EQ(c["mode"], "horizontal");
  const Tensor x = testing::random_tensor({5, 4, 3, 1});
  const std::string path = ::testing::TempDir() + "/random_flip_model.soma";
  model.save(path);
  Model loaded = load_model(path);
  EXPECT_EQ(loaded.get_layer("flip").get_config(), c);
  EXPECT_EQ(loaded.predict(x).to_vector<float>(), model.predict(x).to_vector<float>());
  // predict and evaluate never flip.
  auto raw = Input({4, 3, 1});
  Model flip_only({raw}, {L::RandomFlip({.mode = "horizontal"})(raw)});
  EXPECT_EQ(flip_only.predict(x).to_vector<float>(), x.to_vector<float>());
}

}  // namespace
}  // namespace soma
