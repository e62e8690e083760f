#pragma once
// A whole recurrent layer over a sequence as one op: SimpleRNN, LSTM or GRU (Keras 3's reset_after) cells,
// forward over every step and backpropagation through time in one backward. Shapes (Keras layout):
//   x (N, T, F); kernel (F, G*U); recurrent_kernel (U, G*U); bias (G*U), for GRU (2, 3U) = input and
//   recurrent biases; G = 1 (SimpleRNN), 4 (LSTM: i, f, c, o), 3 (GRU: z, r, h).
//   out (N, T, U) with return_sequences, else (N, U); state_h (N, U), state_c (N, U) for LSTM.
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
  activations::Kind activation = activations::Kind::tanh;
  activations::Kind recurrent_activation = activations::Kind::sigmoid;
  bool return_sequences = false;
  bool go_backwards = false;  // process the steps last to first (outputs come in processing order, as Keras)
  // Keras' dropout of the inputs and of the recurrent state, in training only: one mask per sequence,
  // the same at every step, survivors scaled by 1 / (1 - rate).
  float dropout = 0.0f;
  float recurrent_dropout = 0.0f;
};

// Gate count of a cell: 1, 4 or 3.
int gate_count(CellKind cell);
// Whether the recurrent op implements an activation (tanh, sigmoid, relu, linear, hard_sigmoid... as listed).
bool supports_activation(activations::Kind kind);

class RecurrentOp final : public Node {
 public:
  RecurrentOp();
  ~RecurrentOp() override;
  RecurrentOp(RecurrentOp&&) noexcept;
  RecurrentOp& operator=(RecurrentOp&&) noexcept;

  Variable& forward(Tape* tape, Variable& x, Variable& kernel, Variable& recurrent_kernel, Variable* bias,
                    const RecurrentParams& params, bool training = false);
  void backward(Tape& tape) override;
  Variable out, state_h, state_c;

 private:
  struct Buffers;
  void step_forward(int64_t t);
  void step_backward(int64_t t, float* dh, float* dc);

  Variable *x_ = nullptr, *kernel_ = nullptr, *recurrent_ = nullptr, *bias_ = nullptr;
  RecurrentParams p_;
  bool input_mask_ = false, recurrent_mask_ = false;  // dropout active in the latest forward
  bool step_mask_ = false;                            // x carried a sequence mask
  int64_t n_ = 0, t_ = 0, f_ = 0, u_ = 0, g_ = 0;
  std::unique_ptr<Buffers> b_;
  std::unique_ptr<kernels::Matmul> input_mm_, step_mm_, back_step_mm_, dw_mm_, dr_mm_, dx_mm_;
};

}  // namespace soma::autograd
