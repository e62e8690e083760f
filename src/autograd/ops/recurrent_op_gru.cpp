// RecurrentOp's GRU with reset_after = false (the default before TF 2.0, tfjs' only GRU; Keras GRUCell):
//   z = ract(x W_z + b_z + h' U_z)          r = ract(x W_r + b_r + h' U_r)
//   hh = act(x W_h + b_h + (r * h') U_h)    h = z * h_prev + (1 - z) * hh
// with h' = h_prev through the recurrent dropout mask, bias (3U,). The reset gate acts before the
// candidate's recurrent product, so each step needs two products: h' [U_z U_r], then (r * h') U_h.
#include <algorithm>
#include <cstring>

#include "autograd/ops/recurrent_activations.hpp"
#include "autograd/ops/recurrent_buffers.hpp"
#include "kernels/matmul.hpp"

namespace soma::autograd {

using detail::activate;
using detail::derivative;

void RecurrentOp::step_forward_gru_before(int64_t s, const float* h_used) {
  Buffers& b = *b_;
  const int64_t u = u_, gu = 3 * u_;
  const float* h_prev = b.h.f32() + s * n_ * u;
  float* h = b.h.f32() + (s + 1) * n_ * u;
  const float* xw = b.xw.f32() + s * n_ * gu;
  float* rec = b.rec.f32();  // (N, 2U) here
  float* rhd = b.rhd.f32() + s * n_ * u;
  step_mm_->run({.m = n_, .n = 2 * u, .k = u}, h_used, b.r_zr.f32(), nullptr, rec);
  for (int64_t i = 0; i < n_; ++i) {
    const float* __restrict xr = xw + i * gu;
    const float* __restrict rr = rec + i * 2 * u;
    const float* __restrict hu = h_used + i * u;
    float* __restrict gr = b.gates.f32() + (s * n_ + i) * gu;
    float* __restrict rh = rhd + i * u;
#pragma omp simd
    for (int64_t k = 0; k < 2 * u; ++k) gr[k] = xr[k] + rr[k];
    if (keep_pre_) std::copy_n(gr, 2 * u, b.pre.f32() + (s * n_ + i) * gu);
    activate(p_.recurrent_activation, gr, 2 * u);  // z, r
#pragma omp simd
    for (int64_t j = 0; j < u; ++j) rh[j] = gr[u + j] * hu[j];
  }
  step_mm_->run({.m = n_, .n = u, .k = u}, rhd, b.r_hh.f32(), nullptr, b.cand.f32());
  for (int64_t i = 0; i < n_; ++i) {
    const float* __restrict xr = xw + i * gu;
    const float* __restrict cr = b.cand.f32() + i * u;
    const float* __restrict hp = h_prev + i * u;
    float* __restrict gr = b.gates.f32() + (s * n_ + i) * gu;
    float* __restrict hr = h + i * u;
#pragma omp simd
    for (int64_t j = 0; j < u; ++j) gr[2 * u + j] = xr[2 * u + j] + cr[j];
    if (keep_pre_) std::copy_n(gr + 2 * u, u, b.pre.f32() + (s * n_ + i) * gu + 2 * u);
    activate(p_.activation, gr + 2 * u, u);
#pragma omp simd
    for (int64_t j = 0; j < u; ++j) hr[j] = gr[j] * hp[j] + (1.0f - gr[j]) * gr[2 * u + j];
    if (step_mask_ && b.steps.f32()[s * n_ + i] == 0.0f) std::copy_n(hp, u, hr);  // padding keeps h
  }
}

// Given dh for step s's output, writes the step's pre-activation gradients (dxg: z, r, h; drg: z, r;
// dcand: h) and leaves dh_prev holding the gradient for step s - 1's output.
void RecurrentOp::step_backward_gru_before(int64_t s, float* dh) {
  Buffers& b = *b_;
  const int64_t u = u_, gu = 3 * u_;
  const float* h_prev = b.h.f32() + s * n_ * u;
  const float* h_used = recurrent_mask_ ? b.hd.f32() + s * n_ * u : h_prev;
  float* dxg = b.dxg.f32() + s * n_ * gu;
  float* dzr = b.drg.f32() + s * n_ * 2 * u;
  float* dcand = b.dcand.f32() + s * n_ * u;
  float* dh_prev = b.dh_prev.f32();
  float* dhd = b.dh_rec.f32();  // d(h') before the recurrent dropout mask
  float* __restrict d0 = b.deriv.f32();
  float* __restrict d1 = d0 + u;
  float* __restrict d2 = d0 + 2 * u;
  const auto padding = [&](int64_t i) { return step_mask_ && b.steps.f32()[s * n_ + i] == 0.0f; };
  // z and the candidate first: d(r * h') needs the candidate's gradient through U_h.
  for (int64_t i = 0; i < n_; ++i) {
    const float* __restrict dhr = dh + i * u;
    float* __restrict dx = dxg + i * gu;
    float* __restrict dp = dzr + i * 2 * u;
    float* __restrict dc = dcand + i * u;
    float* __restrict dhp = dh_prev + i * u;
    if (padding(i)) {  // the state passed through: so does its gradient
      std::fill_n(dx, gu, 0.0f);
      std::fill_n(dp, 2 * u, 0.0f);
      std::fill_n(dc, u, 0.0f);
      std::copy_n(dhr, u, dhp);
      continue;
    }
    const float* __restrict gr = b.gates.f32() + (s * n_ + i) * gu;
    const float* __restrict pre = keep_pre_ ? b.pre.f32() + (s * n_ + i) * gu : nullptr;
    const float* __restrict hp = h_prev + i * u;
    derivative(p_.recurrent_activation, gr, pre, d0, u);  // z
    derivative(p_.activation, gr + 2 * u, pre ? pre + 2 * u : nullptr, d2, u);
#pragma omp simd
    for (int64_t j = 0; j < u; ++j) {
      const float dz = dhr[j] * (hp[j] - gr[2 * u + j]) * d0[j];
      const float dhh = dhr[j] * (1.0f - gr[j]) * d2[j];
      dx[j] = dp[j] = dz;
      dx[2 * u + j] = dc[j] = dhh;
      dhp[j] = dhr[j] * gr[j];
    }
  }
  // d(r * h') = dcand . U_h^T
  back_step_mm_->run({.m = n_, .n = u, .k = u, .trans_b = true}, dcand, b.r_hh.f32(), nullptr, b.drh.f32());
  for (int64_t i = 0; i < n_; ++i) {
    float* __restrict dd = dhd + i * u;
    if (padding(i)) {
      std::fill_n(dd, u, 0.0f);
      continue;
    }
    const float* __restrict gr = b.gates.f32() + (s * n_ + i) * gu;
    const float* __restrict pre = keep_pre_ ? b.pre.f32() + (s * n_ + i) * gu : nullptr;
    const float* __restrict drh = b.drh.f32() + i * u;
    const float* __restrict hu = h_used + i * u;
    float* __restrict dx = dxg + i * gu;
    float* __restrict dp = dzr + i * 2 * u;
    derivative(p_.recurrent_activation, gr + u, pre ? pre + u : nullptr, d1, u);  // r
#pragma omp simd
    for (int64_t j = 0; j < u; ++j) {
      dx[u + j] = dp[u + j] = drh[j] * hu[j] * d1[j];
      dd[j] = drh[j] * gr[u + j];
    }
  }
  // d(h') += [dz dr] . [U_z U_r]^T, then into dh_prev through the mask.
  back_step_mm_->run({.m = n_, .n = u, .k = 2 * u, .trans_b = true, .accumulate = true}, dzr, b.r_zr.f32(),
                     nullptr, dhd);
  const int64_t nu = n_ * u;
  if (recurrent_mask_) {
    const float* __restrict m = b.rec_mask.f32();
#pragma omp simd
    for (int64_t k = 0; k < nu; ++k) dh_prev[k] += dhd[k] * m[k];
  } else {
#pragma omp simd
    for (int64_t k = 0; k < nu; ++k) dh_prev[k] += dhd[k];
  }
}

// dR = [h'^T [dz dr] | (r * h')^T dcand] summed over all steps, into dr (U, 3U).
void RecurrentOp::recurrent_gradient_gru_before(float* dr) {
  Buffers& b = *b_;
  const int64_t u = u_, rows = t_ * n_;
  b.dr_zr.resize(Shape{u, 2 * u});
  b.dr_hh.resize(Shape{u, u});
  dr_mm_->run({.m = u, .n = 2 * u, .k = rows, .trans_a = true}, recurrent_mask_ ? b.hd.f32() : b.h.f32(),
              b.drg.f32(), nullptr, b.dr_zr.f32());
  dr_mm_->run({.m = u, .n = u, .k = rows, .trans_a = true}, b.rhd.f32(), b.dcand.f32(), nullptr,
              b.dr_hh.f32());
  for (int64_t r = 0; r < u; ++r) {
    std::memcpy(dr + r * 3 * u, b.dr_zr.f32() + r * 2 * u, 2 * u * 4);
    std::memcpy(dr + r * 3 * u + 2 * u, b.dr_hh.f32() + r * u, u * 4);
  }
}

}  // namespace soma::autograd
