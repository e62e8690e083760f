#pragma once
// A whole recurrent layer over a sequence as one op: SimpleRNN, LSTM or GRU cells, forward over every
// step and backpropagation through time in one backward. Shapes (Keras layout):
//   x (N, T, F); kernel (F, G*U); recurrent_kernel (U, G*U); bias (G*U), for GRU with reset_after (2, 3U)
//   = input and recurrent biases; G = 1 (SimpleRNN), 4 (LSTM: i, f, c, o), 3 (GRU: z, r, h).
//   out (N, T, U) with return_sequences, else (N, U); state_h (N, U), state_c (N, U) for LSTM.
//   initial_h / initial_c (N, U), optional: the states before the first step (zeros without them); they
//   receive gradients like any input.
// GRU candidate: reset_after (Keras 3) tanh(x W_h + b_h + r * (h U_h + b'_h)); without it (the default
// before TF 2.0, tfjs' only GRU) tanh(x W_h + b_h + (r * h) U_h), one more (N, U) x (U, U) product per step.
// With x.mask (batch, steps) set (Embedding's mask_zero), a masked step leaves the row's states as they
// were, and its output repeats the previous one (Keras carries the state over padding).
// The input projections of all steps are one matmul, as are the kernel, recurrent-kernel and input
// gradients; only the (N, U) x (U, G*U) recurrent products run step by step.
#include <memory>

#include "soma/activations.hpp"
#include "soma/autograd/tape.hpp"

namespace soma::kernels {
class Matmul;
}

namespace soma::autograd {

enum class CellKind { simple_rnn, lstm, gru };

struct RecurrentParams {
  CellKind cell = CellKind::lstm;
  // Any element-wise activation; alpha carries hard_sigmoid's slope, elu's alpha, leaky_relu's slope.
  activations::Activation activation{activations::Kind::tanh, 0.0f, "tanh"};
  activations::Activation recurrent_activation{activations::Kind::sigmoid, 0.0f, "sigmoid"};
  bool reset_after = true;  // GRU only
  bool return_sequences = false;
  bool go_backwards = false;  // process the steps last to first (outputs come in processing order, as Keras)
  // Keras' dropout of the inputs and of the recurrent state, in training only: one mask per sequence,
  // the same at every step, survivors scaled by 1 / (1 - rate).
  float dropout = 0.0f;
  float recurrent_dropout = 0.0f;
};

// Gate count of a cell: 1, 4 or 3.
int gate_count(CellKind cell);
// Whether the recurrent op implements an activation: every element-wise one (not softmax, log_softmax).
bool supports_activation(activations::Kind kind);

class RecurrentOp final : public Node {
 public:
  RecurrentOp();
  ~RecurrentOp() override;
  RecurrentOp(RecurrentOp&&) noexcept;
  RecurrentOp& operator=(RecurrentOp&&) noexcept;

  Variable& forward(Tape* tape, Variable& x, Variable& kernel, Variable& recurrent_kernel, Variable* bias,
                    const RecurrentParams& params, bool training = false, Variable* initial_h = nullptr,
                    Variable* initial_c = nullptr);
  void backward(Tape& tape) override;
  Variable out, state_h, state_c;

 private:
  struct Buffers;
  void step_forward(int64_t t);
  void step_backward(int64_t t, float* dh, float* dc);
  // GRU with reset_after = false (recurrent_op_gru.cpp).
  void step_forward_gru_before(int64_t t, const float* h_used);
  void step_backward_gru_before(int64_t t, float* dh);
  void recurrent_gradient_gru_before(float* dr);

  Variable *x_ = nullptr, *kernel_ = nullptr, *recurrent_ = nullptr, *bias_ = nullptr;
  Variable *h0_ = nullptr, *c0_ = nullptr;
  RecurrentParams p_;
  bool input_mask_ = false, recurrent_mask_ = false;  // dropout active in the latest forward
  bool step_mask_ = false;                            // x carried a sequence mask
  bool keep_pre_ = false;    // an activation's derivative needs its input: pre-activations are kept
  bool gru_before_ = false;  // GRU with reset_after = false
  int64_t n_ = 0, t_ = 0, f_ = 0, u_ = 0, g_ = 0;
  std::unique_ptr<Buffers> b_;
  std::unique_ptr<kernels::Matmul> input_mm_, step_mm_, back_step_mm_, dw_mm_, dr_mm_, dx_mm_;
};

}  // namespace soma::autograd
