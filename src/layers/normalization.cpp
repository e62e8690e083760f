#include "soma/layers/normalization.hpp"

#include "soma/layers/initializers.hpp"

namespace soma::layers {

BatchNormalization::BatchNormalization(BatchNormalizationOptions o)
    : Layer("batch_normalization", o.name, o.input_shape), options_(std::move(o)) {
  if (options_.axis != -1) {
    throw NotImplementedError(who() + ": only axis -1 (channels-last) is supported, received axis " +
                              std::to_string(options_.axis) + ".");
  }
  if (!(options_.momentum >= 0.0f && options_.momentum <= 1.0f)) {
    throw ValueError(who() + ": momentum must be in [0, 1], received " + std::to_string(options_.momentum) +
                     ".");
  }
  if (!(options_.epsilon > 0.0f)) {
    throw ValueError(who() + ": epsilon must be positive, received " + std::to_string(options_.epsilon) +
                     ".");
  }
  for (const auto* n : {&options_.beta_initializer, &options_.gamma_initializer,
                        &options_.moving_mean_initializer, &options_.moving_variance_initializer}) {
    initializers::check_name(*n);
  }
}

void BatchNormalization::build_weights(const Shape& in) {
  if (in.rank() < 1) throw ShapeError(who() + ": expected input of rank >= 2, received a scalar per sample.");
  const Shape channels{in[-1]};
  if (options_.scale) gamma_ = &add_weight("gamma", channels, options_.gamma_initializer);
  if (options_.center) beta_ = &add_weight("beta", channels, options_.beta_initializer);
  moving_mean_ = &add_weight("moving_mean", channels, options_.moving_mean_initializer, false);
  moving_variance_ = &add_weight("moving_variance", channels, options_.moving_variance_initializer, false);
}

autograd::Variable& BatchNormalization::forward(autograd::Tape* tape, autograd::Variable& x, bool training) {
  return op_.forward(tape, x, gamma_, beta_, *moving_mean_, *moving_variance_,
                     {.momentum = options_.momentum, .epsilon = options_.epsilon}, training);
}

}  // namespace soma::layers
