// Conv1D/2D with groups, Conv3D, Conv1D/2D/3DTranspose, DepthwiseConv1D/2D, SeparableConv1D/2D and the
// 3-D poolings:
// values and the gradients of input, kernels and bias against PyTorch (tests/reference/conv_variants.py,
// which also writes down the weight-layout mapping and computes the transposed convolution the way Keras'
// JAX backend does), finite differences through the layer harness, config and save/load, the errors.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstdio>

#include "soma/soma.hpp"
#include "support/error_matchers.hpp"
#include "support/layer_harness.hpp"
#include "support/reference_cases.hpp"

namespace soma {
namespace {

namespace L = layers;
using test::expect_contains;
using test::message_of;

std::unique_ptr<L::Layer> layer_for(const testing::ReferenceCase& c) {
  auto o = c.options;
  const std::string kind = o.at("layer");
  const std::string fmt = o.at("data_format");
  if (kind == "MaxPooling3D" || kind == "AveragePooling3D") {
    const L::PoolingOptions p{.pool_size = testing::ints(o.at("pool")),
                              .strides = testing::ints(o.at("strides")),
                              .padding = o.at("padding"),
                              .data_format = fmt};
    if (kind == "MaxPooling3D") return std::make_unique<L::MaxPooling3D>(p);
    return std::make_unique<L::AveragePooling3D>(p);
  }
  if (kind == "GlobalAveragePooling3D" || kind == "GlobalMaxPooling3D") {
    const L::GlobalPoolingOptions p{.data_format = fmt, .keepdims = o.at("keepdims") == "1"};
    if (kind == "GlobalMaxPooling3D") return std::make_unique<L::GlobalMaxPooling3D>(p);
    return std::make_unique<L::GlobalAveragePooling3D>(p);
  }
  const auto k = testing::ints(o.at("kernel")), s = testing::ints(o.at("strides")),
             d = testing::ints(o.at("dilation"));
  const std::string padding = o.at("padding"), format = o.at("data_format");
  const std::string activation = o.count("activation") ? o.at("activation") : "linear";
  if (kind == "Conv1D" || kind == "Conv2D" || kind == "Conv3D") {
    const L::ConvOptions opt{.filters = std::stoll(o.at("filters")),
                             .kernel_size = k,
                             .strides = s,
                             .padding = padding,
                             .data_format = format,
                             .dilation_rate = d,
                             .groups = std::stoll(o.at("groups"))};
    if (kind == "Conv1D") return std::make_unique<L::Conv1D>(opt);
    if (kind == "Conv2D") return std::make_unique<L::Conv2D>(opt);
    return std::make_unique<L::Conv3D>(opt);
  }
  if (kind.find("Transpose") != std::string::npos) {
    const L::ConvTransposeOptions opt{
        .filters = std::stoll(o.at("filters")),
        .kernel_size = k,
        .strides = s,
        .padding = padding,
        .output_padding = o.at("output_padding") == "none" ? std::vector<int64_t>{} : testing::ints(o.at("output_padding")),
        .data_format = format,
        .dilation_rate = d};
    if (kind == "Conv1DTranspose") return std::make_unique<L::Conv1DTranspose>(opt);
    if (kind == "Conv2DTranspose") return std::make_unique<L::Conv2DTranspose>(opt);
    return std::make_unique<L::Conv3DTranspose>(opt);
  }
  if (kind.rfind("Depthwise", 0) == 0) {
    const L::DepthwiseConvOptions opt{.kernel_size = k,
                                      .strides = s,
                                      .padding = padding,
                                      .depth_multiplier = std::stoll(o.at("depth_multiplier")),
                                      .data_format = format,
                                      .dilation_rate = d,
                                      .activation = activation};
    if (kind == "DepthwiseConv1D") return std::make_unique<L::DepthwiseConv1D>(opt);
    return std::make_unique<L::DepthwiseConv2D>(opt);
  }
  const L::SeparableConvOptions opt{.filters = std::stoll(o.at("filters")),
                                    .kernel_size = k,
                                    .strides = s,
                                    .padding = padding,
                                    .data_format = format,
                                    .dilation_rate = d,
                                    .depth_multiplier = std::stoll(o.at("depth_multiplier")),
                                    .activation = activation};
  if (kind == "SeparableConv1D") return std::make_unique<L::SeparableConv1D>(opt);
  return std::make_unique<L::SeparableConv2D>(opt);
}

Shape sample_shape(const Shape& s) { return Shape(std::vector<int64_t>(s.dims().begin() + 1, s.dims().end())); }

double max_abs_diff(const Tensor& a, const Tensor& b) {
  double m = 0.0;
  for (int64_t i = 0; i < a.numel(); ++i) m = std::max(m, std::fabs(static_cast<double>(a.f32()[i]) - b.f32()[i]));
  return m;
}

// Prints the largest differences found (for the record: docs/convolution.md quotes them).
void run_reference_cases() {
  double worst_y = 0.0, worst_grad = 0.0;
  const auto cases = testing::load_reference_cases("conv_variants.txt");
  ASSERT_EQ(cases.size(), 26u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto layer = layer_for(c);
    const Tensor& x0 = c.tensors.at("x");
    layer->build(sample_shape(x0.shape()));
    EXPECT_EQ(layer->output_shape(sample_shape(x0.shape())), sample_shape(c.tensors.at("y").shape()));
    // Weights in creation order, named as Keras names them.
    const auto short_name = [](const autograd::Variable* w) { return w->name.substr(w->name.rfind('/') + 1); };
    for (auto* w : layer->weights()) {
      ASSERT_TRUE(c.tensors.count(short_name(w))) << w->name;
      ASSERT_EQ(w->value.shape(), c.tensors.at(short_name(w)).shape()) << w->name;
      w->value.copy_from(c.tensors.at(short_name(w)));
    }
    autograd::Variable x(x0.clone(), true);
    autograd::Tape tape;
    autograd::Variable* yp = nullptr;
    EXPECT_NO_THROW(yp = &(*layer)(&tape, x, true));
    if (!yp) continue;
    autograd::Variable& y = *yp;
    testing::expect_close(y.value, c.tensors.at("y"), "y", 2e-5f);
    worst_y = std::max(worst_y, max_abs_diff(y.value, c.tensors.at("y")));
    tape.backward(y, c.tensors.at("dy"));
    testing::expect_close(x.grad, c.tensors.at("dx"), "dx", 2e-5f);
    worst_grad = std::max(worst_grad, max_abs_diff(x.grad, c.tensors.at("dx")));
    for (auto* w : layer->weights()) {
      const Tensor& want = c.tensors.at(std::string("d").append(short_name(w)));
      testing::expect_close(w->grad, want, w->name.c_str(), 2e-5f);
      worst_grad = std::max(worst_grad, max_abs_diff(w->grad, want));
    }
  }
  std::printf("conv variants vs PyTorch: max |y - y_torch| %.2g, max gradient difference %.2g\n", worst_y, worst_grad);
}

TEST(ConvVariants, MatchPyTorch) { run_reference_cases(); }

// The same cases on 1, 2 and 3 threads (oneDNN splits the work its own way on each).
TEST(ConvVariants, MatchPyTorchOnEveryThreadCount) {
  const int saved = omp_get_max_threads();
  for (int threads : {1, 2, 3}) {
    SCOPED_TRACE(threads);
    omp_set_num_threads(threads);
    run_reference_cases();
  }
  omp_set_num_threads(saved);
}

TEST(ConvVariants, Harness) {
  set_seed(5);
  L::Conv2D grouped({.filters = 4, .kernel_size = {3}, .padding = "same", .groups = 2});
  testing::check_layer(grouped, {.input = Shape{4, 3, 6}, .output = Shape{4, 3, 4}, .params = 3 * 3 * 3 * 4 + 4});
  L::Conv1D grouped1({.filters = 3, .kernel_size = {2}, .data_format = "channels_first", .groups = 3});
  testing::check_layer(grouped1, {.input = Shape{3, 5}, .output = Shape{3, 4}, .params = 2 * 1 * 3 + 3});
  L::Conv3D conv3({.filters = 2, .kernel_size = {2, 3, 2}, .strides = {1, 2, 1}, .padding = "same"});
  testing::check_layer(conv3, {.input = Shape{3, 4, 3, 2}, .output = Shape{3, 2, 3, 2}, .params = 12 * 2 * 2 + 2, .batch = 2});
  L::Conv2DTranspose t2({.filters = 3, .kernel_size = {3}, .strides = {2}, .padding = "same", .output_padding = {1}});
  testing::check_layer(t2, {.input = Shape{3, 2, 2}, .output = Shape{6, 4, 3}, .params = 9 * 3 * 2 + 3});
  L::Conv1DTranspose t1({.filters = 2, .kernel_size = {2}, .strides = {3}, .data_format = "channels_first"});
  testing::check_layer(t1, {.input = Shape{3, 4}, .output = Shape{2, 12}, .params = 2 * 2 * 3 + 2});
  L::Conv3DTranspose t3({.filters = 2, .kernel_size = {2}, .strides = {2}, .padding = "same"});
  testing::check_layer(t3, {.input = Shape{2, 1, 2, 2}, .output = Shape{4, 2, 4, 2}, .params = 8 * 2 * 2 + 2, .batch = 2});
  L::DepthwiseConv2D dw({.kernel_size = {3}, .strides = {2}, .padding = "same", .depth_multiplier = 2});
  testing::check_layer(dw, {.input = Shape{5, 4, 3}, .output = Shape{3, 2, 6}, .params = 9 * 3 * 2 + 6});
  L::DepthwiseConv1D dw1({.kernel_size = {3}, .data_format = "channels_first", .activation = "tanh"});
  testing::check_layer(dw1, {.input = Shape{2, 6}, .output = Shape{2, 4}, .params = 3 * 2 + 2});
  L::SeparableConv2D sep({.filters = 3, .kernel_size = {2}, .padding = "same", .depth_multiplier = 2});
  testing::check_layer(sep, {.input = Shape{3, 4, 2}, .output = Shape{3, 4, 3}, .params = 4 * 2 * 2 + 4 * 3 + 3});
  L::SeparableConv1D sep1({.filters = 2, .kernel_size = {3}, .strides = {2}, .use_bias = false});
  testing::check_layer(sep1, {.input = Shape{7, 3}, .output = Shape{3, 2}, .params = 3 * 3 + 3 * 2});
  L::AveragePooling3D avg3({.pool_size = {2, 1, 2}, .padding = "same"});
  testing::check_layer(avg3, {.input = Shape{3, 2, 3, 2}, .output = Shape{2, 2, 2, 2}, .batch = 2});
  L::GlobalAveragePooling3D gap3({.data_format = "channels_first", .keepdims = true});
  testing::check_layer(gap3, {.input = Shape{2, 3, 2, 2}, .output = Shape{2, 1, 1, 1}, .batch = 2});
}

TEST(ConvVariants, InAModelSavedAndLoaded) {
  set_seed(6);
  auto in = Input({8, 8, 3});
  auto y = L::DepthwiseConv2D({.kernel_size = {3}, .padding = "same", .depth_multiplier = 2, .name = "dw"})(in);
  y = L::Conv2D({.filters = 4, .kernel_size = {1}, .groups = 2, .activation = "relu"})(y);
  y = L::SeparableConv2D({.filters = 6, .kernel_size = {3}, .strides = {2}, .padding = "same", .name = "sep"})(y);
  y = L::Conv2DTranspose({.filters = 2, .kernel_size = {3}, .strides = {2}, .padding = "same"})(y);
  y = L::Reshape(L::ReshapeOptions{.target_shape = {8, 8, 2, 1}})(y);
  y = L::Conv3D({.filters = 1, .kernel_size = {3, 3, 2}, .padding = "same"})(y);
  y = L::Conv3DTranspose({.filters = 1, .kernel_size = {2}, .output_padding = {0}})(y);
  Model model({in}, {y});
  EXPECT_EQ(model.output_shape(), Shape({9, 9, 3, 1}));
  const Tensor x = testing::random_tensor({2, 8, 8, 3});
  const Tensor want = model.predict(x);
  const std::string path = ::testing::TempDir() + "/conv_variants_model.soma";
  model.save(path);
  Model loaded = load_model(path);
  testing::expect_close(loaded.predict(x), want, "loaded", 0.0f);
  const Config cfg = model.get_layer("dw").get_config();
  EXPECT_EQ(cfg["depth_multiplier"], 2);
  EXPECT_EQ(model.get_layer("dw").weights()[0]->value.shape(), Shape({3, 3, 3, 2}));
  EXPECT_EQ(model.get_layer("sep").weights()[1]->name, "sep/pointwise_kernel");
}

// A depthwise convolution is the grouped convolution with a group per channel, kernel for kernel.
TEST(ConvVariants, DepthwiseIsAGroupedConvolution) {
  set_seed(7);
  L::DepthwiseConv2D dw({.kernel_size = {3, 2}, .strides = {2, 1}, .padding = "same", .depth_multiplier = 3});
  L::Conv2D grouped({.filters = 12, .kernel_size = {3, 2}, .strides = {2, 1}, .padding = "same", .groups = 4});
  dw.build(Shape{7, 5, 4});
  grouped.build(Shape{7, 5, 4});
  grouped.kernel().value.copy_from(dw.kernel().value.reshape(Shape{3, 2, 1, 12}));
  grouped.bias()->value.copy_from(dw.bias()->value);
  autograd::Variable x(testing::random_tensor({3, 7, 5, 4}));
  const Tensor a = dw(nullptr, x, false).value.clone();
  testing::expect_close(grouped(nullptr, x, false).value, a, "grouped", 1e-6f);
}

// padding="causal" is (k - 1) * dilation zeros before the steps and a valid convolution: the same layer
// on an explicitly padded input (ZeroPadding1D, then "valid", itself checked against PyTorch above) gives
// the same numbers and gradients. The output at step t does not depend on later steps.
TEST(ConvVariants, CausalIsLeftPaddingThenValid) {
  struct Case {
    int64_t k, stride, dilation;
    bool separable;
  };
  for (const Case c : {Case{3, 1, 1, false}, Case{2, 1, 3, false}, Case{4, 2, 1, false}, Case{3, 1, 2, true}}) {
    SCOPED_TRACE(c.k * 100 + c.stride * 10 + c.dilation);
    set_seed(11);
    std::unique_ptr<L::Layer> causal, valid;
    if (c.separable) {
      causal = std::make_unique<L::SeparableConv1D>(L::SeparableConvOptions{
          .filters = 3, .kernel_size = {c.k}, .strides = {c.stride}, .padding = "causal", .dilation_rate = {c.dilation}});
      valid = std::make_unique<L::SeparableConv1D>(L::SeparableConvOptions{
          .filters = 3, .kernel_size = {c.k}, .strides = {c.stride}, .padding = "valid", .dilation_rate = {c.dilation}});
    } else {
      causal = std::make_unique<L::Conv1D>(L::Conv1DOptions{
          .filters = 3, .kernel_size = {c.k}, .strides = {c.stride}, .padding = "causal", .dilation_rate = {c.dilation}});
      valid = std::make_unique<L::Conv1D>(L::Conv1DOptions{
          .filters = 3, .kernel_size = {c.k}, .strides = {c.stride}, .padding = "valid", .dilation_rate = {c.dilation}});
    }
    const int64_t pad = (c.k - 1) * c.dilation, steps = 9;
    causal->build(Shape{steps, 2});
    valid->build(Shape{steps + pad, 2});
    EXPECT_EQ(causal->output_shape(Shape{steps, 2}), (Shape{(steps + c.stride - 1) / c.stride, 3}));
    const auto cw = causal->weights(), vw = valid->weights();
    for (size_t i = 0; i < cw.size(); ++i) vw[i]->value.copy_from(cw[i]->value);
    L::ZeroPadding1D zeros({.padding = {{pad, 0}}});
    zeros.build(Shape{steps, 2});
    autograd::Variable x(testing::random_tensor({2, steps, 2}), true), x2(x.value.clone(), true);
    autograd::Tape t1, t2;
    autograd::Variable& a = (*causal)(&t1, x, true);
    autograd::Variable& b = (*valid)(&t2, zeros(&t2, x2, true), true);
    testing::expect_close(a.value, b.value, "y", 1e-6f);
    const Tensor dy = testing::random_tensor(a.value.shape());
    t1.backward(a, dy);
    t2.backward(b, dy);
    testing::expect_close(x.grad, x2.grad, "dx", 1e-6f);
    // Causality: changing the last step leaves every output before it alone.
    autograd::Variable later(x.value.clone());
    for (int64_t ch = 0; ch < 2; ++ch) later.value.f32()[(steps - 1) * 2 + ch] += 5.0f;
    const Tensor y1 = (*causal)(nullptr, x, false).value.clone();
    const Tensor y2 = (*causal)(nullptr, later, false).value.clone();
    const int64_t out = y1.shape()[1], untouched = (steps - 1) / c.stride;  // outputs before the last step
    for (int64_t t = 0; t < std::min(out, untouched); ++t)
      for (int64_t f = 0; f < 3; ++f) EXPECT_EQ(y1.f32()[t * 3 + f], y2.f32()[t * 3 + f]) << t;
  }
  set_seed(2);
  L::Conv1D harness({.filters = 2, .kernel_size = {3}, .padding = "causal", .dilation_rate = {2}});
  testing::check_layer(harness, {.input = {6, 3}, .output = {6, 2}, .params = 3 * 3 * 2 + 2, .batch = 2});
}

TEST(ConvVariants, Errors) {
  expect_contains(message_of<ValueError>([] { L::Conv2D({.filters = 6, .kernel_size = {3}, .groups = 4}); }),
                  {"Conv2D", "filters must be divisible by groups, received filters=6, groups=4"});
  expect_contains(message_of<ValueError>([] { L::Conv2D({.filters = 4, .kernel_size = {3}, .groups = 2}).build(Shape{5, 5, 3}); }),
                  {"input channels must be divisible by groups, received groups=2 for an input of 3 channels"});
  expect_contains(message_of<ValueError>([] { L::Conv3D({.filters = 1, .kernel_size = {3, 3}}); }),
                  {"Conv3D", "kernel_size must have 1 or 3 entries, received 2"});
  expect_contains(message_of<ShapeError>([] { L::Conv3D({.filters = 1, .kernel_size = {3}}).build(Shape{5, 5, 3}); }),
                  {"Conv3D", "expected input of rank 5 (batch, depth, height, width, channels), received (None, 5, 5, 3)"});
  expect_contains(message_of<ValueError>([] {
                    L::Conv2DTranspose({.filters = 1, .kernel_size = {3}, .strides = {2}, .output_padding = {2}});
                  }),
                  {"Conv2DTranspose", "output_padding must be smaller than strides", "received output_padding 2 for a stride of 2"});
  expect_contains(message_of<ValueError>([] { L::Conv1DTranspose({.filters = 1, .kernel_size = {3}, .output_padding = {-1}}); }),
                  {"output_padding entries must be integers >= 0, received -1"});
  expect_contains(message_of<ValueError>([] { L::DepthwiseConv2D({.kernel_size = {3}, .depth_multiplier = 0}); }),
                  {"DepthwiseConv2D", "depth_multiplier must be a positive integer, received 0"});
  expect_contains(message_of<ValueError>([] { L::SeparableConv2D({.kernel_size = {3}}); }),
                  {"SeparableConv2D", "filters must be a positive integer, received 0"});
  expect_contains(message_of<ValueError>([] {
                    L::DepthwiseConv2D({.kernel_size = {3}, .strides = {2}, .dilation_rate = {2}});
                  }),
                  {"strides > 1 cannot be combined with dilation_rate > 1"});
  expect_contains(message_of<ShapeError>([] { L::DepthwiseConv2D({.kernel_size = {5}}).build(Shape{3, 3, 2}); }),
                  {"DepthwiseConv2D", "larger than the input (None, 3, 3, 2) with valid padding"});
  expect_contains(message_of<ValueError>([] { L::MaxPooling3D({.pool_size = {2, 2}}); }),
                  {"MaxPooling3D", "pool_size must have 1 or 3 entries, received 2"});
  expect_contains(message_of<ShapeError>([] { L::AveragePooling3D({.pool_size = {3}}).build(Shape{4, 2, 4, 1}); }),
                  {"AveragePooling3D", "pool_size 3x3x3 is larger than the input (None, 4, 2, 4, 1)"});
  expect_contains(message_of<ShapeError>([] { L::GlobalMaxPooling3D().build(Shape{4, 4, 1}); }),
                  {"GlobalMaxPooling3D", "rank 5 (batch, depth, height, width, channels)", "(None, 4, 4, 1)"});
  expect_contains(message_of<ValueError>([] { L::SeparableConv1D({.filters = 2, .kernel_size = {3}, .padding = "full"}); }),
                  {"padding must be \"valid\" or \"same\", received \"full\""});
}

}  // namespace
}  // namespace soma
