#pragma once
// keras.layers pooling, channels-last: MaxPooling2D, AveragePooling2D (batch, height, width, channels);
// MaxPooling1D (batch, steps, channels); GlobalAveragePooling2D, GlobalMaxPooling2D -> (batch, channels).
#include <string>
#include <vector>

#include "soma/autograd/ops/pool2d_op.hpp"
#include "soma/autograd/ops/reshape_op.hpp"
#include "soma/layers/layer.hpp"

namespace soma::layers {

struct Pooling2DOptions {
  std::vector<int64_t> pool_size = {2};  // {2} means {2, 2}
  std::vector<int64_t> strides = {};     // empty: pool_size, as Keras' strides=None
  std::string padding = "valid";         // or "same"
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
  autograd::Variable& forward(autograd::Tape* tape, autograd::Variable& x, bool training) override;

 private:
  Pooling2DOptions options_;
  autograd::Pool2DGeometry geometry_;
  autograd::Pool2DOp op_;
};

class MaxPooling2D final : public Pooling2D {
 public:
  explicit MaxPooling2D(Pooling2DOptions options = {})
      : Pooling2D("max_pooling2d", std::move(options), true) {}
};

class AveragePooling2D final : public Pooling2D {
 public:
  explicit AveragePooling2D(Pooling2DOptions options = {})
      : Pooling2D("average_pooling2d", std::move(options), false) {}
};

struct Pooling1DOptions {
  std::vector<int64_t> pool_size = {2};
  std::vector<int64_t> strides = {};  // empty: pool_size
  std::string padding = "valid";
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// Runs as a MaxPooling2D over a height of 1.
class MaxPooling1D final : public Layer {
 public:
  explicit MaxPooling1D(Pooling1DOptions options = {});
  std::string type() const override { return "MaxPooling1D"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override;

 protected:
  autograd::Variable& forward(autograd::Tape* tape, autograd::Variable& x, bool training) override;

 private:
  Pooling1DOptions options_;
  autograd::Pool2DGeometry geometry_;
  autograd::ReshapeOp in_view_, out_view_;
  autograd::Pool2DOp op_;
};

struct GlobalPooling2DOptions {
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
  autograd::Variable& forward(autograd::Tape* tape, autograd::Variable& x, bool training) override;

 private:
  GlobalPooling2DOptions options_;
  bool max_;
  autograd::Pool2DOp op_;
  autograd::ReshapeOp view_;
};

class GlobalAveragePooling2D final : public GlobalPooling2D {
 public:
  explicit GlobalAveragePooling2D(GlobalPooling2DOptions options = {})
      : GlobalPooling2D("global_average_pooling2d", std::move(options), false) {}
};

class GlobalMaxPooling2D final : public GlobalPooling2D {
 public:
  explicit GlobalMaxPooling2D(GlobalPooling2DOptions options = {})
      : GlobalPooling2D("global_max_pooling2d", std::move(options), true) {}
};

}  // namespace soma::layers
