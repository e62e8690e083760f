#pragma once
// keras.layers convolutions in 1, 2 and 3 spatial dimensions: Conv1D/2D/3D (with groups),
// Conv1DTranspose/2DTranspose/3DTranspose, DepthwiseConv1D/2D and SeparableConv1D/2D.
// data_format "channels_last" (the default) takes (batch, [depth,] [height,] width, channels), and
// "channels_first" (batch, channels, ...). Kernels are stored as Keras stores them, whatever the
// data_format, so weights can be exchanged with Keras models:
//   Conv:       (k..., channels / groups, filters)
//   Transpose:  (k..., filters, channels)
//   Depthwise:  (k..., channels, depth_multiplier)
//   Separable:  depthwise_kernel (k..., channels, depth_multiplier) and pointwise_kernel
//               (1..., channels * depth_multiplier, filters)
// All of them run on one op (autograd/ops/conv_op.hpp, oneDNN's convolution and deconvolution): a 1-D
// layer as a 2-D one of height 1, a depthwise kernel as a grouped one with a group per channel.
#include <array>
#include <string>
#include <vector>

#include "soma/activations.hpp"
#include "soma/autograd/ops/activation_op.hpp"
#include "soma/autograd/ops/channels_op.hpp"
#include "soma/autograd/ops/conv_op.hpp"
#include "soma/autograd/ops/reshape_op.hpp"
#include "soma/layers/layer.hpp"
#include "soma/mixed_precision.hpp"

namespace soma::layers {

// Conv1D, Conv2D, Conv3D. One entry of kernel_size, strides or dilation_rate stands for every axis.
struct ConvOptions {
  int64_t filters = 0;
  std::vector<int64_t> kernel_size = {};
  std::vector<int64_t> strides = {1};
  std::string padding = "valid";              // "same", or "causal" for 1-D convolutions
  std::string data_format = "channels_last";  // or "channels_first"
  std::vector<int64_t> dilation_rate = {1};
  int64_t groups = 1;  // channels and filters split into groups convolved separately
  std::string activation = "linear";
  bool use_bias = true;
  initializers::Initializer kernel_initializer = "glorot_uniform";
  initializers::Initializer bias_initializer = "zeros";
  regularizers::Regularizer kernel_regularizer = {};
  regularizers::Regularizer bias_regularizer = {};
  regularizers::Regularizer activity_regularizer = {};  // a penalty on the output (after the activation)
  constraints::Constraint kernel_constraint = {};       // applied after each update in fit()
  constraints::Constraint bias_constraint = {};
  std::vector<int64_t> input_shape = {};  // of a first layer, without the batch
  std::string name = "";
  std::string dtype = "";  // dtype policy; empty: mixed_precision::global_policy() at construction
};
using Conv1DOptions = ConvOptions;
using Conv2DOptions = ConvOptions;
using Conv3DOptions = ConvOptions;

// Conv1DTranspose, Conv2DTranspose, Conv3DTranspose.
struct ConvTransposeOptions {
  int64_t filters = 0;
  std::vector<int64_t> kernel_size = {};
  std::vector<int64_t> strides = {1};
  std::string padding = "valid";      // or "same"
  std::vector<int64_t> output_padding = {};  // empty: None (Keras infers it); each entry below its stride
  std::string data_format = "channels_last";
  std::vector<int64_t> dilation_rate = {1};
  std::string activation = "linear";
  bool use_bias = true;
  initializers::Initializer kernel_initializer = "glorot_uniform";
  initializers::Initializer bias_initializer = "zeros";
  regularizers::Regularizer kernel_regularizer = {};
  regularizers::Regularizer bias_regularizer = {};
  regularizers::Regularizer activity_regularizer = {};
  constraints::Constraint kernel_constraint = {};
  constraints::Constraint bias_constraint = {};
  std::vector<int64_t> input_shape = {};
  std::string name = "";
  std::string dtype = "";
};
using Conv1DTransposeOptions = ConvTransposeOptions;
using Conv2DTransposeOptions = ConvTransposeOptions;
using Conv3DTransposeOptions = ConvTransposeOptions;

// DepthwiseConv1D, DepthwiseConv2D: each channel convolved with its own depth_multiplier filters.
struct DepthwiseConvOptions {
  std::vector<int64_t> kernel_size = {};
  std::vector<int64_t> strides = {1};
  std::string padding = "valid";
  int64_t depth_multiplier = 1;
  std::string data_format = "channels_last";
  std::vector<int64_t> dilation_rate = {1};
  std::string activation = "linear";
  bool use_bias = true;
  initializers::Initializer depthwise_initializer = "glorot_uniform";
  initializers::Initializer bias_initializer = "zeros";
  regularizers::Regularizer depthwise_regularizer = {};
  regularizers::Regularizer bias_regularizer = {};
  regularizers::Regularizer activity_regularizer = {};
  constraints::Constraint depthwise_constraint = {};
  constraints::Constraint bias_constraint = {};
  std::vector<int64_t> input_shape = {};
  std::string name = "";
  std::string dtype = "";
};
using DepthwiseConv1DOptions = DepthwiseConvOptions;
using DepthwiseConv2DOptions = DepthwiseConvOptions;

// SeparableConv1D, SeparableConv2D: a depthwise convolution, then a pointwise (1x1) one to `filters`.
struct SeparableConvOptions {
  int64_t filters = 0;
  std::vector<int64_t> kernel_size = {};
  std::vector<int64_t> strides = {1};
  std::string padding = "valid";
  std::string data_format = "channels_last";
  std::vector<int64_t> dilation_rate = {1};
  int64_t depth_multiplier = 1;
  std::string activation = "linear";
  bool use_bias = true;
  initializers::Initializer depthwise_initializer = "glorot_uniform";
  initializers::Initializer pointwise_initializer = "glorot_uniform";
  initializers::Initializer bias_initializer = "zeros";
  regularizers::Regularizer depthwise_regularizer = {};
  regularizers::Regularizer pointwise_regularizer = {};
  regularizers::Regularizer bias_regularizer = {};
  regularizers::Regularizer activity_regularizer = {};
  constraints::Constraint depthwise_constraint = {};
  constraints::Constraint pointwise_constraint = {};
  constraints::Constraint bias_constraint = {};
  std::vector<int64_t> input_shape = {};
  std::string name = "";
  std::string dtype = "";
};
using SeparableConv1DOptions = SeparableConvOptions;
using SeparableConv2DOptions = SeparableConvOptions;

// What every convolution layer shares: the geometry, the data format, the forward pass.
class BaseConv : public Layer {
 public:
  Shape output_shape(const Shape& input_shape) const override;
  // The kernel ("kernel"; SeparableConv's "depthwise_kernel") and the bias (null without use_bias).
  autograd::Variable& kernel() { return *kernel_; }
  autograd::Variable* bias() { return bias_; }
  int spatial_rank() const { return rank_; }

 protected:
  enum class Kind { conv, transposed, depthwise, separable };
  BaseConv(const std::string& prefix, const std::string& name, const std::vector<int64_t>& input_shape,
           int rank, Kind kind);
  // The concrete layer's constructor resolves its options (who() needs the final type).
  struct Arguments {
    const std::vector<int64_t>& kernel_size;
    const std::vector<int64_t>& strides;
    const std::vector<int64_t>& dilation_rate;
    const std::vector<int64_t>& output_padding;
    const std::string& padding;
    const std::string& data_format;
    const std::string& activation;
    const std::string& dtype;
    int64_t filters;           // conv, transposed, separable
    int64_t groups;            // conv
    int64_t depth_multiplier;  // depthwise, separable
    const constraints::Constraint& kernel_constraint;
    const constraints::Constraint& bias_constraint;
  };
  void resolve(const Arguments& a);
  // Input channels, checked against the groups (the sample's shape, built or not).
  int64_t input_channels(const Shape& in) const;
  // Keras' kernel shape: the spatial kernel followed by two more axes.
  Shape kernel_shape(int64_t a, int64_t b) const;
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                              bool training) override;
  bool bf16() const { return bf16_; }

  autograd::Variable* kernel_ = nullptr;
  autograd::Variable* pointwise_ = nullptr;  // separable only
  autograd::Variable* bias_ = nullptr;

 private:
  int rank_;
  Kind kind_;
  std::array<int64_t, 3> ksize_{1, 1, 1}, strides_{1, 1, 1}, dilation_{1, 1, 1};  // (depth, height, width)
  std::array<int64_t, 3> output_padding_{-1, -1, -1};
  bool same_ = false, causal_ = false;
  bool channels_first_ = false;
  int64_t filters_ = 0, groups_ = 1, depth_multiplier_ = 1;
  activations::Activation activation_;
  bool bf16_ = false;
  struct Ops {
    autograd::ChannelsOp to_last, to_first;
    autograd::ReshapeOp x_view, out_view, kernel_view, pointwise_view;
    autograd::ConvOp conv, pointwise;
    autograd::ActivationOp act;
  };
};

// Conv1D, Conv2D, Conv3D.
class Conv : public BaseConv {
 public:
  Config get_config() const override;
  const ConvOptions& options() const { return options_; }

 protected:
  Conv(const std::string& prefix, ConvOptions options, int rank);
  void resolve_options();
  void build_weights(const Shape& input_shape) override;
  ConvOptions options_;
};

// Conv1DTranspose, Conv2DTranspose, Conv3DTranspose.
class ConvTranspose : public BaseConv {
 public:
  Config get_config() const override;
  const ConvTransposeOptions& options() const { return options_; }

 protected:
  ConvTranspose(const std::string& prefix, ConvTransposeOptions options, int rank);
  void resolve_options();
  void build_weights(const Shape& input_shape) override;
  ConvTransposeOptions options_;
};

// DepthwiseConv1D, DepthwiseConv2D.
class DepthwiseConv : public BaseConv {
 public:
  Config get_config() const override;
  const DepthwiseConvOptions& options() const { return options_; }

 protected:
  DepthwiseConv(const std::string& prefix, DepthwiseConvOptions options, int rank);
  void resolve_options();
  void build_weights(const Shape& input_shape) override;
  DepthwiseConvOptions options_;
};

// SeparableConv1D, SeparableConv2D.
class SeparableConv : public BaseConv {
 public:
  Config get_config() const override;
  const SeparableConvOptions& options() const { return options_; }
  autograd::Variable& pointwise_kernel() { return *pointwise_; }

 protected:
  SeparableConv(const std::string& prefix, SeparableConvOptions options, int rank);
  void resolve_options();
  void build_weights(const Shape& input_shape) override;
  SeparableConvOptions options_;
};

#define SOMA_CONV_LAYER(Class, Family, Options, prefix, rank)                         \
  class Class final : public Family {                                                 \
   public:                                                                            \
    SOMA_LAYER(Class)                                                                 \
    explicit Class(Options options) : Family(prefix, std::move(options), rank) { resolve_options(); } \
    std::string type() const override { return #Class; }                              \
  };

SOMA_CONV_LAYER(Conv1D, Conv, ConvOptions, "conv1d", 1)
SOMA_CONV_LAYER(Conv2D, Conv, ConvOptions, "conv2d", 2)
SOMA_CONV_LAYER(Conv3D, Conv, ConvOptions, "conv3d", 3)
SOMA_CONV_LAYER(Conv1DTranspose, ConvTranspose, ConvTransposeOptions, "conv1d_transpose", 1)
SOMA_CONV_LAYER(Conv2DTranspose, ConvTranspose, ConvTransposeOptions, "conv2d_transpose", 2)
SOMA_CONV_LAYER(Conv3DTranspose, ConvTranspose, ConvTransposeOptions, "conv3d_transpose", 3)
SOMA_CONV_LAYER(DepthwiseConv1D, DepthwiseConv, DepthwiseConvOptions, "depthwise_conv1d", 1)
SOMA_CONV_LAYER(DepthwiseConv2D, DepthwiseConv, DepthwiseConvOptions, "depthwise_conv2d", 2)
SOMA_CONV_LAYER(SeparableConv1D, SeparableConv, SeparableConvOptions, "separable_conv1d", 1)
SOMA_CONV_LAYER(SeparableConv2D, SeparableConv, SeparableConvOptions, "separable_conv2d", 2)
#undef SOMA_CONV_LAYER

}  // namespace soma::layers
