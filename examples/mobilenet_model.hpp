#pragma once
// A small MobileNetV2-style network for 28x28 grey images, as examples/mobilenet_fashion.cpp trains it and
// bench/workload.cpp times it ("mobilenet"; bench/torch_workload.py has its PyTorch twin):
//   RandomFlip("horizontal") + RandomTranslation(0.1, 0.1) (training only)
//   stem Conv2D(32, 3x3) - BN - ReLU6
//   inverted residual blocks (expand 1x1 - BN - ReLU6 - DepthwiseConv2D 3x3 - BN - ReLU6 - project 1x1 - BN,
//   plus the input when the stride is 1 and the width unchanged), (expansion, filters, stride):
//   (1, 16, 1) (4, 24, 2) (4, 24, 1) (4, 32, 2) (4, 32, 1) (4, 64, 1)
//   Conv2D(128, 1x1) - BN - ReLU6 - GlobalAveragePooling2D - Dropout(0.2) - Dense(10, softmax)
#include <soma/soma.hpp>

namespace example {
namespace L = soma::layers;

// BatchNormalization with momentum 0.9 (Keras' default is 0.99): a depthwise 3x3 kernel starts with
// glorot limits of sqrt(6 / (9 C + 9)), so its outputs' variance is ~0.01 against the moving variance's
// initial 1; at 0.99 the moving statistics need ~500 steps to reach it, and evaluation before then
// predicts one class (measured: 0.10 test accuracy after 4 epochs of 12,000 images).
inline soma::KerasTensor batch_norm(const soma::KerasTensor& x) { return L::BatchNormalization({.momentum = 0.9f})(x); }

inline soma::KerasTensor relu6(const soma::KerasTensor& x) { return L::ReLU({.max_value = 6.0f})(x); }

inline soma::KerasTensor conv_bn(const soma::KerasTensor& x, int64_t filters, int64_t kernel, bool activate) {
  auto h = L::Conv2D({.filters = filters, .kernel_size = {kernel}, .padding = "same", .use_bias = false})(x);
  h = batch_norm(h);
  return activate ? relu6(h) : h;
}

inline soma::KerasTensor inverted_residual(const soma::KerasTensor& x, int64_t expansion, int64_t filters,
                                           int64_t stride) {
  const int64_t in = x.shape()[-1];
  auto h = expansion == 1 ? x : conv_bn(x, in * expansion, 1, true);
  h = L::DepthwiseConv2D({.kernel_size = {3}, .strides = {stride}, .padding = "same", .use_bias = false})(h);
  h = relu6(batch_norm(h));
  h = conv_bn(h, filters, 1, false);
  return stride == 1 && in == filters ? L::Add()({x, h}) : h;
}

inline soma::Model small_mobilenet() {
  auto image = soma::Input({28, 28, 1}, {.name = "image"});
  auto h = L::RandomFlip("horizontal")(image);
  h = L::RandomTranslation({.height_factor = {0.1f}, .width_factor = {0.1f}})(h);
  h = conv_bn(h, 32, 3, true);
  for (const auto& [t, c, s] : {std::array<int64_t, 3>{1, 16, 1}, {4, 24, 2}, {4, 24, 1}, {4, 32, 2}, {4, 32, 1},
                                {4, 64, 1}}) {
    h = inverted_residual(h, t, c, s);
  }
  h = conv_bn(h, 128, 1, true);
  h = L::GlobalAveragePooling2D()(h);
  h = L::Dropout(0.2f)(h);
  auto out = L::Dense({.units = 10, .activation = "softmax", .name = "class"})(h);
  return soma::Model({image}, {out}, "mobilenet_fashion");
}

}  // namespace example
