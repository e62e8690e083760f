#pragma once
// keras.layers pooling in 1, 2 and 3 spatial dimensions. data_format "channels_last" (the default) takes
// (batch, [depth,] [height,] width, channels), "channels_first" (batch, channels, ...). The global layers
// give (batch, channels), or with keepdims the input's rank with 1 for each pooled axis.
#include <array>
#include <string>
#include <vector>

#include "soma/autograd/ops/pool_op.hpp"
#include "soma/autograd/ops/reshape_op.hpp"
#include "soma/autograd/ops/step_mean_op.hpp"
#include "soma/layers/layer.hpp"

namespace soma::layers {

// Max/AveragePooling1D, 2D and 3D. One entry of pool_size or strides stands for every axis.
struct PoolingOptions {
  std::vector<int64_t> pool_size = {2};       // {2} means 2 along every spatial axis
  std::vector<int64_t> strides = {};          // empty: pool_size, as Keras' strides=None
  std::string padding = "valid";              // or "same"
  std::string data_format = "channels_last";  // or "channels_first"
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};
using Pooling1DOptions = PoolingOptions;
using Pooling2DOptions = PoolingOptions;
using Pooling3DOptions = PoolingOptions;

// The windowed poolings: a 1-D one runs as a 2-D one over a height of 1.
class Pooling : public Layer {
 public:
  // Known here rather than overridden: the constructor's error messages need it.
  std::string type() const final;
  Shape output_shape(const Shape& input_shape) const override;
  Config get_config() const override;
  const PoolingOptions& options() const { return options_; }

 protected:
  Pooling(const std::string& prefix, PoolingOptions options, int rank, bool max);
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                              bool training) override;

 private:
  PoolingOptions options_;
  int rank_;
  bool max_;
  std::array<int64_t, 3> pool_{1, 1, 1}, strides_{1, 1, 1};  // (depth, height, width)
  autograd::PoolGeometry geometry_;
  struct Ops {
    autograd::ReshapeOp in_view, out_view;
    autograd::PoolOp op;
  };
};

#define SOMA_POOLING_LAYER(Class, prefix, rank, max)                                          \
  class Class final : public Pooling {                                                        \
   public:                                                                                    \
    SOMA_LAYER(Class)                                                                         \
    explicit Class(PoolingOptions options = {}) : Pooling(prefix, std::move(options), rank, max) {} \
  };
SOMA_POOLING_LAYER(MaxPooling1D, "max_pooling1d", 1, true)
SOMA_POOLING_LAYER(AveragePooling1D, "average_pooling1d", 1, false)
SOMA_POOLING_LAYER(MaxPooling2D, "max_pooling2d", 2, true)
SOMA_POOLING_LAYER(AveragePooling2D, "average_pooling2d", 2, false)
SOMA_POOLING_LAYER(MaxPooling3D, "max_pooling3d", 3, true)
SOMA_POOLING_LAYER(AveragePooling3D, "average_pooling3d", 3, false)
#undef SOMA_POOLING_LAYER

struct GlobalPoolingOptions {
  std::string data_format = "channels_last";  // or "channels_first"
  bool keepdims = false;                      // true: the input's rank, with 1 for each pooled axis
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};
using GlobalPooling2DOptions = GlobalPoolingOptions;
using GlobalPooling3DOptions = GlobalPoolingOptions;
using GlobalPooling1DOptions = GlobalPoolingOptions;

// GlobalAverage/MaxPooling2D and 3D: one pool over every spatial axis.
class GlobalPooling : public Layer {
 public:
  std::string type() const final;
  Shape output_shape(const Shape& input_shape) const override;
  Config get_config() const override;

 protected:
  GlobalPooling(const std::string& prefix, GlobalPoolingOptions options, int rank, bool max);
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                              bool training) override;

 private:
  GlobalPoolingOptions options_;
  int rank_;
  bool max_;
  bool channels_first_;
  struct Ops {
    autograd::PoolOp op;
    autograd::ReshapeOp view;
  };
};

#define SOMA_GLOBAL_POOLING_LAYER(Class, prefix, rank, max)                                               \
  class Class final : public GlobalPooling {                                                              \
   public:                                                                                                \
    SOMA_LAYER(Class)                                                                                     \
    explicit Class(GlobalPoolingOptions options = {}) : GlobalPooling(prefix, std::move(options), rank, max) {} \
  };
SOMA_GLOBAL_POOLING_LAYER(GlobalAveragePooling2D, "global_average_pooling2d", 2, false)
SOMA_GLOBAL_POOLING_LAYER(GlobalMaxPooling2D, "global_max_pooling2d", 2, true)
SOMA_GLOBAL_POOLING_LAYER(GlobalAveragePooling3D, "global_average_pooling3d", 3, false)
SOMA_GLOBAL_POOLING_LAYER(GlobalMaxPooling3D, "global_max_pooling3d", 3, true)
#undef SOMA_GLOBAL_POOLING_LAYER

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
    autograd::PoolOp max_op;
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
