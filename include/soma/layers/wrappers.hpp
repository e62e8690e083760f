#pragma once
// keras.layers.Bidirectional and TimeDistributed.
//   model.add(L::Bidirectional(L::LSTM({.units = 64, .return_sequences = true}), {.merge_mode = "concat"}));
//   model.add(L::TimeDistributed(L::Dense({.units = 10})));
#include <concepts>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "soma/autograd/ops/reshape_op.hpp"
#include "soma/autograd/ops/sequence_ops.hpp"
#include "soma/layers/recurrent.hpp"

namespace soma::layers {

struct BidirectionalOptions {
  std::string merge_mode = "concat";  // "concat", "sum", "mul" or "ave"
  std::string name = "";
};

// Runs the recurrent layer forwards and a copy of it backwards over the sequence and merges the two;
// with return_sequences the backward outputs are put back in time order first, as Keras does.
class Bidirectional final : public Layer {
 public:
  SOMA_LAYER(Bidirectional)
  template <class R>
  requires std::derived_from<std::decay_t<R>, Recurrent>
  explicit Bidirectional(R&& layer, BidirectionalOptions options = {})
      : Bidirectional(std::unique_ptr<Recurrent>(std::make_unique<std::decay_t<R>>(std::forward<R>(layer))),
                      std::move(options)) {}
  Bidirectional(std::unique_ptr<Recurrent> layer, BidirectionalOptions options);

  std::string type() const override { return "Bidirectional"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override;
  Recurrent& forward_layer() { return *forward_; }
  Recurrent& backward_layer() { return *backward_; }
  size_t output_count() const override {
    return forward_->return_state() ? 1 + 2 * static_cast<size_t>(forward_->state_count()) : 1;
  }
  // As Recurrent::call, Keras' order: initial_state is the forward half's states then the backward
  // half's (or none); returns {merged output}, with return_state followed by the forward half's final
  // states and the backward half's.
  std::vector<autograd::Variable*> call(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                                        const std::vector<autograd::Variable*>& initial_state, bool training);
  std::vector<autograd::Variable*> call(autograd::Tape* tape, autograd::Variable& x,
                                        const std::vector<autograd::Variable*>& initial_state, bool training) {
    return call(own_frame(), tape, x, initial_state, training);
  }
  // In a graph: inputs {x} or {x, forward states..., backward states...}; outputs as call().
  void call_multi(CallFrame& frame, autograd::Tape* tape, std::span<autograd::Variable* const> inputs,
                  std::vector<autograd::Variable*>& outputs, bool training) override;
  std::vector<Shape> output_shapes(std::span<const Shape> inputs) const override;
  void build_multi(std::span<const Shape> inputs) override;
  std::pair<int, int> input_count() const override {
    return {1, 1 + 2 * static_cast<int>(forward_->state_count())};
  }
  // Both halves of a stateful layer start from zeros again.
  void reset_state() {
    forward_->reset_state();
    backward_->reset_state();
  }
  void reset_states() { reset_state(); }

 protected:
  void build_weights(const Shape& input_shape) override;
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                              bool training) override;

 private:
  BidirectionalOptions options_;
  std::unique_ptr<Recurrent> forward_, backward_;
  autograd::MergeMode mode_;
  struct Ops {
    autograd::ReverseTimeOp reverse;
    autograd::MergeOp merge;
  };
};

struct TimeDistributedOptions {
  std::string name = "";
};

// Applies a layer to every step of (batch, steps, ...) by folding the steps into the batch.
class TimeDistributed final : public Layer {
 public:
  SOMA_LAYER(TimeDistributed)
  template <class L>
  requires std::derived_from<std::decay_t<L>, Layer>
  explicit TimeDistributed(L&& layer, TimeDistributedOptions options = {})
      : TimeDistributed(std::unique_ptr<Layer>(std::make_unique<std::decay_t<L>>(std::forward<L>(layer))),
                        std::move(options)) {}
  TimeDistributed(std::unique_ptr<Layer> layer, TimeDistributedOptions options);

  std::string type() const override { return "TimeDistributed"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override;
  Layer& layer() { return *inner_; }

 protected:
  void build_weights(const Shape& input_shape) override;
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                              bool training) override;

 private:
  TimeDistributedOptions options_;
  std::unique_ptr<Layer> inner_;
  struct Ops {
    autograd::ReshapeOp fold, unfold;
  };
};

}  // namespace soma::layers
