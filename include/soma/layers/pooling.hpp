#pragma once
// keras.layers pooling. data_format "channels_last" (the default): MaxPooling2D, AveragePooling2D take
// (batch, height, width, channels), the 1-D layers (batch, steps, channels); "channels_first":
// (batch, channels, height, width) and (batch, channels, steps). The global layers give (batch, channels),
// or with keepdims the input's rank with 1 for each pooled axis.
#include <string>
#include <vector>

#include "soma/autograd/ops/pool2d_op.hpp"
#include "soma/autograd/ops/reshape_op.hpp"
#include "soma/autograd/ops/step_mean_op.hpp"
#include "soma/layers/layer.hpp"

namespace soma::layers {

struct Pooling2DOptions {
  std::vector<int64_t> pool_size = {2};       // {2} means {2, 2}
  std::vector<int64_t> strides = {};          // empty: pool_size, as Keras' strides=None
  std::string padding = "valid";              // or "same"
  std::string data_format = "channels_last";  // or "channels_first"
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// MaxPooling2D and AveragePooling2D.
class Pooling2D : public Layer {
 public:
  // Known here rather than overridden: the constructor's error messages need it.
  std::string type() const final { return geometry_.max ? "MaxPooling2D" : "AveragePooling2D"; }
  Shape output_shape(const Shape& input_shape) const override;
  Config get_config() const override;

 protected:
  Pooling2D(const std::string& prefix, Pooling2DOptions options, bool max);
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                              bool training) override;

 private:
  Pooling2DOptions options_;
  autograd::Pool2DGeometry geometry_;
  struct Ops {
    autograd::Pool2DOp op;
  };
};

class MaxPooling2D final : public Pooling2D {
 public:
  SOMA_LAYER(MaxPooling2D)
  explicit MaxPooling2D(Pooling2DOptions options = {})
      : Pooling2D("max_pooling2d", std::move(options), true) {}
};

class AveragePooling2D final : public Pooling2D {
 public:
  SOMA_LAYER(AveragePooling2D)
  explicit AveragePooling2D(Pooling2DOptions options = {})
      : Pooling2D("average_pooling2d", std::move(options), false) {}
};

struct Pooling1DOptions {
  std::vector<int64_t> pool_size = {2};
  std::vector<int64_t> strides = {};  // empty: pool_size
  std::string padding = "valid";
  std::string data_format = "channels_last";  // or "channels_first"
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// MaxPooling1D and AveragePooling1D: run as 2-D pooling over a height of 1.
class Pooling1D : public Layer {
 public:
  std::string type() const final { return geometry_.max ? "MaxPooling1D" : "AveragePooling1D"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override;

 protected:
  Pooling1D(const std::string& prefix, Pooling1DOptions options, bool max);
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                              bool training) override;

 private:
  Pooling1DOptions options_;
  autograd::Pool2DGeometry geometry_;
  struct Ops {
    autograd::ReshapeOp in_view, out_view;
    autograd::Pool2DOp op;
  };
};

class MaxPooling1D final : public Pooling1D {
 public:
  SOMA_LAYER(MaxPooling1D)
  explicit MaxPooling1D(Pooling1DOptions options = {})
      : Pooling1D("max_pooling1d", std::move(options), true) {}
};

class AveragePooling1D final : public Pooling1D {
 public:
  SOMA_LAYER(AveragePooling1D)
  explicit AveragePooling1D(Pooling1DOptions options = {})
      : Pooling1D("average_pooling1d", std::move(options), false) {}
};

struct GlobalPooling2DOptions {
  std::string data_format = "channels_last";  // or "channels_first"
  bool keepdims = false;                      // true: (batch, 1, 1, channels) / (batch, channels, 1, 1)
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// GlobalAveragePooling2D and GlobalMaxPooling2D: one pool over the whole height and width.
class GlobalPooling2D : public Layer {
 public:
  std::string type() const final { return max_ ? "GlobalMaxPooling2D" : "GlobalAveragePooling2D"; }
  Shape output_shape(const Shape& input_shape) const override;
  Config get_config() const override;

 protected:
  GlobalPooling2D(const std::string& prefix, GlobalPooling2DOptions options, bool max);
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                              bool training) override;

 private:
  GlobalPooling2DOptions options_;
  bool max_;
  bool channels_first_;
  struct Ops {
    autograd::Pool2DOp op;
    autograd::ReshapeOp view;
  };
};

class GlobalAveragePooling2D final : public GlobalPooling2D {
 public:
  SOMA_LAYER(GlobalAveragePooling2D)
  explicit GlobalAveragePooling2D(GlobalPooling2DOptions options = {})
      : GlobalPooling2D("global_average_pooling2d", std::move(options), false) {}
};

class GlobalMaxPooling2D final : public GlobalPooling2D {
 public:
  SOMA_LAYER(GlobalMaxPooling2D)
  explicit GlobalMaxPooling2D(GlobalPooling2DOptions options = {})
      : GlobalPooling2D("global_max_pooling2d", std::move(options), true) {}
};

struct GlobalPooling1DOptions {
  std::string data_format = "channels_last";  // or "channels_first"
  bool keepdims = false;                      // true: (batch, 1, channels) / (batch, channels, 1)
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// GlobalAveragePooling1D averages the unmasked steps only when the input carries a sequence mask
// (Embedding mask_zero); GlobalMaxPooling1D, as Keras 3's, ignores the mask. Neither passes a mask on.
class GlobalPooling1D : public Layer {
 public:
  std::string type() const final { return max_ ? "GlobalMaxPooling1D" : "GlobalAveragePooling1D"; }
  Shape output_shape(const Shape& input_shape) const override;
  Config get_config() const override;

 protected:
  GlobalPooling1D(const std::string& prefix, GlobalPooling1DOptions options, bool max);
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                              bool training) override;

 private:
  GlobalPooling1DOptions options_;
  bool max_;
  bool channels_first_;
  struct Ops {
    autograd::ReshapeOp in_view, out_view;
    autograd::Pool2DOp max_op;
    autograd::StepMeanOp mean_op;
  };
};

class GlobalAveragePooling1D final : public GlobalPooling1D {
 public:
  SOMA_LAYER(GlobalAveragePooling1D)
  explicit GlobalAveragePooling1D(GlobalPooling1DOptions options = {})
      : GlobalPooling1D("global_average_pooling1d", std::move(options), false) {}
};

class GlobalMaxPooling1D final : public GlobalPooling1D {
 public:
  SOMA_LAYER(GlobalMaxPooling1D)
  explicit GlobalMaxPooling1D(GlobalPooling1DOptions options = {})
      : GlobalPooling1D("global_max_pooling1d", std::move(options), true) {}
};

}  // namespace soma::layers
