#pragma once
// RecurrentOp's saved-for-backward data and scratch, shared by recurrent_op.cpp and recurrent_op_gru.cpp.
// Sized on the first call for a shape and reused, so a steady-state step allocates nothing.
#include "soma/autograd/ops/recurrent_op.hpp"

namespace soma::autograd {

struct RecurrentOp::Buffers {
  Tensor xt;               // (T, N, F) time-major input, in processing order
  Tensor xw;               // (T, N, GU) input projections plus input bias
  Tensor h;                // (T + 1, N, U) hidden states, h[0] = the initial state
  Tensor c;                // (T + 1, N, U) LSTM cell states
  Tensor tc;               // (T, N, U) LSTM activation(c)
  Tensor deriv;            // (5, U) one row's activation derivatives in backward
  Tensor gates;            // (T, N, GU) activated gates: LSTM i f g o, GRU z r hh
  Tensor pre;              // (T, N, GU) gate pre-activations, kept only when a derivative needs them
  Tensor rec;              // (N, GU) one step's recurrent product
  Tensor rec_h;            // (T, N, U) GRU: the step's h-part of the recurrent product plus recurrent bias
  Tensor dxg;              // (T, N, GU) gradient of the input pre-activations
  Tensor drg;              // GRU: gradient of the recurrent pre-activations, (T, N, GU) with reset_after,
                           // else (T, N, 2U) for z, r (the other cells: dxg serves)
  Tensor dh, dc, dh_prev;  // (N, U)
  Tensor dxt;              // (T, N, F)
  Tensor steps;            // (T, N) the sequence mask in processing order, 1 = real step
  Tensor in_mask;          // (N, F) input dropout mask, scaled
  Tensor rec_mask;         // (N, U) recurrent dropout mask, scaled
  Tensor hd;               // (T, N, U) the masked h_prev each step multiplied with R
  Tensor dh_rec;           // (N, U) the recurrent product's share of dh_prev, before its mask
  // GRU with reset_after = false: the recurrent kernel split into its z, r columns and its h columns
  // (contiguous, for the two products), r * h_prev of every step, the candidate's recurrent product
  // and, in backward, its gradient (every step) and d(r * h_prev) of one step.
  Tensor r_zr, r_hh;    // (U, 2U), (U, U)
  Tensor rhd;           // (T, N, U)
  Tensor cand;          // (N, U)
  Tensor dcand;         // (T, N, U)
  Tensor drh;           // (N, U)
  Tensor dr_zr, dr_hh;  // (U, 2U), (U, U) recurrent-kernel gradient parts
  Tensor scratch;
};

}  // namespace soma::autograd
