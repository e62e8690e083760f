#pragma once
// keras.layers preprocessing that travels with the model: Rescaling and CenterCrop. They run in
// inference as in training, so `soma predict` on raw data sees what training saw.
#include <string>
#include <vector>

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

struct CenterCropOptions {
  int64_t height = 0;
  int64_t width = 0;
  std::string data_format = "channels_last";
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// keras.layers.CenterCrop: the central height x width window of each image, starting at
// floor((in - target) / 2) on each axis. Keras resizes an image smaller than the target first; soma
// does not have that path yet and says so.
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
  };
};

}  // namespace soma::layers
