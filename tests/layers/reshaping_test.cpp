// Permute, RepeatVector, ZeroPadding1D/2D/3D, Cropping1D/2D/3D, UpSampling1D/2D/3D and Identity: values
// and input gradients against PyTorch (tests/reference/reshaping.py: permute, F.pad, slicing, expand,
// repeat_interleave), the parallel copies
// against index arithmetic on 1-3 threads above the parallel threshold, finite differences through the
// layer harness, Keras' config forms of padding and cropping, and the errors.
#include <gtest/gtest.h>
#include <omp.h>

#include "soma/soma.hpp"
#include "support/error_matchers.hpp"
#include "support/layer_harness.hpp"
#include "support/reference_cases.hpp"

namespace soma {
namespace {

namespace L = layers;
using test::expect_contains;
using test::message_of;

L::Pads pads_of(const std::string& text) {  // "1,2;3,0"
  L::Pads p;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(';', start), text.size());
    const auto v = testing::ints(text.substr(start, end - start));
    p.push_back({v[0], v[1]});
    start = end + 1;
  }
  return p;
}

std::unique_ptr<L::Layer> layer_for(const testing::ReferenceCase& c) {
  const std::string& kind = c.options.at("layer");
  if (kind == "Permute") {
    std::vector<int> dims;
    for (int64_t d : testing::ints(c.options.at("dims"))) dims.push_back(static_cast<int>(d));
    return std::make_unique<L::Permute>(dims);
  }
  if (kind == "RepeatVector") return std::make_unique<L::RepeatVector>(std::stoll(c.options.at("n")));
  const std::string format = c.options.at("channels_first") == "1" ? "channels_first" : "channels_last";
  if (kind == "UpSampling1D") return std::make_unique<L::UpSampling1D>(L::UpSampling1DOptions{std::stoll(c.options.at("size"))});
  if (kind == "UpSampling2D")
    return std::make_unique<L::UpSampling2D>(L::UpSampling2DOptions{testing::ints(c.options.at("size")), format});
  if (kind == "UpSampling3D")
    return std::make_unique<L::UpSampling3D>(L::UpSampling3DOptions{testing::ints(c.options.at("size")), format});
  const L::Pads p = pads_of(c.options.at("amounts"));
  if (kind == "ZeroPadding1D") return std::make_unique<L::ZeroPadding1D>(L::ZeroPadding1DOptions{p, format});
  if (kind == "ZeroPadding2D") return std::make_unique<L::ZeroPadding2D>(L::ZeroPadding2DOptions{p, format});
  if (kind == "ZeroPadding3D") return std::make_unique<L::ZeroPadding3D>(L::ZeroPadding3DOptions{p, format});
  if (kind == "Cropping1D") return std::make_unique<L::Cropping1D>(L::Cropping1DOptions{p});
  if (kind == "Cropping2D") return std::make_unique<L::Cropping2D>(L::Cropping2DOptions{p, format});
  if (kind == "Cropping3D") return std::make_unique<L::Cropping3D>(L::Cropping3DOptions{p, format});
  ADD_FAILURE() << "unknown layer " << kind;
  return nullptr;
}

Shape sample_shape(const Shape& s) {
  return Shape(std::vector<int64_t>(s.dims().begin() + 1, s.dims().end()));
}

TEST(ReshapingLayers, MatchPyTorch) {
  const auto cases = testing::load_reference_cases("reshaping.txt");
  ASSERT_EQ(cases.size(), 19u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto layer = layer_for(c);
    ASSERT_TRUE(layer);
    const Tensor& x0 = c.tensors.at("x");
    layer->build(sample_shape(x0.shape()));
    EXPECT_EQ(layer->output_shape(sample_shape(x0.shape())), sample_shape(c.tensors.at("y").shape()));
    autograd::Variable x(x0.clone(), true);
    autograd::Tape tape;
    autograd::Variable& y = (*layer)(&tape, x, false);
    testing::expect_close(y.value, c.tensors.at("y"), "y", 0.0f);
    tape.backward(y, c.tensors.at("dy"));
    testing::expect_close(x.grad, c.tensors.at("dx"), "dx", 1e-6f);  // RepeatVector sums in float
  }
}

// y[idx] from x by index arithmetic, for the large parallel cases.
template <class Map>
void expect_mapped(const Tensor& x, const Tensor& y, Map&& source_of) {
  std::vector<int64_t> idx(static_cast<size_t>(y.rank()), 0);
  for (int64_t i = 0; i < y.numel(); ++i) {
    int64_t rest = i;
    for (int a = y.rank() - 1; a >= 0; --a) {
      idx[static_cast<size_t>(a)] = rest % y.dim(a);
      rest /= y.dim(a);
    }
    const int64_t src = source_of(idx);
    const float want = src < 0 ? 0.0f : x.f32()[src];
    ASSERT_EQ(y.f32()[i], want) << "element " << i;
  }
}

TEST(ReshapingLayers, ParallelCopiesOverThreadCounts) {
  const int saved = omp_get_max_threads();
  for (int threads : {1, 2, 3}) {
    SCOPED_TRACE(threads);
    omp_set_num_threads(threads);
    set_seed(4);
    {  // 3 * 37 * 41 * 29 = 131,979 values, above kSerialElements.
      L::Permute permute({3, 1, 2});
      autograd::Variable x(testing::random_tensor({3, 37, 41, 29}), true);
      autograd::Tape tape;
      autograd::Variable& y = permute(&tape, x, false);
      ASSERT_EQ(y.value.shape(), Shape({3, 29, 37, 41}));
      expect_mapped(x.value, y.value, [](const std::vector<int64_t>& i) {
        return ((i[0] * 37 + i[2]) * 41 + i[3]) * 29 + i[1];
      });
      const Tensor dy = testing::random_tensor(y.value.shape());
      tape.backward(y, dy);
      // dx = dy permuted back: dx[b, h, w, c] = dy[b, c, h, w].
      expect_mapped(dy, x.grad, [](const std::vector<int64_t>& i) {
        return ((i[0] * 29 + i[3]) * 37 + i[1]) * 41 + i[2];
      });
    }
    {  // ZeroPadding2D ((1, 2), (2, 1)) on (5, 31, 29, 33), and Cropping2D back to the input.
      L::ZeroPadding2D pad({.padding = {{1, 2}, {2, 1}}});
      L::Cropping2D crop({.cropping = {{1, 2}, {2, 1}}});
      autograd::Variable x(testing::random_tensor({5, 31, 29, 33}), true);
      autograd::Tape tape;
      autograd::Variable& y = pad(&tape, x, false);
      ASSERT_EQ(y.value.shape(), Shape({5, 34, 32, 33}));
      expect_mapped(x.value, y.value, [](const std::vector<int64_t>& i) -> int64_t {
        const int64_t h = i[1] - 1, w = i[2] - 2;
        if (h < 0 || h >= 31 || w < 0 || w >= 29) return -1;
        return ((i[0] * 31 + h) * 29 + w) * 33 + i[3];
      });
      autograd::Variable& z = crop(&tape, y, false);
      testing::expect_close(z.value, x.value, "crop(pad(x))", 0.0f);
      const Tensor dz = testing::random_tensor(z.value.shape());
      tape.backward(z, dz);
      testing::expect_close(x.grad, dz, "d crop(pad(x))", 0.0f);
    }
    for (const char* format : {"channels_last", "channels_first"}) {  // UpSampling2D (3, 2) on (4, 33, 29, 37)
      SCOPED_TRACE(format);
      const bool cf = std::string(format) == "channels_first";
      L::UpSampling2D up({.size = {3, 2}, .data_format = format});
      autograd::Variable x(testing::random_tensor({4, 33, 29, 37}), true);
      autograd::Tape tape;
      autograd::Variable& y = up(&tape, x, false);
      ASSERT_EQ(y.value.shape(), cf ? Shape({4, 33, 87, 74}) : Shape({4, 99, 58, 37}));
      expect_mapped(x.value, y.value, [&](const std::vector<int64_t>& i) {
        return cf ? ((i[0] * 33 + i[1]) * 29 + i[2] / 3) * 37 + i[3] / 2
                  : ((i[0] * 33 + i[1] / 3) * 29 + i[2] / 2) * 37 + i[3];
      });
      const Tensor dy = testing::random_tensor(y.value.shape());
      tape.backward(y, dy);
      const int64_t H = y.value.dim(cf ? 2 : 1), W = y.value.dim(cf ? 3 : 2), C = y.value.dim(cf ? 1 : 3);
      for (int64_t b : {0, 3})
        for (int64_t h : {int64_t{0}, int64_t{14}, cf ? int64_t{28} : int64_t{32}})
          for (int64_t w : {int64_t{0}, cf ? int64_t{36} : int64_t{28}})
            for (int64_t ch : {int64_t{0}, (cf ? int64_t{32} : int64_t{36})}) {
              float want = 0;  // summed in the op's order: rows then columns
              for (int64_t r = 0; r < 3; ++r)
                for (int64_t q = 0; q < 2; ++q) {
                  const int64_t yh = h * 3 + r, yw = w * 2 + q;
                  want += cf ? dy.f32()[((b * C + ch) * H + yh) * W + yw] : dy.f32()[((b * H + yh) * W + yw) * C + ch];
                }
              const int64_t xi = cf ? ((b * 33 + ch) * 29 + h) * 37 + w : ((b * 33 + h) * 29 + w) * 37 + ch;
              EXPECT_NEAR(x.grad.f32()[xi], want, 1e-6f);
            }
    }
    {  // RepeatVector(67) on (31, 67): 139,159 outputs; the gradient sums the repeats.
      L::RepeatVector repeat(67);
      autograd::Variable x(testing::random_tensor({31, 67}), true);
      autograd::Tape tape;
      autograd::Variable& y = repeat(&tape, x, false);
      expect_mapped(x.value, y.value, [](const std::vector<int64_t>& i) { return i[0] * 67 + i[2]; });
      const Tensor dy = testing::random_tensor(y.value.shape());
      tape.backward(y, dy);
      for (int64_t b : {0, 15, 30})
        for (int64_t f : {0, 33, 66}) {
          float want = 0;
          for (int64_t r = 0; r < 67; ++r) want += dy.f32()[(b * 67 + r) * 67 + f];
          EXPECT_EQ(x.grad.f32()[b * 67 + f], want);
        }
    }
  }
  omp_set_num_threads(saved);
}

TEST(ReshapingLayers, Harness) {
  L::Permute permute({2, 3, 1});
  testing::check_layer(permute, {.input = Shape{2, 3, 4}, .output = Shape{3, 4, 2}});
  L::RepeatVector repeat(3);
  testing::check_layer(repeat, {.input = Shape{4}, .output = Shape{3, 4}});
  L::ZeroPadding1D pad1({.padding = {{0, 2}}});
  testing::check_layer(pad1, {.input = Shape{3, 2}, .output = Shape{5, 2}});
  L::ZeroPadding2D pad2({.padding = {{1, 0}, {0, 2}}, .data_format = "channels_first"});
  testing::check_layer(pad2, {.input = Shape{2, 3, 2}, .output = Shape{2, 4, 4}});
  L::ZeroPadding3D pad3;
  testing::check_layer(pad3, {.input = Shape{2, 1, 2, 1}, .output = Shape{4, 3, 4, 1}, .batch = 2});
  L::Cropping1D crop1;
  testing::check_layer(crop1, {.input = Shape{5, 2}, .output = Shape{3, 2}});
  L::Cropping2D crop2({.cropping = {{1, 0}, {0, 2}}});
  testing::check_layer(crop2, {.input = Shape{3, 4, 2}, .output = Shape{2, 2, 2}});
  L::Cropping3D crop3({.cropping = {{0, 1}, {1, 0}, {1, 1}}, .data_format = "channels_first"});
  testing::check_layer(crop3, {.input = Shape{2, 2, 3, 4}, .output = Shape{2, 1, 2, 2}, .batch = 2});
  L::UpSampling1D up1({.size = 3});
  testing::check_layer(up1, {.input = Shape{2, 2}, .output = Shape{6, 2}});
  L::UpSampling2D up2({.size = {2, 1}, .data_format = "channels_first"});
  testing::check_layer(up2, {.input = Shape{2, 2, 3}, .output = Shape{2, 4, 3}});
  L::UpSampling3D up3({.size = {2}});
  testing::check_layer(up3, {.input = Shape{1, 2, 1, 2}, .output = Shape{2, 4, 2, 2}, .batch = 2});
  L::Identity identity;
  testing::check_layer(identity, {.input = Shape{3, 2}, .output = Shape{3, 2}});
}

TEST(ReshapingLayers, IdentityKeepsTheMask) {
  L::Identity identity;
  autograd::Variable x(testing::random_tensor({2, 3, 4}));
  x.mask = Tensor::ones(Shape{2, 3});
  autograd::Variable& y = identity(nullptr, x, false);
  EXPECT_EQ(&y, &x);
  EXPECT_TRUE(y.mask.defined());
}

TEST(ReshapingLayers, InAModelSavedAndLoaded) {
  set_seed(3);
  auto in = Input({6, 5, 2});
  auto y = L::ZeroPadding2D({.padding = {{1, 1}, {0, 2}}})(in);
  y = L::Cropping2D({.cropping = {{2, 0}, {1, 1}}})(y);
  y = L::Permute({3, 1, 2})(y);
  y = L::Flatten()(y);
  y = L::RepeatVector(2)(y);
  y = L::UpSampling1D({.size = 2})(y);
  Model model({in}, {y});
  EXPECT_EQ(model.output_shape(), Shape({4, 60}));
  const Tensor x = testing::random_tensor({3, 6, 5, 2});
  const Tensor want = model.predict(x);
  const std::string path = ::testing::TempDir() + "/reshaping_model.soma";
  model.save(path);
  Model loaded = load_model(path);
  testing::expect_close(loaded.predict(x), want, "loaded", 0.0f);
}

TEST(ReshapingLayers, KerasConfigForms) {
  std::vector<std::unique_ptr<L::Layer>> kept;  // the references below point into these
  auto parse = [&](const char* text) -> L::Layer& {
    kept.push_back(L::deserialize(Config::parse(text)));
    return *kept.back();
  };
  auto& a = dynamic_cast<L::ZeroPadding2D&>(
      parse(R"({"class_name": "ZeroPadding2D", "config": {"padding": 2, "name": "p"}})"));
  EXPECT_EQ(a.options().padding, (L::Pads{{2, 2}, {2, 2}}));
  auto& b = dynamic_cast<L::ZeroPadding2D&>(parse(R"({"class_name": "ZeroPadding2D", "config": {"padding": [1, 3]}})"));
  EXPECT_EQ(b.options().padding, (L::Pads{{1, 1}, {3, 3}}));
  auto& c = dynamic_cast<L::Cropping3D&>(
      parse(R"({"class_name": "Cropping3D", "config": {"cropping": [[1, 0], 2, [0, 3]],
                 "data_format": "channels_first"}})"));
  EXPECT_EQ(c.options().cropping, (L::Pads{{1, 0}, {2, 2}, {0, 3}}));
  EXPECT_EQ(c.options().data_format, "channels_first");
  auto& d = dynamic_cast<L::ZeroPadding1D&>(parse(R"({"class_name": "ZeroPadding1D", "config": {"padding": [1, 3]}})"));
  EXPECT_EQ(d.options().padding, (L::Pads{{1, 3}}));  // 1-D: (left, right)
  // Written back as Keras' get_config writes them.
  EXPECT_EQ(a.get_config()["padding"], Config::parse("[[2, 2], [2, 2]]"));
  EXPECT_EQ(d.get_config()["padding"], Config::parse("[1, 3]"));
  auto& p = dynamic_cast<L::Permute&>(parse(R"({"class_name": "Permute", "config": {"dims": [2, 1]}})"));
  EXPECT_EQ(p.options().dims, (std::vector<int>{2, 1}));
  auto& u = dynamic_cast<L::UpSampling2D&>(parse(R"({"class_name": "UpSampling2D", "config": {"size": 3}})"));
  EXPECT_EQ(u.get_config()["size"], Config::parse("[3, 3]"));
  EXPECT_EQ(u.output_shape(Shape{2, 4, 1}), Shape({6, 12, 1}));
  auto& r = dynamic_cast<L::RepeatVector&>(parse(R"({"class_name": "RepeatVector", "config": {"n": 4}})"));
  EXPECT_EQ(r.options().n, 4);
  expect_contains(message_of<ValueError>([&] {
                    parse(R"({"class_name": "Cropping2D", "config": {"cropping": [1, 2, 3]}})");
                  }),
                  {"Cropping2DOptions config: cropping must be an int", "received [1,2,3]"});
  expect_contains(message_of<ValueError>([&] {
                    parse(R"({"class_name": "ZeroPadding1D", "config": {"padding": "same"}})");
                  }),
                  {"padding must be an int, or a pair (before, after)", "\"same\""});
}

TEST(ReshapingLayers, Errors) {
  expect_contains(message_of<ValueError>([] { L::Permute({1, 3}); }),
                  {"Permute", "dims must be a permutation of 1..2", "received (1, 3)"});
  expect_contains(message_of<ValueError>([] { L::Permute({0, 1}); }), {"received (0, 1)"});
  expect_contains(message_of<ShapeError>([] { L::Permute({2, 1}).build(Shape{2, 3, 4}); }),
                  {"dims (2, 1) permute 2 axes, but the input (None, 2, 3, 4) has 3"});
  expect_contains(message_of<ValueError>([] { L::RepeatVector(0); }), {"RepeatVector", "n must be a positive integer"});
  expect_contains(message_of<ShapeError>([] { L::RepeatVector(2).build(Shape{2, 3}); }),
                  {"expected input (batch, features), received (None, 2, 3)"});
  expect_contains(message_of<ValueError>([] { L::ZeroPadding2D({.padding = {{1, 1}}}); }),
                  {"ZeroPadding2D", "padding needs one (before, after) pair per spatial axis (2), received 1"});
  expect_contains(message_of<ValueError>([] { L::Cropping1D({.cropping = {{-1, 0}}}); }),
                  {"cropping amounts must be >= 0, received (-1, 0)"});
  expect_contains(message_of<ValueError>([] { L::ZeroPadding1D({.data_format = "nhwc"}); }),
                  {"data_format must be \"channels_last\" or \"channels_first\"", "\"nhwc\""});
  expect_contains(message_of<ShapeError>([] { L::Cropping2D({.cropping = {{2, 2}, {0, 0}}}).build(Shape{4, 5, 1}); }),
                  {"cropping (2, 2) leaves nothing of spatial axis 1 of the input (None, 4, 5, 1), which has 4"});
  expect_contains(message_of<ValueError>([] { L::UpSampling2D({.size = {2, 0}}); }),
                  {"UpSampling2D", "size must be one positive integer or 2 of them, received (2, 0)"});
  expect_contains(message_of<NotImplementedError>([] { L::UpSampling2D({.interpolation = "bicubic"}); }),
                  {"interpolation \"bicubic\" is not implemented", "\"nearest\" and \"bilinear\""});
  expect_contains(message_of<ShapeError>([] { L::UpSampling1D().build(Shape{4, 5, 1}); }),
                  {"UpSampling1D", "expected input of rank 3", "received (None, 4, 5, 1)"});
  expect_contains(message_of<ShapeError>([] { L::ZeroPadding3D().build(Shape{4, 5, 1}); }),
                  {"ZeroPadding3D", "expected input of rank 5", "received (None, 4, 5, 1)"});
}

}  // namespace
}  // namespace soma
