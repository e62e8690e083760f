// LayerNormalization against PyTorch (tests/reference/layer_norm.py: outputs and the gradients of x,
// gamma and beta over trailing, leading and middle blocks of axes, rms_scaling, center/scale off), the
// generic harness, configs (one axis as a bare integer, as Keras writes it before building) and errors.
#include <gtest/gtest.h>

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

std::vector<int64_t> axes_of(const std::string& text) {
  std::vector<int64_t> axes;
  size_t at = 0;
  while (at < text.size()) {
    const size_t comma = text.find(',', at);
    axes.push_back(std::stoll(text.substr(at, comma - at)));
    at = comma == std::string::npos ? text.size() : comma + 1;
  }
  return axes;
}

TEST(LayerNormalizationVsPyTorch, EveryBlockOfAxes) {
  const auto cases = testing::load_reference_cases("layer_norm.txt");
  ASSERT_EQ(cases.size(), 9u);
  float worst = 0.0f;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const Tensor& x0 = c.tensors.at("x");
    std::vector<int64_t> axes = axes_of(c.options.at("axis"));
    // Written negatively too: the same layer.
    std::vector<int64_t> negative;
    for (const int64_t a : axes) negative.push_back(a - static_cast<int64_t>(x0.rank()));
    for (const auto& written : {axes, negative}) {
      L::LayerNormalization ln({.axis = written,
                                .epsilon = std::stof(c.options.at("epsilon")),
                                .center = c.options.at("center") == "1",
                                .scale = c.options.at("scale") == "1",
                                .rms_scaling = c.options.at("rms_scaling") == "1"});
      ln.build(x0.shape().without_batch());
      L::Layer& layer = ln;
      auto weights = layer.weights();
      size_t w = 0;
      autograd::Variable* gamma = c.tensors.count("gamma") ? weights[w++] : nullptr;
      autograd::Variable* beta = c.tensors.count("beta") ? weights[w++] : nullptr;
      ASSERT_EQ(w, weights.size()) << "gamma/beta exist exactly as Keras creates them";
      if (gamma) gamma->value.copy_from(c.tensors.at("gamma"));
      if (beta) beta->value.copy_from(c.tensors.at("beta"));
      autograd::Variable x(x0.clone(), true);
      autograd::Tape tape;
      autograd::Variable& y = ln(&tape, x, true);
      expect_close(y.value, c.tensors.at("y"), "y", 1e-4f);
      tape.backward(y, c.tensors.at("dy"));
      expect_close(x.grad, c.tensors.at("dx"), "dx", 1e-4f);
      if (gamma) expect_close(gamma->grad, c.tensors.at("dgamma"), "dgamma", 1e-3f);
      if (beta) expect_close(beta->grad, c.tensors.at("dbeta"), "dbeta", 1e-3f);
      for (int64_t i = 0; i < y.value.numel(); ++i)
        worst = std::max(worst, std::fabs(y.value.f32()[i] - c.tensors.at("y").f32()[i]));
    }
  }
  RecordProperty("max_abs_difference_y", std::to_string(worst));
  std::printf("LayerNormalization vs PyTorch: max |y - y_torch| = %.3g\n", worst);
}

TEST(LayerNormalizationLayer, Harness) {
  set_seed(45);
  L::LayerNormalization last;
  check_layer(last, {.input = {4, 6}, .output = {4, 6}, .params = 12, .batch = 2});
  L::LayerNormalization block({.axis = {1, 2}});
  check_layer(block, {.input = {3, 4, 2}, .output = {3, 4, 2}, .params = 24, .batch = 2});
  L::LayerNormalization strided({.axis = {1}, .epsilon = 1e-2f});
  check_layer(strided, {.input = {5, 3}, .output = {5, 3}, .params = 10, .batch = 3});
  L::LayerNormalization rms({.rms_scaling = true});
  check_layer(rms, {.input = {7}, .output = {7}, .params = 7, .batch = 3});
  L::LayerNormalization bare({.center = false, .scale = false});
  check_layer(bare, {.input = {2, 5}, .output = {2, 5}, .params = 0, .batch = 2});
}

TEST(LayerNormalizationLayer, StatisticsPerSampleAndTheSameInInference) {
  // Each row comes out with mean 0 and variance var / (var + epsilon), whatever the other samples hold.
  L::LayerNormalization ln({.epsilon = 1e-3f});
  Tensor x = testing::random_tensor({3, 8}, -4.0f, 9.0f);
  for (int64_t j = 0; j < 8; ++j) x.f32()[16 + j] *= 1000.0f;  // one huge sample
  autograd::Variable v(x);
  const Tensor train = ln(nullptr, v, true).value.clone();
  const Tensor infer = ln(nullptr, v, false).value.clone();
  EXPECT_EQ(train.to_vector<float>(), infer.to_vector<float>());
  for (int64_t b = 0; b < 3; ++b) {
    double s = 0, q = 0, xs = 0, xq = 0;
    for (int64_t j = 0; j < 8; ++j) s += train.f32()[b * 8 + j], xs += x.f32()[b * 8 + j];
    for (int64_t j = 0; j < 8; ++j) {
      q += train.f32()[b * 8 + j] * train.f32()[b * 8 + j];
      xq += (x.f32()[b * 8 + j] - xs / 8) * (x.f32()[b * 8 + j] - xs / 8);
    }
    EXPECT_NEAR(s / 8, 0.0, 1e-5);
    EXPECT_NEAR(q / 8, (xq / 8) / (xq / 8 + 1e-3), 1e-4) << "sample " << b;
  }
}

TEST(LayerNormalizationLayer, ConfigsAndSaving) {
  const Config written = Config::parse(R"({"class_name": "LayerNormalization",
      "config": {"axis": -1, "epsilon": 1e-6, "rms_scaling": true, "name": "ln"}})");
  auto layer = L::deserialize(written);
  auto& ln = dynamic_cast<L::LayerNormalization&>(*layer);
  EXPECT_EQ(ln.options().axis, std::vector<int64_t>{-1});
  EXPECT_FLOAT_EQ(ln.options().epsilon, 1e-6f);
  EXPECT_TRUE(ln.options().rms_scaling);
  const Config back = L::serialize(ln);
  EXPECT_EQ(back["config"]["axis"], Config::parse("[-1]"));
  EXPECT_EQ(L::serialize(*L::deserialize(back)), back);

  auto in = Input({5, 6});
  auto out = L::Dense({.units = 3})(L::LayerNormalization({.axis = {1, 2}, .name = "norm"})(in));
  Model model({in}, {out});
  for (auto* w : model.get_layer("norm").weights())
    for (auto& v : w->value.span<float>()) v = random::uniform(0.5f, 1.5f);
  const std::string path = ::testing::TempDir() + "/layer_norm_model.soma";
  model.save(path);
  Model loaded = load_model(path);
  const Tensor x = testing::random_tensor({4, 5, 6});
  EXPECT_EQ(loaded.predict(x).to_vector<float>(), model.predict(x).to_vector<float>());
}

TEST(LayerNormalizationLayer, BadArguments) {
  expect_contains(message_of<ShapeError>([] { L::LayerNormalization({.axis = {3}}).build(Shape{4, 5}); }),
                  {"LayerNormalization", "axis 3 is out of range", "(None, 4, 5)", "[-2, -1] or [1, 2]"});
  expect_contains(message_of<ShapeError>([] { L::LayerNormalization({.axis = {0}}).build(Shape{4, 5}); }),
                  {"not the batch axis"});
  expect_contains(message_of<NotImplementedError>([] { L::LayerNormalization({.axis = {1, 3}}).build(Shape{2, 3, 4}); }),
                  {"must be consecutive", "[1, 3]"});
  expect_contains(message_of<ValueError>([] { L::LayerNormalization({.axis = {2, -1}}).build(Shape{3, 4}); }),
                  {"axis 2 is given twice"});
  expect_contains(message_of<ValueError>([] { L::LayerNormalization({.axis = {}}); }), {"at least one axis"});
  expect_contains(message_of<ValueError>([] { L::LayerNormalization({.epsilon = 0.0f, .name = "z"}); }),
                  {"LayerNormalization \"z\"", "epsilon must be a finite number > 0", "received 0"});
  expect_contains(message_of<ValueError>([] {
                    L::deserialize(Config::parse(R"({"class_name": "LayerNormalization", "config": {"axis": "last"}})"));
                  }),
                  {"LayerNormalization config", "\"axis\"", "\"last\""});
}

}  // namespace
}  // namespace soma
