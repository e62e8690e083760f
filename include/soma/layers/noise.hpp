#pragma once
// Keras' regularising noise layers, active only in training (fit) and the identity at inference:
// SpatialDropout1D/2D drop whole channels (one draw per sample and channel, channels-last), GaussianNoise
// adds N(0, stddev), GaussianDropout multiplies by N(1, sqrt(rate / (1 - rate))).
#include <string>
#include <vector>

#include "soma/autograd/ops/noise_ops.hpp"
#include "soma/layers/layer.hpp"

namespace soma::layers {

struct SpatialDropoutOptions {
  float rate = 0.0f;  // in [0, 1)
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// Input (batch, steps, channels).
class SpatialDropout1D final : public Layer {
 public:
  SOMA_LAYER(SpatialDropout1D)
  explicit SpatialDropout1D(float rate) : SpatialDropout1D(SpatialDropoutOptions{.rate = rate}) {}
  explicit SpatialDropout1D(SpatialDropoutOptions options);
  std::string type() const override { return "SpatialDropout1D"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override;
  float rate() const { return rate_; }

 protected:
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                              bool training) override;

 private:
  float rate_;
  struct Ops {
    autograd::SpatialDropoutOp op;
  };
};

// Input (batch, height, width, channels).
class SpatialDropout2D final : public Layer {
 public:
  SOMA_LAYER(SpatialDropout2D)
  explicit SpatialDropout2D(float rate) : SpatialDropout2D(SpatialDropoutOptions{.rate = rate}) {}
  explicit SpatialDropout2D(SpatialDropoutOptions options);
  std::string type() const override { return "SpatialDropout2D"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override;
  float rate() const { return rate_; }

 protected:
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                              bool training) override;

 private:
  float rate_;
  struct Ops {
    autograd::SpatialDropoutOp op;
  };
};

struct GaussianNoiseOptions {
  float stddev = 0.0f;  // >= 0
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

class GaussianNoise final : public Layer {
 public:
  SOMA_LAYER(GaussianNoise)
  explicit GaussianNoise(float stddev) : GaussianNoise(GaussianNoiseOptions{.stddev = stddev}) {}
  explicit GaussianNoise(GaussianNoiseOptions options);
  std::string type() const override { return "GaussianNoise"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override { return input_shape; }
  float stddev() const { return stddev_; }

 protected:
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                              bool training) override;

 private:
  float stddev_;
  struct Ops {
    autograd::GaussianNoiseOp op;
  };
};

struct GaussianDropoutOptions {
  float rate = 0.0f;  // in [0, 1)
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

class GaussianDropout final : public Layer {
 public:
  SOMA_LAYER(GaussianDropout)
  explicit GaussianDropout(float rate) : GaussianDropout(GaussianDropoutOptions{.rate = rate}) {}
  explicit GaussianDropout(GaussianDropoutOptions options);
  std::string type() const override { return "GaussianDropout"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override { return input_shape; }
  float rate() const { return rate_; }

 protected:
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                              bool training) override;

 private:
  float rate_;
  struct Ops {
    autograd::GaussianDropoutOp op;
  };
};

}  // namespace soma::layers
