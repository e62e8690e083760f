#pragma once
// keras.layers.SimpleRNN, LSTM and GRU over (batch, steps, features). Weights in Keras' layout and gate
// order, so they can be exchanged with Keras models: kernel (features, G*units), recurrent_kernel
// (units, G*units), bias (G*units), for GRU (2, 3*units) (input and recurrent bias, reset_after = true);
// LSTM gates i, f, c, o; GRU gates z, r, h.
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
  // The final states are kept for state_h()/state_c(); a Sequential passes on only the output.
  bool return_state = false;
  bool go_backwards = false;
  bool reset_after =
      true;  // GRU: Keras 3's default; false (the Keras 2 / cuDNN-less variant) is not implemented
  std::vector<int64_t> input_shape = {};  // (steps, features) of a first layer
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
  // The final hidden (and, for LSTM, cell) state of the latest call.
  const Tensor& state_h() const { return op_.state_h.value; }
  const Tensor& state_c() const { return op_.state_c.value; }
  bool return_sequences() const { return options_.return_sequences; }
  // The same layer reading the sequence the other way (Bidirectional's backward half), unbuilt.
  std::unique_ptr<Recurrent> reversed(const std::string& name) const;

 protected:
  Recurrent(const std::string& prefix, autograd::CellKind cell, RNNOptions options);
  void build_weights(const Shape& input_shape) override;
  autograd::Variable& forward(autograd::Tape* tape, autograd::Variable& x, bool training) override;

 private:
  autograd::CellKind cell_;
  RNNOptions options_;
  autograd::RecurrentParams params_;
  autograd::Variable *kernel_ = nullptr, *recurrent_ = nullptr, *bias_ = nullptr;
  autograd::RecurrentOp op_;
};

class SimpleRNN final : public Recurrent {
 public:
  explicit SimpleRNN(RNNOptions options)
      : Recurrent("simple_rnn", autograd::CellKind::simple_rnn, std::move(options)) {}
};

class LSTM final : public Recurrent {
 public:
  explicit LSTM(RNNOptions options) : Recurrent("lstm", autograd::CellKind::lstm, std::move(options)) {}
};

class GRU final : public Recurrent {
 public:
  explicit GRU(RNNOptions options) : Recurrent("gru", autograd::CellKind::gru, std::move(options)) {}
};

}  // namespace soma::layers
