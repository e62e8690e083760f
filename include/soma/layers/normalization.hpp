#pragma once
// keras.layers.LayerNormalization (below) and keras.layers.BatchNormalization over one axis (the last by default): gamma and beta are trained;
// moving_mean and moving_variance are not, and take in each accepted training step's batch statistics
// (apply_updates(), which fit() calls after the optimizer's update: a step rejected for a non-finite loss
// changes nothing). With trainable = false the layer runs in inference mode even in training (Keras' rule
// for fine-tuning): it normalises with the moving statistics and leaves them alone.
#include <string>
#include <vector>

#include "soma/autograd/ops/batch_norm_op.hpp"
#include "soma/autograd/ops/group_norm_op.hpp"
#include "soma/autograd/ops/layer_norm_op.hpp"
#include "soma/autograd/ops/unit_norm_op.hpp"
#include "soma/layers/layer.hpp"

namespace soma::layers {

struct BatchNormalizationOptions {
  // The feature axis, counted over the whole input, batch included: -1 (last, channels-last), 1 (channels
  // first), any other but the batch axis. A config may also write it as a one-element list ([3]).
  int axis = -1;
  float momentum = 0.99f;
  float epsilon = 1e-3f;
  bool center = true;  // learn beta
  bool scale = true;   // learn gamma
  initializers::Initializer beta_initializer = "zeros";
  initializers::Initializer gamma_initializer = "ones";
  initializers::Initializer moving_mean_initializer = "zeros";
  initializers::Initializer moving_variance_initializer = "ones";
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

class BatchNormalization final : public Layer {
 public:
  SOMA_LAYER(BatchNormalization)
  explicit BatchNormalization(BatchNormalizationOptions options = {});
  std::string type() const override { return "BatchNormalization"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override { return input_shape; }
  autograd::Variable& moving_mean() { return *moving_mean_; }
  autograd::Variable& moving_variance() { return *moving_variance_; }

 protected:
  void build_weights(const Shape& input_shape) override;
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                              bool training) override;
  void update_state(CallFrame& frame) override;

 private:
  BatchNormalizationOptions options_;
  int64_t axis_ = -1;             // options_.axis resolved against the built input shape (batch included)
  autograd::Variable *gamma_ = nullptr, *beta_ = nullptr, *moving_mean_ = nullptr,
                     *moving_variance_ = nullptr;
  struct Ops {
    autograd::BatchNormOp op;
    bool pending_update = false;  // a training forward ran since the last update_state()
  };
};

struct LayerNormalizationOptions {
  // The normalised axes, counted over the whole input, batch included (-1: the last). They must be
  // consecutive (e.g. {-1}, {2, 3}, {1, 2, 3}); a config may give one axis as a bare integer.
  std::vector<int64_t> axis = {-1};
  float epsilon = 1e-3f;
  bool center = true;        // learn beta (not with rms_scaling)
  bool scale = true;         // learn gamma
  bool rms_scaling = false;  // x * gamma / sqrt(var + epsilon): Keras 3's formula; center and scale ignored
  initializers::Initializer beta_initializer = "zeros";
  initializers::Initializer gamma_initializer = "ones";
  regularizers::Regularizer beta_regularizer = {};
  regularizers::Regularizer gamma_regularizer = {};
  constraints::Constraint beta_constraint = {};
  constraints::Constraint gamma_constraint = {};
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// Normalises each sample over `axis` (statistics per sample, the same in training and inference), then
// scales by gamma and shifts by beta, both shaped like the normalised axes. Masks pass through.
class LayerNormalization final : public Layer {
 public:
  SOMA_LAYER(LayerNormalization)
  explicit LayerNormalization(LayerNormalizationOptions options = {});
  std::string type() const override { return "LayerNormalization"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override { return input_shape; }
  const LayerNormalizationOptions& options() const { return options_; }

 protected:
  void build_weights(const Shape& input_shape) override;
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                              bool training) override;

 private:
  LayerNormalizationOptions options_;
  int64_t first_ = 0, last_ = 0;  // the normalised axes, resolved against the built input (batch included)
  autograd::Variable *gamma_ = nullptr, *beta_ = nullptr;
  struct Ops {
    autograd::LayerNormOp op;
  };
};

struct GroupNormalizationOptions {
  int64_t groups = 32;  // must divide the channels; -1: one group per channel (instance normalisation)
  int64_t axis = -1;    // the channels axis, counted with the batch
  float epsilon = 1e-3f;
  bool center = true;
  bool scale = true;
  initializers::Initializer beta_initializer = "zeros";
  initializers::Initializer gamma_initializer = "ones";
  regularizers::Regularizer beta_regularizer = {};
  regularizers::Regularizer gamma_regularizer = {};
  constraints::Constraint beta_constraint = {};
  constraints::Constraint gamma_constraint = {};
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// keras.layers.GroupNormalization: the channels split into `groups`; each sample's group normalised over
// its channels and every other non-batch axis (mean, biased variance), then gamma[c] and beta[c].
// groups = 1 is LayerNormalization over all axes with per-channel weights; groups = channels is
// instance normalisation. The same in training and inference; masks pass through.
class GroupNormalization final : public Layer {
 public:
  SOMA_LAYER(GroupNormalization)
  explicit GroupNormalization(GroupNormalizationOptions options = {});
  std::string type() const override { return "GroupNormalization"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override;
  const GroupNormalizationOptions& options() const { return options_; }

 protected:
  void build_weights(const Shape& input_shape) override;
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool training) override;

 private:
  int64_t channel_axis(const Shape& in) const;  // resolved, batch included
  GroupNormalizationOptions options_;
  autograd::Variable *gamma_ = nullptr, *beta_ = nullptr;
  struct Ops {
    autograd::GroupNormOp op;
  };
};

struct UnitNormalizationOptions {
  std::vector<int64_t> axis = {-1};  // consecutive axes, counted with the batch; a config may give an int
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// keras.layers.UnitNormalization: each sample scaled to unit L2 norm over `axis`,
// x / max(||x||, 1e-12). No weights; masks pass through.
class UnitNormalization final : public Layer {
 public:
  SOMA_LAYER(UnitNormalization)
  explicit UnitNormalization(UnitNormalizationOptions options = {});
  std::string type() const override { return "UnitNormalization"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override;
  const UnitNormalizationOptions& options() const { return options_; }

 protected:
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool training) override;

 private:
  UnitNormalizationOptions options_;
  struct Ops {
    autograd::UnitNormOp op;
  };
};

}  // namespace soma::layers
