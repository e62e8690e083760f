#pragma once
// The base of every layer. A layer is built once for a per-sample input shape (creating its weights),
// then called on batches; calling records its ops on the tape so backward needs no layer code. A layer
// holds its configuration and weights; what one call computes lives in a CallFrame that the caller owns
// (a model's execution context), so one layer can run in many places and many threads at once.
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "soma/autograd/ops/activity_regularization_op.hpp"
#include "soma/autograd/tape.hpp"
#include "soma/layers/call_arguments.hpp"
#include "soma/layers/call_frame.hpp"
#include "soma/constraints.hpp"
#include "soma/core/config.hpp"
#include "soma/layers/initializers.hpp"
#include "soma/regularizers.hpp"

namespace soma {
class KerasTensor;
namespace graph {
struct Node;
}
}  // namespace soma

namespace soma::layers {

// In every layer class: what calling a temporary on symbolic tensors needs (moving it into the graph).
//   class MyLayer final : public soma::layers::Layer { public: SOMA_LAYER(MyLayer) ... };
#define SOMA_LAYER(Class)                                                 \
  std::shared_ptr<::soma::layers::Layer> move_to_shared() && override {   \
    return std::make_shared<Class>(std::move(*this));                     \
  }

class Layer : public std::enable_shared_from_this<Layer> {
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
  // Every input's shape (a merge layer has several; most layers one, input_shape()).
  const std::vector<Shape>& input_shapes() const { return input_shapes_; }
  // Per-sample output shape for a per-sample input shape.
  virtual Shape output_shape(const Shape& input_shape) const = 0;
  // How many tensors a call returns (a recurrent layer with return_state: its output and final states);
  // operator() returns the first, and a Sequential takes only layers with one.
  virtual size_t output_count() const { return 1; }

  // The functional API: calling a layer on symbolic tensors adds a node to their graph and returns its
  // output (a layer with several outputs: call_outputs()). A temporary moves into the graph; a layer
  // called twice must be shared (soma::shared_layer or std::make_shared), and its calls share weights.
  KerasTensor operator()(const KerasTensor& x) &&;
  KerasTensor operator()(const KerasTensor& x) &;
  KerasTensor operator()(const std::vector<KerasTensor>& inputs) &&;
  KerasTensor operator()(const std::vector<KerasTensor>& inputs) &;
  std::vector<KerasTensor> call_outputs(const std::vector<KerasTensor>& inputs) &&;
  std::vector<KerasTensor> call_outputs(const std::vector<KerasTensor>& inputs) &;
  // The output of this layer's one call in a graph (Keras' layer.output); ValueError if it was called
  // never or more than once (then output_at(i)).
  KerasTensor output() const;
  KerasTensor output_at(size_t node_index) const;
  // This layer moved onto the heap; SOMA_LAYER(Class) implements it.
  virtual std::shared_ptr<Layer> move_to_shared() &&;
  // Records that `node` calls this layer (graph::connect does).
  void add_inbound_node(const std::shared_ptr<graph::Node>& node);
  // The live nodes that call this layer, oldest first.
  std::vector<std::shared_ptr<graph::Node>> inbound_nodes() const;

  // Applies the layer to a batch, checking its shape first. `training` switches dropout and the like.
  // With an activity regularizer the output passes through an op that records its penalty. The call's
  // state lives in `frame`, which the caller keeps for as long as the tape that recorded it.
  autograd::Variable& call(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool training);
  // The same in the layer's own frame: one direct call at a time (tests, experiments); a model gives
  // each of its executions its own frames instead.
  autograd::Variable& operator()(autograd::Tape* tape, autograd::Variable& x, bool training) {
    return call(own_frame(), tape, x, training);
  }
  // Several inputs or outputs (merge layers; a recurrent layer's initial states and return_state): by
  // default the one input to the one output of call(). `outputs` is replaced (its capacity reused, so a
  // graph's steady-state step allocates nothing).
  virtual void call_multi(CallFrame& frame, autograd::Tape* tape, std::span<autograd::Variable* const> inputs,
                  std::vector<autograd::Variable*>& outputs, bool training);
  // Per-sample shapes of the inputs -> of the outputs, and building for them (a functional graph calls
  // these): by default one input and output_shape()/build().
  virtual std::vector<Shape> output_shapes(std::span<const Shape> inputs) const;
  virtual void build_multi(std::span<const Shape> inputs);
  // How many inputs a call takes: {fewest, most}; most < 0 for any number.
  virtual std::pair<int, int> input_count() const { return {1, 1}; }
  // The same three for a graph node with call arguments (layers/call_arguments.hpp). By default a layer
  // takes none (ValueError naming the first) and these are output_shapes, build_multi and call_multi.
  virtual std::vector<Shape> node_output_shapes(std::span<const Shape> inputs, const CallArguments& arguments) const;
  virtual void build_node(std::span<const Shape> inputs, const CallArguments& arguments);
  virtual void call_node(CallFrame& frame, autograd::Tape* tape, std::span<autograd::Variable* const> inputs,
                         std::vector<autograd::Variable*>& outputs, bool training, const CallArguments& arguments);

  std::vector<autograd::Variable*> weights();
  std::vector<autograd::Variable*> trainable_weights();
  int64_t count_params() const;
  // The sum of this layer's weight penalties, and adding their gradients to the weights' (whose grads
  // must hold this step's loss gradient).
  double regularization_penalty() const;
  void add_regularization_gradients();
  // Keras' activity_regularizer: the penalty on the output of this layer's latest call (and of the
  // layers it wraps), already divided by that batch's size; its gradient flows in backward().
  virtual double activity_penalty(const CallFrame& frame) const;
  double activity_penalty() const { return activity_penalty(*own_frame_); }
  // Projects the trainable weights registered with constrain(); fit() calls it after each update.
  void apply_constraints();
  // Commits the state changes of the latest training-mode call (BatchNormalization's moving statistics),
  // in this layer and the layers it wraps. fit() calls it once a step is accepted, after the optimizer's
  // update; a forward pass alone changes no state.
  virtual void apply_updates(CallFrame& frame);
  void apply_updates() { apply_updates(own_frame()); }
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
  virtual void update_state(CallFrame&) {}
  // The layer's computation; its ops live in frame.get<...>(), the frames of wrapped layers in
  // frame.child(i) (i in track() order).
  virtual autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                                      bool training) = 0;
  CallFrame& own_frame() { return *own_frame_; }
  // Throws ShapeError unless x is a batch of this (built) layer's input shape; builds it on first use.
  void check_input(const autograd::Variable& x);
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
  void untrack_all() { sublayers_.clear(); }
  const std::vector<Layer*>& tracked() const { return sublayers_; }
  // This layer's shared_ptr, for calls on symbolic tensors (ValueError if it is not on the heap).
  std::shared_ptr<Layer> self_in_graph();
  // Marks a layer that builds itself (a merge layer, a model) as built for these input shapes.
  void mark_built(std::vector<Shape> input_shapes);

 private:
  std::string name_;
  std::optional<Shape> declared_input_shape_;
  Shape input_shape_;
  std::vector<Shape> input_shapes_;
  bool built_ = false;
  std::vector<std::weak_ptr<graph::Node>> inbound_nodes_;
  bool trainable_ = true;
  // Owned one by one so their addresses stay valid for the optimizer and the tape.
  std::vector<std::unique_ptr<autograd::Variable>> weights_;
  std::vector<bool> weight_trainable_;  // as add_weight was asked, whatever set_trainable says
  std::vector<Layer*> sublayers_;       // owned (on the heap) by the wrapper that tracks them
  std::vector<std::pair<autograd::Variable*, regularizers::Regularizer>> regularized_;
  std::vector<std::pair<autograd::Variable*, constraints::Constraint>> constrained_;
  regularizers::Regularizer activity_regularizer_;
  std::unique_ptr<CallFrame> own_frame_ = std::make_unique<CallFrame>();
};

}  // namespace soma::layers
