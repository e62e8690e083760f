// The convolutional layers against outputs PyTorch computed (tests/reference/conv_layers.py converts
// between PyTorch's channels-first, symmetric-padding conventions and Keras' channels-last, TensorFlow
// "same" ones).
#include <gtest/gtest.h>

#include "soma/layers/convolutional.hpp"
#include "soma/layers/normalization.hpp"
#include "soma/layers/pooling.hpp"
#include "support/reference_cases.hpp"

namespace soma {
namespace {

namespace L = layers;

using testing::expect_close;
using testing::ints;

TEST(ConvLayersVsPyTorch, EveryCase) {
  const auto cases = testing::load_reference_cases("conv_layers.txt");
  ASSERT_EQ(cases.size(), 8u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto o = c.options;
    const Tensor& x0 = c.tensors.at("x");
    autograd::Variable x(x0.clone());
    const Shape sample = x0.shape().without_batch();
    std::unique_ptr<L::Layer> layer;
    if (c.name.rfind("conv2d", 0) == 0) {
      auto conv = std::make_unique<L::Conv2D>(L::Conv2DOptions{.filters = std::stoll(o["filters"]),
                                                               .kernel_size = ints(o["kernel"]),
                                                               .strides = ints(o["strides"]),
                                                               .padding = o["padding"],
                                                               .dilation_rate = ints(o["dilation"]),
                                                               .activation = o["activation"]});
      conv->build(sample);
      conv->kernel().value.copy_from(c.tensors.at("kernel"));
      conv->bias()->value.copy_from(c.tensors.at("bias"));
      layer = std::move(conv);
    } else if (c.name.rfind("conv1d", 0) == 0) {
      auto conv = std::make_unique<L::Conv1D>(L::Conv1DOptions{.filters = std::stoll(o["filters"]),
                                                               .kernel_size = ints(o["kernel"]),
                                                               .strides = ints(o["strides"]),
                                                               .padding = o["padding"],
                                                               .dilation_rate = ints(o["dilation"]),
                                                               .activation = o["activation"]});
      conv->build(sample);
      conv->kernel().value.copy_from(c.tensors.at("kernel"));
      conv->weights()[1]->value.copy_from(c.tensors.at("bias"));
      layer = std::move(conv);
    } else if (c.name.rfind("maxpool", 0) == 0) {
      layer = std::make_unique<L::MaxPooling2D>(L::Pooling2DOptions{
          .pool_size = ints(o["pool"]), .strides = ints(o["strides"]), .padding = o["padding"]});
    } else if (c.name.rfind("avgpool", 0) == 0) {
      layer = std::make_unique<L::AveragePooling2D>(L::Pooling2DOptions{
          .pool_size = ints(o["pool"]), .strides = ints(o["strides"]), .padding = o["padding"]});
    } else if (c.name == "batchnorm_training") {
      auto bn = std::make_unique<L::BatchNormalization>(L::BatchNormalizationOptions{
          .momentum = std::stof(o["momentum"]), .epsilon = std::stof(o["epsilon"])});
      bn->build(sample);
      bn->weights()[0]->value.copy_from(c.tensors.at("gamma"));
      bn->weights()[1]->value.copy_from(c.tensors.at("beta"));
      const Tensor y = (*bn)(nullptr, x, true).value.clone();
      bn->apply_updates();
      expect_close(y, c.tensors.at("y"), "y");
      expect_close(bn->moving_mean().value, c.tensors.at("moving_mean"), "moving_mean");
      expect_close(bn->moving_variance().value, c.tensors.at("moving_variance"), "moving_variance");
      continue;
    }
    ASSERT_TRUE(layer) << "unknown case";
    expect_close((*layer)(nullptr, x, false).value, c.tensors.at("y"), "y");
  }
}

}  // namespace
}  // namespace soma
