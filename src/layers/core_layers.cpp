#include "soma/layers/core_layers.hpp"

namespace soma::layers {

Activation::Activation(ActivationOptions options)
    : Layer("activation", options.name, options.input_shape), activation_(activations::get(options.activation)) {}

autograd::Variable& Activation::forward(autograd::Tape* tape, autograd::Variable& x, bool) {
  return op_.forward(tape, x, activation_);
}

Flatten::Flatten(FlattenOptions options) : Layer("flatten", options.name, options.input_shape) {}

autograd::Variable& Flatten::forward(autograd::Tape* tape, autograd::Variable& x, bool) {
  const Shape& s = x.value.shape();
  return op_.forward(tape, x, Shape{s[0], s.sample_size()});
}

Dropout::Dropout(DropoutOptions options) : Layer("dropout", options.name, options.input_shape), rate_(options.rate) {
  if (!(rate_ >= 0.0f && rate_ < 1.0f)) {
    throw ValueError(who() + ": rate must be in [0, 1), received " + std::to_string(rate_) + ".");
  }
}

autograd::Variable& Dropout::forward(autograd::Tape* tape, autograd::Variable& x, bool training) {
  return op_.forward(tape, x, rate_, training);
}

}  // namespace soma::layers
