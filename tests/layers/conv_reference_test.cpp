// The convolutional layers against outputs PyTorch computed (tests/reference/conv_layers.py converts
// between PyTorch's channels-first, symmetric-padding conventions and Keras' channels-last, TensorFlow
// "same" ones).
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "soma/layers/convolutional.hpp"
#include "soma/layers/normalization.hpp"
#include "soma/layers/pooling.hpp"

namespace soma {
namespace {

namespace L = layers;

struct Case {
  std::string name;
  std::map<std::string, std::string> options;
  std::map<std::string, Tensor> tensors;
};

std::vector<Case> load_cases() {
  std::ifstream in(std::string(SOMA_TEST_DATA_DIR) + "/conv_layers.txt");
  EXPECT_TRUE(in) << "missing tests/reference/conv_layers.txt";
  std::vector<Case> cases;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream s(line);
    std::string key;
    s >> key;
    if (key == "case") {
      cases.emplace_back();
      s >> cases.back().name;
    } else if (key == "options") {
      std::string kv;
      while (s >> kv) cases.back().options[kv.substr(0, kv.find('='))] = kv.substr(kv.find('=') + 1);
    } else if (key == "tensor") {
      std::string name;
      int rank = 0;
      s >> name >> rank;
      std::vector<int64_t> dims(static_cast<size_t>(rank));
      for (auto& d : dims) s >> d;
      Tensor t = Tensor::empty(Shape(dims));
      for (auto& v : t.span<float>()) s >> v;
      cases.back().tensors[name] = t;
    }
  }
  return cases;
}

std::vector<int64_t> ints(const std::string& csv) {
  std::vector<int64_t> out;
  std::istringstream s(csv);
  std::string part;
  while (std::getline(s, part, ',')) out.push_back(std::stoll(part));
  return out;
}

void expect_close(const Tensor& got, const Tensor& want, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  for (int64_t i = 0; i < got.numel(); ++i)
    ASSERT_NEAR(got.f32()[i], want.f32()[i], 2e-5f) << what << " element " << i;
}

TEST(ConvLayersVsPyTorch, EveryCase) {
  const auto cases = load_cases();
  ASSERT_EQ(cases.size(), 8u);
  for (const Case& c : cases) {
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
