#pragma once
// keras.layers.Conv2D and Conv1D. data_format "channels_last" (the default): Conv2D takes (batch, height,
// width, channels), Conv1D (batch, steps, channels); "channels_first": (batch, channels, height, width)
// and (batch, channels, steps). Kernels are stored as Keras stores them, whatever the data_format:
// (kh, kw, in, filters) and (k, in, filters), so weights can be exchanged with Keras models.
#include <string>
#include <vector>

#include "soma/activations.hpp"
#include "soma/autograd/ops/activation_op.hpp"
#include "soma/autograd/ops/channels_op.hpp"
#include "soma/autograd/ops/conv2d_op.hpp"
#include "soma/autograd/ops/reshape_op.hpp"
#include "soma/layers/layer.hpp"
#include "soma/mixed_precision.hpp"

namespace soma::layers {

struct Conv2DOptions {
  int64_t filters = 0;
  std::vector<int64_t> kernel_size = {};  // {3} means {3, 3}
  std::vector<int64_t> strides = {1};
  std::string padding = "valid";              // or "same"
  std::string data_format = "channels_last";  // or "channels_first"
  std::vector<int64_t> dilation_rate = {1};
  std::string activation = "linear";
  bool use_bias = true;
  initializers::Initializer kernel_initializer = "glorot_uniform";
  initializers::Initializer bias_initializer = "zeros";
  regularizers::Regularizer kernel_regularizer = {};
  regularizers::Regularizer bias_regularizer = {};
  regularizers::Regularizer activity_regularizer = {};  // a penalty on the output (after the activation)
  constraints::Constraint kernel_constraint = {};       // applied after each update in fit()
  constraints::Constraint bias_constraint = {};
  std::vector<int64_t> input_shape =
      {};  // (height, width, channels) of a first layer (channels first: c, h, w)
  std::string name = "";
  std::string dtype = "";  // dtype policy; empty: mixed_precision::global_policy() at construction
};

class Conv2D final : public Layer {
 public:
  SOMA_LAYER(Conv2D)
  explicit Conv2D(Conv2DOptions options);
  std::string type() const override { return "Conv2D"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override;
  const Conv2DOptions& options() const { return options_; }
  autograd::Variable& kernel() { return *kernel_; }
  autograd::Variable* bias() { return bias_; }

 protected:
  void build_weights(const Shape& input_shape) override;
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                              bool training) override;

 private:
  Conv2DOptions options_;
  autograd::Conv2DGeometry geometry_;
  std::array<int64_t, 2> kernel_size_{};
  activations::Activation activation_;
  bool bf16_ = false;
  // channels_first runs the channels-last convolution between two reorders.
  bool channels_first_ = false;
  autograd::Variable* kernel_ = nullptr;
  autograd::Variable* bias_ = nullptr;
  struct Ops {
    autograd::ChannelsOp to_last, to_first;
    autograd::Conv2DOp conv;
    autograd::ActivationOp act;
  };
};

struct Conv1DOptions {
  int64_t filters = 0;
  std::vector<int64_t> kernel_size = {};
  std::vector<int64_t> strides = {1};
  std::string padding = "valid";              // or "same"
  std::string data_format = "channels_last";  // or "channels_first"
  std::vector<int64_t> dilation_rate = {1};
  std::string activation = "linear";
  bool use_bias = true;
  initializers::Initializer kernel_initializer = "glorot_uniform";
  initializers::Initializer bias_initializer = "zeros";
  regularizers::Regularizer kernel_regularizer = {};
  regularizers::Regularizer bias_regularizer = {};
  regularizers::Regularizer activity_regularizer = {};  // a penalty on the output (after the activation)
  constraints::Constraint kernel_constraint = {};       // applied after each update in fit()
  constraints::Constraint bias_constraint = {};
  std::vector<int64_t> input_shape = {};  // (steps, channels) of a first layer (channels first: c, steps)
  std::string name = "";
  std::string dtype = "";  // dtype policy; empty: mixed_precision::global_policy() at construction
};

// Runs as a Conv2D over a height of 1: the (steps, channels) input and the (k, in, filters) kernel are
// viewed as (1, steps, channels) and (1, k, in, filters).
class Conv1D final : public Layer {
 public:
  SOMA_LAYER(Conv1D)
  explicit Conv1D(Conv1DOptions options);
  std::string type() const override { return "Conv1D"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override;
  autograd::Variable& kernel() { return *kernel_; }

 protected:
  void build_weights(const Shape& input_shape) override;
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                              bool training) override;

 private:
  Conv1DOptions options_;
  autograd::Conv2DGeometry geometry_;
  int64_t kernel_size_ = 0;
  activations::Activation activation_;
  bool bf16_ = false;
  bool channels_first_ = false;
  autograd::Variable* kernel_ = nullptr;
  autograd::Variable* bias_ = nullptr;
  struct Ops {
    autograd::ReshapeOp x_view, kernel_view, out_view;
    autograd::ChannelsOp to_last, to_first;
    autograd::Conv2DOp conv;
    autograd::ActivationOp act;
  };
};

}  // namespace soma::layers
