#pragma once
// keras.layers preprocessing that travels with the model: Normalization, Rescaling, Resizing and
// CenterCrop. They run in inference as in training, so `soma predict` on raw data sees what training saw.
#include <string>
#include <vector>

#include "soma/autograd/ops/resize_op.hpp"
#include "soma/autograd/ops/scale_shift_op.hpp"
#include "soma/layers/layer.hpp"
#include "soma/layers/reshaping.hpp"

namespace soma::layers {

struct RescalingOptions {
  float scale = 1.0f;  // Keras requires it; e.g. 1 / 255.0
  float offset = 0.0f;
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// keras.layers.Rescaling: y = x * scale + offset (scalar scale and offset).
class Rescaling final : public Layer {
 public:
  SOMA_LAYER(Rescaling)
  explicit Rescaling(RescalingOptions options);
  std::string type() const override { return "Rescaling"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override { return input_shape; }
  const RescalingOptions& options() const { return options_; }

 protected:
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool training) override;

 private:
  RescalingOptions options_;
  struct Ops {
    autograd::ScaleShiftOp op;
  };
};

struct NormalizationOptions {
  // The axes that keep their own mean and variance (batch counted as 0, negative from the end); empty:
  // one mean and variance for every value (Keras' axis=None).
  std::vector<int64_t> axis = {-1};
  // Given: used as they are, no adapt. One value, or one per index of the kept axes.
  std::vector<float> mean = {};
  std::vector<float> variance = {};
  bool invert = false;  // y = x * sqrt(variance) + mean: undoes the normalisation
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// keras.layers.Normalization: y = (x - mean) / max(sqrt(variance), 1e-7). Without a given mean and
// variance, adapt(data) computes them over every axis but the kept ones (population variance, as
// Keras), and they are the layer's non-trainable weights "mean", "variance" (and Keras' legacy "count"),
// saved with the model.
//   L::Normalization norm;          // per feature
//   norm.adapt(x_train);            // builds for x_train's sample shape
//   model.add(std::move(norm));
class Normalization final : public Layer {
 public:
  SOMA_LAYER(Normalization)
  explicit Normalization(NormalizationOptions options = {});
  std::string type() const override { return "Normalization"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override { return input_shape; }
  const NormalizationOptions& options() const { return options_; }
  // Computes mean and variance from data (samples, ...), building the layer first if needed.
  void adapt(const Tensor& data);
  // The mean and variance in use, shaped as the kept axes.
  Tensor mean() const;
  Tensor variance() const;

 protected:
  void build_weights(const Shape& input_shape) override;
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool training) override;

 private:
  NormalizationOptions options_;
  std::vector<int> kept_;          // per-sample axes (0-based) with their own statistics, sorted
  Shape kept_shape_;
  std::vector<int64_t> position_;  // per-sample position -> index into the statistics
  Tensor given_mean_, given_variance_;
  autograd::Variable *mean_ = nullptr, *variance_ = nullptr, *count_ = nullptr;
  struct Ops {
    autograd::ScaleShiftOp op;
    Tensor scale, offset;
  };
};

struct ResizingOptions {
  int64_t height = 0;
  int64_t width = 0;
  std::string interpolation = "bilinear";  // or "nearest"
  bool crop_to_aspect_ratio = false;       // resize the largest centred window of the target's aspect ratio
  bool pad_to_aspect_ratio = false;        // or pad to that ratio with fill_value first
  std::string fill_mode = "constant";      // the only one Keras has
  float fill_value = 0.0f;
  bool antialias = false;
  std::string data_format = "channels_last";
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// keras.layers.Resizing: every image to height x width as tf.image.resize does (half-pixel centres, no
// antialiasing), optionally without distorting the aspect ratio. Differentiable, so it may sit anywhere
// in a model.
class Resizing final : public Layer {
 public:
  SOMA_LAYER(Resizing)
  explicit Resizing(ResizingOptions options);
  std::string type() const override { return "Resizing"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override;
  const ResizingOptions& options() const { return options_; }

 protected:
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool training) override;

 private:
  ResizingOptions options_;
  bool channels_first_ = false;
  struct Ops {
    autograd::ResizeOp op;
  };
};

struct CenterCropOptions {
  int64_t height = 0;
  int64_t width = 0;
  std::string data_format = "channels_last";
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// keras.layers.CenterCrop: the central height x width window of each image, starting at
// floor((in - target) / 2) on each axis. An image smaller than the target on either axis goes through
// Keras' smart_resize instead: the largest centred window of the target's aspect ratio, resized
// (bilinear) to height x width.
class CenterCrop final : public Layer {
 public:
  SOMA_LAYER(CenterCrop)
  explicit CenterCrop(CenterCropOptions options);
  std::string type() const override { return "CenterCrop"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override;
  const CenterCropOptions& options() const { return options_; }

 protected:
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool training) override;

 private:
  CenterCropOptions options_;
  bool channels_first_ = false;
  struct Ops {
    autograd::PadOp op;
    autograd::ResizeOp resize;
  };
};

}  // namespace soma::layers
