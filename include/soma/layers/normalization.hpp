#pragma once
// keras.layers.BatchNormalization over one axis (the last by default): gamma and beta are trained;
// moving_mean and moving_variance are not, and take in each accepted training step's batch statistics
// (apply_updates(), which fit() calls after the optimizer's update: a step rejected for a non-finite loss
// changes nothing). With trainable = false the layer runs in inference mode even in training (Keras' rule
// for fine-tuning): it normalises with the moving statistics and leaves them alone.
#include <string>
#include <vector>

#include "soma/autograd/ops/batch_norm_op.hpp"
#include "soma/layers/layer.hpp"

namespace soma::layers {

struct BatchNormalizationOptions {
  // The feature axis, counted over the whole input, batch included: -1 (last, channels-last), 1 (channels
  // first), any other but the batch axis. A config may also write it as a one-element list ([3]).
  int axis = -1;
  float momentum = 0.99f;
  float epsilon = 1e-3f;
  bool center = true;  // learn beta
  bool scale = true;   // learn gamma
  initializers::Initializer beta_initializer = "zeros";
  initializers::Initializer gamma_initializer = "ones";
  initializers::Initializer moving_mean_initializer = "zeros";
  initializers::Initializer moving_variance_initializer = "ones";
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

class BatchNormalization final : public Layer {
 public:
  SOMA_LAYER(BatchNormalization)
  explicit BatchNormalization(BatchNormalizationOptions options = {});
  std::string type() const override { return "BatchNormalization"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override { return input_shape; }
  autograd::Variable& moving_mean() { return *moving_mean_; }
  autograd::Variable& moving_variance() { return *moving_variance_; }

 protected:
  void build_weights(const Shape& input_shape) override;
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                              bool training) override;
  void update_state(CallFrame& frame) override;

 private:
  BatchNormalizationOptions options_;
  int64_t axis_ = -1;             // options_.axis resolved against the built input shape (batch included)
  autograd::Variable *gamma_ = nullptr, *beta_ = nullptr, *moving_mean_ = nullptr,
                     *moving_variance_ = nullptr;
  struct Ops {
    autograd::BatchNormOp op;
    bool pending_update = false;  // a training forward ran since the last update_state()
  };
};

}  // namespace soma::layers
