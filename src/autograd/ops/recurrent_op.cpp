#include "soma/autograd/ops/recurrent_op.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "autograd/ops/recurrent_activations.hpp"
#include "autograd/ops/recurrent_buffers.hpp"
#include "kernels/matmul.hpp"
#include "soma/core/random.hpp"

namespace soma::autograd {

using activations::Kind;

using detail::activate;
using detail::derivative;

int gate_count(CellKind cell) {
  return cell == CellKind::lstm ? 4 : cell == CellKind::gru ? 3 : 1;
}

bool supports_activation(Kind k) {
  return k != Kind::softmax && k != Kind::log_softmax;
}

namespace {
void draw_mask(Tensor& mask, const Shape& shape, float rate) {
  mask.resize(shape);
  const float keep = 1.0f / (1.0f - rate);
  for (auto& m : mask.span<float>()) m = random::uniform01() >= rate ? keep : 0.0f;
}
}  // namespace

RecurrentOp::RecurrentOp()
    : b_(std::make_unique<Buffers>()),
      input_mm_(std::make_unique<kernels::Matmul>()),
      step_mm_(std::make_unique<kernels::Matmul>()),
      back_step_mm_(std::make_unique<kernels::Matmul>()),
      dw_mm_(std::make_unique<kernels::Matmul>()),
      dr_mm_(std::make_unique<kernels::Matmul>()),
      dx_mm_(std::make_unique<kernels::Matmul>()) {}
RecurrentOp::~RecurrentOp() = default;
RecurrentOp::RecurrentOp(RecurrentOp&&) noexcept = default;
RecurrentOp& RecurrentOp::operator=(RecurrentOp&&) noexcept = default;

Variable& RecurrentOp::forward(Tape* tape, Variable& x, Variable& kernel, Variable& recurrent, Variable* bias,
                               const RecurrentParams& p, bool training, Variable* initial_h,
                               Variable* initial_c) {
  const Shape& xs = x.value.shape();
  if (xs.rank() != 3) {
    throw ShapeError("RecurrentOp: expected x (batch, steps, features), received shape " + xs.str() + ".");
  }
  p_ = p;
  n_ = xs[0];
  t_ = xs[1];
  f_ = xs[2];
  g_ = gate_count(p.cell);
  u_ = recurrent.value.dim(0);
  if (kernel.value.shape() != Shape{f_, g_ * u_} || recurrent.value.shape() != Shape{u_, g_ * u_}) {
    throw ShapeError("RecurrentOp: kernel " + kernel.value.shape().str() + " and recurrent kernel " +
                     recurrent.value.shape().str() + " do not fit " + std::to_string(f_) + " features.");
  }
  if (t_ < 1) throw ShapeError("RecurrentOp: the sequence has no steps (shape " + xs.str() + ").");
  if (!supports_activation(p.activation.kind) || !supports_activation(p.recurrent_activation.kind)) {
    throw ValueError("RecurrentOp: activations must be element-wise, received \"" + p.activation.name +
                     "\" and \"" + p.recurrent_activation.name + "\".");
  }
  if (initial_c && p.cell != CellKind::lstm) {
    throw ValueError("RecurrentOp: only an LSTM has a cell state; received an initial_c.");
  }
  for (const Variable* s0 : {initial_h, initial_c}) {
    if (s0 && s0->value.shape() != Shape{n_, u_}) {
      throw ShapeError("RecurrentOp: an initial state must have shape " + Shape{n_, u_}.str() +
                       ", received " + s0->value.shape().str() + ".");
    }
  }
  const int64_t gu = g_ * u_;
  Buffers& b = *b_;
  gru_before_ = p.cell == CellKind::gru && !p.reset_after;
  keep_pre_ = !detail::derivative_from_output(p.activation) ||
              (p.cell != CellKind::simple_rnn && !detail::derivative_from_output(p.recurrent_activation));

  input_mask_ = training && p.dropout > 0.0f;
  recurrent_mask_ = training && p.recurrent_dropout > 0.0f;
  if (input_mask_) draw_mask(b.in_mask, Shape{n_, f_}, p.dropout);
  if (recurrent_mask_) draw_mask(b.rec_mask, Shape{n_, u_}, p.recurrent_dropout);
  // Time-major copy of x, reversed for go_backwards, with the input dropout applied.
  b.xt.resize(Shape{t_, n_, f_});
  const float* xv = x.value.f32();
  for (int64_t s = 0; s < t_; ++s) {
    const int64_t src_t = p.go_backwards ? t_ - 1 - s : s;
    for (int64_t i = 0; i < n_; ++i) {
      float* __restrict dst = b.xt.f32() + (s * n_ + i) * f_;
      std::memcpy(dst, xv + (i * t_ + src_t) * f_, f_ * 4);
      if (input_mask_) {
        const float* __restrict m = b.in_mask.f32() + i * f_;
        for (int64_t k = 0; k < f_; ++k) dst[k] *= m[k];
      }
    }
  }
  if (recurrent_mask_) b.hd.resize(Shape{t_, n_, u_});
  step_mask_ = x.mask.defined();
  if (step_mask_) {
    if (x.mask.shape() != Shape{n_, t_}) {
      throw ShapeError("RecurrentOp: the sequence mask " + x.mask.shape().str() + " does not fit x " +
                       xs.str() + ".");
    }
    b.steps.resize(Shape{t_, n_});
    for (int64_t s = 0; s < t_; ++s)
      for (int64_t i = 0; i < n_; ++i)
        b.steps.f32()[s * n_ + i] = x.mask.f32()[i * t_ + (p.go_backwards ? t_ - 1 - s : s)];
  }
  // All input projections at once; the GRU's bias row 0 is its input bias.
  b.xw.resize(Shape{t_, n_, gu});
  input_mm_->run({.m = t_ * n_, .n = gu, .k = f_, .bias = bias != nullptr}, b.xt.f32(), kernel.value.f32(),
                 bias ? bias->value.f32() : nullptr, b.xw.f32());
  const auto start = [&](Tensor& states, const Variable* s0) {
    states.resize(Shape{t_ + 1, n_, u_});
    if (s0) {
      std::memcpy(states.f32(), s0->value.f32(), n_ * u_ * 4);
    } else {
      std::fill_n(states.f32(), n_ * u_, 0.0f);
    }
  };
  start(b.h, initial_h);
  if (p.cell == CellKind::lstm) start(b.c, initial_c);
  if (p.cell != CellKind::simple_rnn) b.gates.resize(Shape{t_, n_, gu});
  if (keep_pre_) b.pre.resize(Shape{t_, n_, gu});
  if (p.cell == CellKind::lstm) b.tc.resize(Shape{t_, n_, u_});
  if (p.cell == CellKind::gru && p.reset_after) b.rec_h.resize(Shape{t_, n_, u_});
  b.rec.resize(Shape{n_, gu});
  if (gru_before_) {
    // Contiguous copies of R's z, r columns and h columns for the two products of each step.
    b.r_zr.resize(Shape{u_, 2 * u_});
    b.r_hh.resize(Shape{u_, u_});
    b.rhd.resize(Shape{t_, n_, u_});
    b.cand.resize(Shape{n_, u_});
    for (int64_t r = 0; r < u_; ++r) {
      std::memcpy(b.r_zr.f32() + r * 2 * u_, recurrent.value.f32() + r * gu, 2 * u_ * 4);
      std::memcpy(b.r_hh.f32() + r * u_, recurrent.value.f32() + r * gu + 2 * u_, u_ * 4);
    }
  }

  x_ = &x;
  kernel_ = &kernel;
  recurrent_ = &recurrent;
  bias_ = bias;
  h0_ = initial_h;
  c0_ = p.cell == CellKind::lstm ? initial_c : nullptr;
  for (int64_t s = 0; s < t_; ++s) step_forward(s);

  // Outputs: every h in processing order, or the last one.
  if (p.return_sequences) {
    out.value.resize(Shape{n_, t_, u_});
    for (int64_t s = 0; s < t_; ++s)
      for (int64_t i = 0; i < n_; ++i)
        std::memcpy(out.value.f32() + (i * t_ + s) * u_, b.h.f32() + ((s + 1) * n_ + i) * u_, u_ * 4);
  } else {
    out.value.resize(Shape{n_, u_});
    std::memcpy(out.value.f32(), b.h.f32() + t_ * n_ * u_, n_ * u_ * 4);
  }
  // The mask goes on with the steps (in processing order); a single output has no steps left.
  if (p.return_sequences && step_mask_) {
    out.mask.resize(Shape{n_, t_});
    for (int64_t i = 0; i < n_; ++i)
      for (int64_t s = 0; s < t_; ++s) out.mask.f32()[i * t_ + s] = b.steps.f32()[s * n_ + i];
  } else {
    out.mask = Tensor();
  }
  state_h.value.resize(Shape{n_, u_});
  std::memcpy(state_h.value.f32(), b.h.f32() + t_ * n_ * u_, n_ * u_ * 4);
  if (p.cell == CellKind::lstm) {
    state_c.value.resize(Shape{n_, u_});
    std::memcpy(state_c.value.f32(), b.c.f32() + t_ * n_ * u_, n_ * u_ * 4);
  }
  const bool needs = x.requires_grad || kernel.requires_grad || recurrent.requires_grad ||
                     (bias && bias->requires_grad) || (h0_ && h0_->requires_grad) ||
                     (c0_ && c0_->requires_grad);
  // One node produces all outputs: it is recorded once, through `out`, and the states point at it too.
  finish_forward(tape, out, needs);
  state_h.requires_grad = state_c.requires_grad = needs;
  state_h.producer = state_c.producer = out.producer;
  return out;
}

void RecurrentOp::step_forward(int64_t s) {
  Buffers& b = *b_;
  const int64_t gu = g_ * u_;
  const float* h_prev = b.h.f32() + s * n_ * u_;
  float* h = b.h.f32() + (s + 1) * n_ * u_;
  const float* xw = b.xw.f32() + s * n_ * gu;
  float* rec = b.rec.f32();
  // The recurrent product reads h_prev through the recurrent dropout mask.
  const float* h_used = h_prev;
  if (recurrent_mask_) {
    float* __restrict hd = b.hd.f32() + s * n_ * u_;
    const float* __restrict m = b.rec_mask.f32();
#pragma omp simd
    for (int64_t k = 0; k < n_ * u_; ++k) hd[k] = h_prev[k] * m[k];
    h_used = hd;
  }
  if (gru_before_) {
    step_forward_gru_before(s, h_used);
    return;
  }
  // rec = h_used . R (+ the GRU's recurrent bias, bias row 1)
  const bool gru_bias = p_.cell == CellKind::gru && bias_ != nullptr;
  step_mm_->run({.m = n_, .n = gu, .k = u_, .bias = gru_bias}, h_used, recurrent_->value.f32(),
                gru_bias ? bias_->value.f32() + gu : nullptr, rec);
  const auto& act = p_.activation;
  const auto& ract = p_.recurrent_activation;
  for (int64_t i = 0; i < n_; ++i) {
    const float* __restrict xr = xw + i * gu;
    const float* __restrict rr = rec + i * gu;
    float* __restrict hr = h + i * u_;
    const float* __restrict hp = h_prev + i * u_;
    float* __restrict pre = keep_pre_ ? b.pre.f32() + (s * n_ + i) * gu : nullptr;
    const int64_t u = u_;
    if (p_.cell == CellKind::simple_rnn) {
#pragma omp simd
      for (int64_t j = 0; j < u; ++j) hr[j] = xr[j] + rr[j];
      if (pre) std::copy_n(hr, u, pre);
      activate(act, hr, u);
    } else if (p_.cell == CellKind::lstm) {
      float* __restrict gr = b.gates.f32() + (s * n_ + i) * gu;
      const float* __restrict cp = b.c.f32() + (s * n_ + i) * u;
      float* __restrict cr = b.c.f32() + ((s + 1) * n_ + i) * u;
      float* __restrict tc = b.tc.f32() + (s * n_ + i) * u;
#pragma omp simd
      for (int64_t k = 0; k < gu; ++k) gr[k] = xr[k] + rr[k];
      if (pre) std::copy_n(gr, gu, pre);
      activate(ract, gr, 2 * u);  // i, f
      activate(act, gr + 2 * u, u);
      activate(ract, gr + 3 * u, u);
#pragma omp simd
      for (int64_t j = 0; j < u; ++j) tc[j] = cr[j] = gr[u + j] * cp[j] + gr[j] * gr[2 * u + j];
      activate(act, tc, u);
#pragma omp simd
      for (int64_t j = 0; j < u; ++j) hr[j] = gr[3 * u + j] * tc[j];
    } else {  // GRU, reset after the recurrent product
      float* __restrict gr = b.gates.f32() + (s * n_ + i) * gu;
      float* __restrict rh = b.rec_h.f32() + (s * n_ + i) * u;
#pragma omp simd
      for (int64_t k = 0; k < 2 * u; ++k) gr[k] = xr[k] + rr[k];
      if (pre) std::copy_n(gr, 2 * u, pre);
      activate(ract, gr, 2 * u);  // z, r
#pragma omp simd
      for (int64_t j = 0; j < u; ++j) {
        rh[j] = rr[2 * u + j];
        gr[2 * u + j] = xr[2 * u + j] + gr[u + j] * rh[j];
      }
      if (pre) std::copy_n(gr + 2 * u, u, pre + 2 * u);
      activate(act, gr + 2 * u, u);
#pragma omp simd
      for (int64_t j = 0; j < u; ++j) hr[j] = gr[j] * hp[j] + (1.0f - gr[j]) * gr[2 * u + j];
    }
    // A padding step keeps the row's states.
    if (step_mask_ && b.steps.f32()[s * n_ + i] == 0.0f) {
      std::copy_n(hp, u, hr);
      if (p_.cell == CellKind::lstm) {
        std::copy_n(b.c.f32() + (s * n_ + i) * u, u, b.c.f32() + ((s + 1) * n_ + i) * u);
      }
    }
  }
}

// Given dh (and dc for LSTM) for step s's outputs, writes the step's pre-activation gradients and
// leaves dh_prev (and dc) holding the gradients for step s - 1's outputs.
void RecurrentOp::step_backward(int64_t s, float* dh, float* dc) {
  if (gru_before_) {
    step_backward_gru_before(s, dh);
    return;
  }
  Buffers& b = *b_;
  const int64_t gu = g_ * u_;
  const float* h_prev = b.h.f32() + s * n_ * u_;
  const float* h = b.h.f32() + (s + 1) * n_ * u_;
  float* dxg = b.dxg.f32() + s * n_ * gu;
  float* drg = p_.cell == CellKind::gru ? b.drg.f32() + s * n_ * gu : dxg;
  float* dh_prev = b.dh_prev.f32();
  const auto& act = p_.activation;
  const auto& ract = p_.recurrent_activation;
  const int64_t u = u_;
  float* __restrict d0 = b.deriv.f32();
  float* __restrict d1 = d0 + u;
  float* __restrict d2 = d0 + 2 * u;
  float* __restrict d3 = d0 + 3 * u;
  float* __restrict d4 = d0 + 4 * u;
  for (int64_t i = 0; i < n_; ++i) {
    const float* __restrict dhr = dh + i * u;
    float* __restrict dx = dxg + i * gu;
    float* __restrict dhp = dh_prev + i * u;
    if (step_mask_ && b.steps.f32()[s * n_ + i] == 0.0f) {
      // A padding step passed its states through: so do their gradients (dc stays as it is).
      std::fill_n(dx, gu, 0.0f);
      if (p_.cell == CellKind::gru) std::fill_n(drg + i * gu, gu, 0.0f);
      std::copy_n(dhr, u, dhp);
      continue;
    }
    const float* __restrict pre = keep_pre_ ? b.pre.f32() + (s * n_ + i) * gu : nullptr;
    if (p_.cell == CellKind::simple_rnn) {
      derivative(act, h + i * u, pre, d0, u);
#pragma omp simd
      for (int64_t j = 0; j < u; ++j) dx[j] = dhr[j] * d0[j];
      std::fill_n(dhp, u, 0.0f);
    } else if (p_.cell == CellKind::lstm) {
      const float* __restrict gr = b.gates.f32() + (s * n_ + i) * gu;
      const float* __restrict cp = b.c.f32() + (s * n_ + i) * u;
      const float* __restrict tc = b.tc.f32() + (s * n_ + i) * u;
      float* __restrict dcr = dc + i * u;
      const float* __restrict cr = b.c.f32() + ((s + 1) * n_ + i) * u;  // tc's input
      derivative(ract, gr, pre, d0, 2 * u);                             // i, f -> d0, d1
      derivative(act, gr + 2 * u, pre ? pre + 2 * u : nullptr, d2, u);
      derivative(ract, gr + 3 * u, pre ? pre + 3 * u : nullptr, d3, u);
      derivative(act, tc, cr, d4, u);
#pragma omp simd
      for (int64_t j = 0; j < u; ++j) {
        const float dcell = dcr[j] + dhr[j] * gr[3 * u + j] * d4[j];
        dx[j] = dcell * gr[2 * u + j] * d0[j];
        dx[u + j] = dcell * cp[j] * d1[j];
        dx[2 * u + j] = dcell * gr[j] * d2[j];
        dx[3 * u + j] = dhr[j] * tc[j] * d3[j];
        dcr[j] = dcell * gr[u + j];  // for step s - 1
      }
      std::fill_n(dhp, u, 0.0f);
    } else {
      const float* __restrict gr = b.gates.f32() + (s * n_ + i) * gu;
      const float* __restrict rh = b.rec_h.f32() + (s * n_ + i) * u;
      const float* __restrict hp = h_prev + i * u;
      float* __restrict dr = drg + i * gu;
      derivative(ract, gr, pre, d0, 2 * u);  // z, r -> d0, d1
      derivative(act, gr + 2 * u, pre ? pre + 2 * u : nullptr, d2, u);
#pragma omp simd
      for (int64_t j = 0; j < u; ++j) {
        const float z = gr[j], r = gr[u + j], hh = gr[2 * u + j];
        const float dz = dhr[j] * (hp[j] - hh) * d0[j];
        const float dhh = dhr[j] * (1.0f - z) * d2[j];
        const float drr = dhh * rh[j] * d1[j];
        dx[j] = dz;
        dx[u + j] = drr;
        dx[2 * u + j] = dhh;
        dr[j] = dz;
        dr[u + j] = drr;
        dr[2 * u + j] = dhh * r;
        dhp[j] = dhr[j] * z;
      }
    }
  }
  // dh_prev += (d(recurrent pre-activations) . R^T), through the recurrent dropout mask if any.
  if (!recurrent_mask_) {
    back_step_mm_->run({.m = n_, .n = u_, .k = gu, .trans_b = true, .accumulate = true}, drg,
                       recurrent_->value.f32(), nullptr, dh_prev);
    return;
  }
  float* __restrict part = b.dh_rec.f32();
  back_step_mm_->run({.m = n_, .n = u_, .k = gu, .trans_b = true}, drg, recurrent_->value.f32(), nullptr,
                     part);
  const float* __restrict m = b.rec_mask.f32();
#pragma omp simd
  for (int64_t k = 0; k < n_ * u; ++k) dh_prev[k] += part[k] * m[k];
}

void RecurrentOp::backward(Tape& tape) {
  const bool g_out = tape.has_grad(out), g_h = tape.has_grad(state_h), g_c = tape.has_grad(state_c);
  if (!g_out && !g_h && !g_c) return;
  Buffers& b = *b_;
  const int64_t gu = g_ * u_;
  b.dxg.resize(Shape{t_, n_, gu});
  if (p_.cell == CellKind::gru) b.drg.resize(Shape{t_, n_, gru_before_ ? 2 * u_ : gu});
  if (gru_before_) {
    b.dcand.resize(Shape{t_, n_, u_});
    b.drh.resize(Shape{n_, u_});
    b.dh_rec.resize(Shape{n_, u_});
  }
  b.dh.resize(Shape{n_, u_});
  b.dh_prev.resize(Shape{n_, u_});
  b.deriv.resize(Shape{5, u_});
  if (recurrent_mask_) b.dh_rec.resize(Shape{n_, u_});
  b.dh.fill(0.0f);
  if (p_.cell == CellKind::lstm) {
    b.dc.resize(Shape{n_, u_});
    if (g_c) {
      b.dc.copy_from(state_c.grad);
    } else {
      b.dc.fill(0.0f);
    }
  }
  if (g_h) b.dh.copy_from(state_h.grad);
  const float* go = g_out ? out.grad.f32() : nullptr;
  const int64_t u = u_;
  for (int64_t s = t_ - 1; s >= 0; --s) {
    float* __restrict dh = b.dh.f32();
    if (go && p_.return_sequences) {
      for (int64_t i = 0; i < n_; ++i) {
        const float* __restrict gi = go + (i * t_ + s) * u;
#pragma omp simd
        for (int64_t j = 0; j < u; ++j) dh[i * u + j] += gi[j];
      }
    } else if (go && s == t_ - 1) {
#pragma omp simd
      for (int64_t k = 0; k < n_ * u; ++k) dh[k] += go[k];
    }
    step_backward(s, dh, p_.cell == CellKind::lstm ? b.dc.f32() : nullptr);
    std::swap(b.dh, b.dh_prev);
  }
  // b.dh (and b.dc) now hold the gradients of the initial states.
  if (h0_ && h0_->requires_grad) tape.write_grad(*h0_, b.scratch, [&](Tensor& g) { g.copy_from(b.dh); });
  if (c0_ && c0_->requires_grad) tape.write_grad(*c0_, b.scratch, [&](Tensor& g) { g.copy_from(b.dc); });
  const Tensor& drg = p_.cell == CellKind::gru ? b.drg : b.dxg;
  if (kernel_->requires_grad) {
    tape.write_grad(*kernel_, b.scratch, [&](Tensor& dw) {
      dw_mm_->run({.m = f_, .n = gu, .k = t_ * n_, .trans_a = true}, b.xt.f32(), b.dxg.f32(), nullptr,
                  dw.f32());
    });
  }
  if (recurrent_->requires_grad) {
    // h[0 .. T) are the h_prev of every step, time-major like drg.
    tape.write_grad(*recurrent_, b.scratch, [&](Tensor& dr) {
      if (gru_before_) {
        recurrent_gradient_gru_before(dr.f32());
        return;
      }
      dr_mm_->run({.m = u_, .n = gu, .k = t_ * n_, .trans_a = true}, recurrent_mask_ ? b.hd.f32() : b.h.f32(),
                  drg.f32(), nullptr, dr.f32());
    });
  }
  if (bias_ && bias_->requires_grad) {
    tape.write_grad(*bias_, b.scratch, [&](Tensor& db) {
      // Column sums of the pre-activation gradients: row 0 from the input side, for GRU row 1 from the
      // recurrent side.
      const auto column_sums = [&](const float* __restrict g, float* __restrict sums) {
        std::fill_n(sums, gu, 0.0f);
        for (int64_t r = 0; r < t_ * n_; ++r) {
          const float* __restrict row = g + r * gu;
#pragma omp simd
          for (int64_t k = 0; k < gu; ++k) sums[k] += row[k];
        }
      };
      column_sums(b.dxg.f32(), db.f32());
      if (p_.cell == CellKind::gru && !gru_before_) column_sums(drg.f32(), db.f32() + gu);
    });
  }
  if (x_->requires_grad) {
    b.dxt.resize(Shape{t_, n_, f_});
    dx_mm_->run({.m = t_ * n_, .n = f_, .k = gu, .trans_b = true}, b.dxg.f32(), kernel_->value.f32(), nullptr,
                b.dxt.f32());
    tape.write_grad(*x_, b.scratch, [&](Tensor& dx) {
      for (int64_t s = 0; s < t_; ++s) {
        const int64_t dst_t = p_.go_backwards ? t_ - 1 - s : s;
        for (int64_t i = 0; i < n_; ++i) {
          float* __restrict dst = dx.f32() + (i * t_ + dst_t) * f_;
          std::memcpy(dst, b.dxt.f32() + (s * n_ + i) * f_, f_ * 4);
          if (input_mask_) {
            const float* __restrict m = b.in_mask.f32() + i * f_;
            for (int64_t k = 0; k < f_; ++k) dst[k] *= m[k];
          }
        }
      }
    });
  }
}

}  // namespace soma::autograd
