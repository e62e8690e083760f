#pragma once
// The small Keras core layers: Activation, Flatten, Reshape, Dropout, ActivityRegularization, Identity,
// Masking.
#include <string>
#include <vector>

#include "soma/activations.hpp"
#include "soma/autograd/ops/activation_op.hpp"
#include "soma/autograd/ops/dropout_op.hpp"
#include "soma/autograd/ops/mask_ops.hpp"
#include "soma/autograd/ops/reshape_op.hpp"
#include "soma/layers/layer.hpp"

namespace soma::layers {

struct ActivationOptions {
  std::string activation;
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

class Activation final : public Layer {
 public:
  SOMA_LAYER(Activation)
  explicit Activation(const std::string& activation)
      : Activation(ActivationOptions{.activation = activation}) {}
  explicit Activation(ActivationOptions options);
  std::string type() const override { return "Activation"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override { return input_shape; }

 protected:
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                              bool training) override;

 private:
  ActivationOptions options_;
  activations::Activation activation_;
  struct Ops {
    autograd::ActivationOp op;
  };
};

struct FlattenOptions {
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// Collapses every per-sample axis into one, in row-major (channels-last) order as Keras does.
class Flatten final : public Layer {
 public:
  SOMA_LAYER(Flatten)
  explicit Flatten(FlattenOptions options = {});
  std::string type() const override { return "Flatten"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override { return Shape{input_shape.numel()}; }

 protected:
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                              bool training) override;

 private:
  FlattenOptions options_;
  struct Ops {
    autograd::ReshapeOp op;
  };
};

struct ReshapeOptions {
  std::vector<int64_t> target_shape = {};  // per sample; one entry may be -1 (inferred)
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// keras.layers.Reshape: the same values, row-major, in another per-sample shape.
class Reshape final : public Layer {
 public:
  SOMA_LAYER(Reshape)
  explicit Reshape(std::vector<int64_t> target_shape)
      : Reshape(ReshapeOptions{.target_shape = std::move(target_shape)}) {}
  explicit Reshape(ReshapeOptions options);
  std::string type() const override { return "Reshape"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override;

 protected:
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                              bool training) override;

 private:
  ReshapeOptions options_;
  std::vector<int64_t> target_;
  struct Ops {
    autograd::ReshapeOp op;
  };
};

struct DropoutOptions {
  float rate = 0.0f;
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

class Dropout final : public Layer {
 public:
  SOMA_LAYER(Dropout)
  explicit Dropout(float rate) : Dropout(DropoutOptions{.rate = rate}) {}
  explicit Dropout(DropoutOptions options);
  std::string type() const override { return "Dropout"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override { return input_shape; }
  float rate() const { return rate_; }

 protected:
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                              bool training) override;

 private:
  DropoutOptions options_;
  float rate_;
  struct Ops {
    autograd::DropoutOp op;
  };
};

struct ActivityRegularizationOptions {
  float l1 = 0.0f;
  float l2 = 0.0f;
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// keras.layers.ActivityRegularization: the identity, adding (l1 * sum|x| + l2 * sum x^2) / batch to the
// loss (see Layer::activity_penalty).
class ActivityRegularization final : public Layer {
 public:
  SOMA_LAYER(ActivityRegularization)
  explicit ActivityRegularization(ActivityRegularizationOptions options = {});
  std::string type() const override { return "ActivityRegularization"; }
  Shape output_shape(const Shape& input_shape) const override { return input_shape; }
  Config get_config() const override;

 protected:
  autograd::Variable& forward(CallFrame&, autograd::Tape*, autograd::Variable& x, bool) override { return x; }

 private:
  ActivityRegularizationOptions options_;
};

struct IdentityOptions {
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// keras.layers.Identity: returns its input (and its mask) unchanged.
class Identity final : public Layer {
 public:
  SOMA_LAYER(Identity)
  explicit Identity(IdentityOptions options = {}) : Layer("identity", options.name, options.input_shape), options_(options) {}
  std::string type() const override { return "Identity"; }
  Shape output_shape(const Shape& input_shape) const override { return input_shape; }
  Config get_config() const override;

 protected:
  autograd::Variable& forward(CallFrame&, autograd::Tape*, autograd::Variable& x, bool) override { return x; }

 private:
  IdentityOptions options_;
};

struct MaskingOptions {
  float mask_value = 0.0f;
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// keras.layers.Masking: a step (an entry of every axis but the last) whose features all equal mask_value
// is masked: its output is zeroed and the mask passed on, of the input's shape without its last axis,
// is 0 there (1 elsewhere). For (batch, steps, features) that is the sequence mask the recurrent layers,
// attention and GlobalAveragePooling1D read.
class Masking final : public Layer {
 public:
  SOMA_LAYER(Masking)
  explicit Masking(MaskingOptions options = {}) : Layer("masking", options.name, options.input_shape), options_(options) {}
  std::string type() const override { return "Masking"; }
  Shape output_shape(const Shape& input_shape) const override { return input_shape; }
  Config get_config() const override;
  const MaskingOptions& options() const { return options_; }

 protected:
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool training) override;

 private:
  MaskingOptions options_;
  struct Ops {
    Tensor keep, keep_wide;  // (batch, steps...) and the same broadcast over the features
    autograd::MaskOp op;
  };
};

}  // namespace soma::layers
