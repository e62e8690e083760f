#pragma once
// keras.layers' reshaping layers: Permute, RepeatVector, ZeroPadding1D/2D/3D, Cropping1D/2D/3D and
// UpSampling1D/2D/3D.
// Padding and cropping take one (before, after) pair per spatial axis, in the order of the axes; the
// spatial axes follow the batch with data_format "channels_last" (the default) and follow the channels
// with "channels_first". Cropping1D has no data_format, as in Keras.
#include <array>
#include <string>
#include <vector>

#include "soma/autograd/ops/reshaping_ops.hpp"
#include "soma/autograd/ops/resize_op.hpp"
#include "soma/layers/layer.hpp"

namespace soma::layers {

using Pads = std::vector<std::array<int64_t, 2>>;

struct PermuteOptions {
  std::vector<int> dims = {};  // a permutation of 1..rank, the batch axis not counted (Keras' convention)
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// keras.layers.Permute: output axis i is input axis dims[i] (1-based).
class Permute final : public Layer {
 public:
  SOMA_LAYER(Permute)
  explicit Permute(std::vector<int> dims) : Permute(PermuteOptions{.dims = std::move(dims)}) {}
  explicit Permute(PermuteOptions options);
  std::string type() const override { return "Permute"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override;
  const PermuteOptions& options() const { return options_; }

 protected:
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool training) override;

 private:
  PermuteOptions options_;
  struct Ops {
    autograd::PermuteOp op;
  };
};

struct RepeatVectorOptions {
  int64_t n = 1;
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// keras.layers.RepeatVector: (batch, features) -> (batch, n, features).
class RepeatVector final : public Layer {
 public:
  SOMA_LAYER(RepeatVector)
  explicit RepeatVector(int64_t n) : RepeatVector(RepeatVectorOptions{.n = n}) {}
  explicit RepeatVector(RepeatVectorOptions options);
  std::string type() const override { return "RepeatVector"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override;
  const RepeatVectorOptions& options() const { return options_; }

 protected:
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool training) override;

 private:
  RepeatVectorOptions options_;
  struct Ops {
    autograd::RepeatOp op;
  };
};

// What ZeroPadding and Cropping share: signed pads on the spatial axes (negative crops).
class SpatialPadding : public Layer {
 public:
  Shape output_shape(const Shape& input_shape) const override;

 protected:
  SpatialPadding(const std::string& default_name, const std::string& name, const std::vector<int64_t>& input_shape,
                 const Pads& amounts, int spatial_rank, bool crop, const std::string& data_format);
  void check_arguments();
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool training) override;

 private:
  Pads signed_pads_;  // per spatial axis; negative for cropping
  int spatial_rank_;
  bool crop_;
  std::string data_format_;
  bool channels_first_ = false;
  struct Ops {
    autograd::PadOp op;
  };
};

struct ZeroPadding1DOptions {
  Pads padding = {{1, 1}};
  std::string data_format = "channels_last";
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};
struct ZeroPadding2DOptions {
  Pads padding = {{1, 1}, {1, 1}};  // ((top, bottom), (left, right))
  std::string data_format = "channels_last";
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};
struct ZeroPadding3DOptions {
  Pads padding = {{1, 1}, {1, 1}, {1, 1}};
  std::string data_format = "channels_last";
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};
struct Cropping1DOptions {
  Pads cropping = {{1, 1}};
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};
struct Cropping2DOptions {
  Pads cropping = {{0, 0}, {0, 0}};
  std::string data_format = "channels_last";
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};
struct Cropping3DOptions {
  Pads cropping = {{1, 1}, {1, 1}, {1, 1}};
  std::string data_format = "channels_last";
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

#define SOMA_SPATIAL_PADDING_LAYER(Class)                                    \
  class Class final : public SpatialPadding {                                \
   public:                                                                   \
    SOMA_LAYER(Class)                                                        \
    explicit Class(Class##Options options = {});                             \
    std::string type() const override { return #Class; }                     \
    Config get_config() const override;                                      \
    const Class##Options& options() const { return options_; }               \
                                                                             \
   private:                                                                  \
    Class##Options options_;                                                 \
  };

SOMA_SPATIAL_PADDING_LAYER(ZeroPadding1D)
SOMA_SPATIAL_PADDING_LAYER(ZeroPadding2D)
SOMA_SPATIAL_PADDING_LAYER(ZeroPadding3D)
SOMA_SPATIAL_PADDING_LAYER(Cropping1D)
SOMA_SPATIAL_PADDING_LAYER(Cropping2D)
SOMA_SPATIAL_PADDING_LAYER(Cropping3D)
#undef SOMA_SPATIAL_PADDING_LAYER

struct UpSampling1DOptions {
  int64_t size = 2;
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};
struct UpSampling2DOptions {
  std::vector<int64_t> size = {2, 2};  // one value for both axes, or (rows, cols)
  std::string data_format = "channels_last";
  std::string interpolation = "nearest";  // or "bilinear"
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};
struct UpSampling3DOptions {
  std::vector<int64_t> size = {2, 2, 2};  // one value for all axes, or one per axis
  std::string data_format = "channels_last";
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// What UpSampling1D/2D/3D share: each spatial entry repeated size[a] times along axis a ("nearest"), or
// for UpSampling2D(interpolation="bilinear") the image resized as tf.image.resize does.
class SpatialUpsampling : public Layer {
 public:
  Shape output_shape(const Shape& input_shape) const override;

 protected:
  SpatialUpsampling(const std::string& default_name, const std::string& name, const std::vector<int64_t>& input_shape,
                    std::vector<int64_t> size, int spatial_rank, const std::string& data_format);
  void check_arguments();
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool training) override;
  bool bilinear_ = false;

 private:
  std::vector<int64_t> size_;  // per spatial axis
  int spatial_rank_;
  std::string data_format_;
  bool channels_first_ = false;
  struct Ops {
    autograd::UpsampleOp op;
    autograd::ResizeOp resize;
  };
};

#define SOMA_SPATIAL_UPSAMPLING_LAYER(Class)                                 \
  class Class final : public SpatialUpsampling {                             \
   public:                                                                   \
    SOMA_LAYER(Class)                                                        \
    explicit Class(Class##Options options = {});                             \
    std::string type() const override { return #Class; }                     \
    Config get_config() const override;                                      \
    const Class##Options& options() const { return options_; }               \
                                                                             \
   private:                                                                  \
    Class##Options options_;                                                 \
  };

SOMA_SPATIAL_UPSAMPLING_LAYER(UpSampling1D)
SOMA_SPATIAL_UPSAMPLING_LAYER(UpSampling2D)
SOMA_SPATIAL_UPSAMPLING_LAYER(UpSampling3D)
#undef SOMA_SPATIAL_UPSAMPLING_LAYER

}  // namespace soma::layers
