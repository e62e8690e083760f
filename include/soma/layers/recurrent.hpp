#pragma once
// keras.layers.SimpleRNN, LSTM and GRU over (batch, steps, features). Weights in Keras' layout and gate
// order, so they can be exchanged with Keras models: kernel (features, G*units), recurrent_kernel
// (units, G*units), bias (G*units), for GRU with reset_after (2, 3*units) (input and recurrent bias);
// LSTM gates i, f, c, o; GRU gates z, r, h.
//   L::LSTM lstm({.units = 8, .return_state = true});
//   auto outs = lstm.call(tape, x, {&h0, &c0}, true);   // {output, h, c}, all on the tape
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "soma/autograd/ops/recurrent_op.hpp"
#include "soma/layers/layer.hpp"

namespace soma::layers {

struct RNNOptions {
  int64_t units = 0;
  std::string activation = "tanh";
  std::string recurrent_activation = "sigmoid";  // LSTM and GRU gates
  bool use_bias = true;
  initializers::Initializer kernel_initializer = "glorot_uniform";
  initializers::Initializer recurrent_initializer = "orthogonal";
  initializers::Initializer bias_initializer = "zeros";
  bool unit_forget_bias = true;  // LSTM: the forget gate's bias starts at 1
  float dropout = 0.0f;
  float recurrent_dropout = 0.0f;
  bool return_sequences = false;
  // call() returns the final states after the output (h, and c for LSTM). Such a layer has several
  // outputs, which a Sequential refuses (as Keras does); state_h()/state_c() hold them in any case.
  bool return_state = false;
  bool go_backwards = false;
  // The final states of sample i become the initial states of sample i in the next call, until
  // reset_state(); needs the fixed batch_size below.
  bool stateful = false;
  bool reset_after = true;  // GRU: Keras 3's default; false: TF 1.x / Keras <= 2.3's (bias (3*units,))
  std::vector<int64_t> input_shape = {};  // (steps, features) of a first layer
  // The fixed batch size of a stateful layer (Keras: batch_input_shape[0], Input(batch_size=...)).
  int64_t batch_size = 0;
  std::string name = "";
};
using SimpleRNNOptions = RNNOptions;
using LSTMOptions = RNNOptions;
using GRUOptions = RNNOptions;

// What SimpleRNN, LSTM and GRU share: everything but the cell.
class Recurrent : public Layer {
 public:
  std::string type() const final;
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override;
  autograd::Variable& kernel() { return *kernel_; }
  autograd::Variable& recurrent_kernel() { return *recurrent_; }
  autograd::Variable* bias() { return bias_; }
  // The final hidden (and, for LSTM, cell) state of the latest call, in whichever frame it ran (for
  // inspection; concurrent calls each have their own, returned by call() with return_state).
  const Tensor& state_h() const;
  const Tensor& state_c() const;
  bool return_sequences() const { return options_.return_sequences; }
  bool return_state() const { return options_.return_state; }
  bool stateful() const { return options_.stateful; }
  // 2 for LSTM (h, c), else 1.
  int64_t state_count() const;
  size_t output_count() const override { return options_.return_state ? 1 + state_count() : 1; }

  // Keras' layer(x, initial_state=[...], training=...): the initial states (batch, units) each, h then c
  // for LSTM, or none (zeros, or a stateful layer's carried states); they receive gradients. Returns
  // {output}, or with return_state {output, h} / {output, h, c}; every tensor takes part in the tape.
  std::vector<autograd::Variable*> call(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                                        const std::vector<autograd::Variable*>& initial_state, bool training);
  std::vector<autograd::Variable*> call(autograd::Tape* tape, autograd::Variable& x,
                                        const std::vector<autograd::Variable*>& initial_state, bool training) {
    return call(own_frame(), tape, x, initial_state, training);
  }
  // In a graph: inputs {x} or {x, h0[, c0]}; outputs as call().
  void call_multi(CallFrame& frame, autograd::Tape* tape, std::span<autograd::Variable* const> inputs,
                  std::vector<autograd::Variable*>& outputs, bool training) override;
  std::vector<Shape> output_shapes(std::span<const Shape> inputs) const override;
  void build_multi(std::span<const Shape> inputs) override;
  std::pair<int, int> input_count() const override { return {1, 1 + static_cast<int>(state_count())}; }
  // A stateful layer's next call starts from zeros again (Keras 3 reset_state; reset_states is Keras 2's).
  void reset_state();
  void reset_states() { reset_state(); }
  // The same layer reading the sequence the other way (Bidirectional's backward half), unbuilt.
  std::unique_ptr<Recurrent> reversed(const std::string& name) const;

 protected:
  Recurrent(const std::string& prefix, autograd::CellKind cell, RNNOptions options);
  void build_weights(const Shape& input_shape) override;
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                              bool training) override;

 private:
  autograd::Variable& run(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                          const std::vector<autograd::Variable*>& initial_state, bool training);

  autograd::CellKind cell_;
  RNNOptions options_;
  autograd::RecurrentParams params_;
  autograd::Variable *kernel_ = nullptr, *recurrent_ = nullptr, *bias_ = nullptr;
  struct Ops {
    autograd::RecurrentOp op;
  };
  // The frame of the latest call (state_h()); atomic so that concurrent calls race on nothing. The pointer
  // only moves with the layer.
  struct LatestFrame {
    std::atomic<const CallFrame*> frame{nullptr};
    LatestFrame() = default;
    LatestFrame(LatestFrame&& o) noexcept : frame(o.frame.load()) {}
    LatestFrame& operator=(LatestFrame&& o) noexcept {
      frame = o.frame.load();
      return *this;
    }
  } latest_;
  // A stateful layer's carried states (batch_size, units); not trained, not saved.
  autograd::Variable carried_h_, carried_c_;
  bool carrying_ = false;
};

class SimpleRNN final : public Recurrent {
 public:
  SOMA_LAYER(SimpleRNN)
  explicit SimpleRNN(RNNOptions options)
      : Recurrent("simple_rnn", autograd::CellKind::simple_rnn, std::move(options)) {}
};

class LSTM final : public Recurrent {
 public:
  SOMA_LAYER(LSTM)
  explicit LSTM(RNNOptions options) : Recurrent("lstm", autograd::CellKind::lstm, std::move(options)) {}
};

class GRU final : public Recurrent {
 public:
  SOMA_LAYER(GRU)
  explicit GRU(RNNOptions options) : Recurrent("gru", autograd::CellKind::gru, std::move(options)) {}
};

}  // namespace soma::layers
