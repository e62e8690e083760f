#pragma once
// keras.layers.BatchNormalization over the last axis (channels-last): gamma and beta are trained;
// moving_mean and moving_variance are not, and are updated by every training-mode forward pass.
#include <string>
#include <vector>

#include "soma/autograd/ops/batch_norm_op.hpp"
#include "soma/layers/layer.hpp"

namespace soma::layers {

struct BatchNormalizationOptions {
  int axis = -1;  // only the last axis is supported (channels-last)
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
  explicit BatchNormalization(BatchNormalizationOptions options = {});
  std::string type() const override { return "BatchNormalization"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override { return input_shape; }
  autograd::Variable& moving_mean() { return *moving_mean_; }
  autograd::Variable& moving_variance() { return *moving_variance_; }

 protected:
  void build_weights(const Shape& input_shape) override;
  autograd::Variable& forward(autograd::Tape* tape, autograd::Variable& x, bool training) override;

 private:
  BatchNormalizationOptions options_;
  autograd::Variable *gamma_ = nullptr, *beta_ = nullptr, *moving_mean_ = nullptr,
                     *moving_variance_ = nullptr;
  autograd::BatchNormOp op_;
};

}  // namespace soma::layers
