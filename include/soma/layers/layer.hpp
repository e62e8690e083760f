#pragma once
// The base of every layer. A layer is built once for a per-sample input shape (creating its weights),
// then called on batches; calling records its ops on the tape so backward needs no layer code.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "soma/autograd/ops/activity_regularization_op.hpp"
#include "soma/autograd/tape.hpp"
#include "soma/constraints.hpp"
#include "soma/core/config.hpp"
#include "soma/layers/initializers.hpp"
#include "soma/regularizers.hpp"

namespace soma::layers {

class Layer {
 public:
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;
  Layer(Layer&&) = default;
  Layer& operator=(Layer&&) = default;

  // "Dense", "Flatten", ... as in Keras summaries.
  virtual std::string type() const = 0;
  const std::string& name() const { return name_; }

  // The per-sample input shape the user declared (input_shape / input_dim), if any.
  const std::optional<Shape>& declared_input_shape() const { return declared_input_shape_; }
  bool built() const { return built_; }
  // Creates the weights for this per-sample input shape; a second call with the same shape does nothing,
  // with another shape throws ShapeError.
  void build(const Shape& input_shape);
  const Shape& input_shape() const { return input_shape_; }
  // Per-sample output shape for a per-sample input shape.
  virtual Shape output_shape(const Shape& input_shape) const = 0;
  // How many tensors a call returns (a recurrent layer with return_state: its output and final states);
  // operator() returns the first, and a Sequential takes only layers with one.
  virtual size_t output_count() const { return 1; }

  // Applies the layer to a batch, checking its shape first. `training` switches dropout and the like.
  // With an activity regularizer the output passes through an op that records its penalty.
  autograd::Variable& operator()(autograd::Tape* tape, autograd::Variable& x, bool training);

  std::vector<autograd::Variable*> weights();
  std::vector<autograd::Variable*> trainable_weights();
  int64_t count_params() const;
  // The sum of this layer's weight penalties, and adding their gradients to the weights' (whose grads
  // must hold this step's loss gradient).
  double regularization_penalty() const;
  void add_regularization_gradients();
  // Keras' activity_regularizer: the penalty on the output of this layer's latest call (and of the
  // layers it wraps), already divided by that batch's size; its gradient flows in backward().
  double activity_penalty() const;
  // Projects the trainable weights registered with constrain(); fit() calls it after each update.
  void apply_constraints();
  // Commits the state changes of the latest training-mode call (BatchNormalization's moving statistics),
  // in this layer and the layers it wraps. fit() calls it once a step is accepted, after the optimizer's
  // update; a forward pass alone changes no state.
  void apply_updates();
  bool trainable() const { return trainable_; }
  void set_trainable(bool t);

  // The constructor arguments as Keras' get_config(): layers::deserialize({"class_name": type(),
  // "config": get_config()}) makes an equal, unbuilt layer. Every soma layer has one; a custom layer must
  // override it (and be registered with layers::register_layer) before its model can be saved.
  virtual Config get_config() const;

 protected:
  // `prefix` is the snake_case type used for automatic names: "dense", "dense_1", ...
  Layer(const std::string& prefix, const std::string& name, const std::vector<int64_t>& input_shape);
  virtual void build_weights(const Shape&) {}
  // This layer's part of apply_updates(); most layers have no state besides their weights.
  virtual void update_state() {}
  virtual autograd::Variable& forward(autograd::Tape* tape, autograd::Variable& x, bool training) = 0;
  autograd::Variable& add_weight(const std::string& name, const Shape& shape,
                                 const initializers::Initializer& initializer, bool trainable = true);
  // "Dense \"dense_2\"": how errors name this layer.
  std::string who() const;
  // Registers a weight penalty (kernel_regularizer, bias_regularizer).
  void regularize(autograd::Variable& weight, const regularizers::Regularizer& r) {
    if (r.active()) regularized_.push_back({&weight, r});
  }
  // Registers a weight constraint (kernel_constraint, ...); checks it against the weight's shape.
  void constrain(autograd::Variable& weight, const constraints::Constraint& c, const std::string& option);
  // Sets the penalty on this layer's output (activity_regularizer).
  void set_activity_regularizer(const regularizers::Regularizer& r) { activity_regularizer_ = r; }
  // A layer this one wraps (Bidirectional, TimeDistributed): its weights count as this layer's.
  void track(Layer& sublayer) { sublayers_.push_back(&sublayer); }

 private:
  std::string name_;
  std::optional<Shape> declared_input_shape_;
  Shape input_shape_;
  bool built_ = false;
  bool trainable_ = true;
  // Owned one by one so their addresses stay valid for the optimizer and the tape.
  std::vector<std::unique_ptr<autograd::Variable>> weights_;
  std::vector<bool> weight_trainable_;  // as add_weight was asked, whatever set_trainable says
  std::vector<Layer*> sublayers_;       // owned (on the heap) by the wrapper that tracks them
  std::vector<std::pair<autograd::Variable*, regularizers::Regularizer>> regularized_;
  std::vector<std::pair<autograd::Variable*, constraints::Constraint>> constrained_;
  regularizers::Regularizer activity_regularizer_;
  autograd::ActivityRegularizationOp activity_op_;
};

}  // namespace soma::layers
