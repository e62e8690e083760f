#include "soma/autograd/ops/attention_op.hpp"

#include <algorithm>

#include "kernels/attention_softmax.hpp"
#include "kernels/batched_matmul.hpp"
#include "kernels/loops.hpp"
#include "soma/core/random.hpp"

namespace soma::autograd {

AttentionOp::AttentionOp()
    : qk_(std::make_unique<kernels::BatchedMatmul>()),
      pv_(std::make_unique<kernels::BatchedMatmul>()),
      dp_mm_(std::make_unique<kernels::BatchedMatmul>()),
      dv_mm_(std::make_unique<kernels::BatchedMatmul>()),
      dq_mm_(std::make_unique<kernels::BatchedMatmul>()),
      dk_mm_(std::make_unique<kernels::BatchedMatmul>()) {}
AttentionOp::~AttentionOp() = default;
AttentionOp::AttentionOp(AttentionOp&&) noexcept = default;
AttentionOp& AttentionOp::operator=(AttentionOp&&) noexcept = default;

namespace {
using Strides = std::array<int64_t, 4>;
// Head h of sample b of a (batch, steps, heads * dim) tensor, as a steps x dim matrix ...
Strides heads_of(int64_t steps, int64_t heads, int64_t dim) {
  return {steps * heads * dim, dim, heads * dim, 1};
}
// ... and as its transpose, dim x steps.
Strides heads_of_transposed(int64_t steps, int64_t heads, int64_t dim) {
  return {steps * heads * dim, dim, 1, heads * dim};
}
// (batch, heads, rows, cols) contiguous, and transposed.
Strides dense(int64_t heads, int64_t rows, int64_t cols) {
  return {heads * rows * cols, rows * cols, cols, 1};
}
Strides dense_transposed(int64_t heads, int64_t rows, int64_t cols) {
  return {heads * rows * cols, rows * cols, 1, cols};
}

void expect_mask(const Tensor* m, std::initializer_list<int64_t> dims, const char* what, bool flat = false) {
  if (!m) return;
  const Shape want{std::vector<int64_t>(dims)};
  if (flat ? m->numel() != want.numel() : m->shape() != want) {
    throw ShapeError(std::string("MultiHeadAttention: ") + what + " must have shape " + want.str() +
                     (flat ? " (or as many values)" : "") + ", received " + m->shape().str() + ".");
  }
}
}  // namespace

bool AttentionOp::combine(const AttentionMasks& m, int64_t batch, int64_t t, int64_t s) {
  expect_mask(m.attention, {batch, t, s}, "attention_mask", true);
  expect_mask(m.query, {batch, t}, "the query's mask");
  expect_mask(m.value, {batch, s}, "the value's mask");
  expect_mask(m.key, {batch, s}, "the key's mask");
  expect_mask(m.output, {batch, t}, "the query's mask");
  rows_.clear();
  if (m.output) {
    rows_.resize(static_cast<size_t>(batch * t));
    for (int64_t i = 0; i < batch * t; ++i) rows_[static_cast<size_t>(i)] = m.output->f32()[i] != 0.0f ? 1 : 0;
  }
  if (!m.attention && !m.query && !m.value && !m.key && !m.causal) return false;
  mask_.resize(static_cast<size_t>(batch * t * s));
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t i = 0; i < t; ++i) {
      const bool qi = !m.query || m.query->f32()[b * t + i] != 0.0f;
      uint8_t* row = mask_.data() + (b * t + i) * s;
      const float* a = m.attention ? m.attention->f32() + (b * t + i) * s : nullptr;
      const float* vm = m.value ? m.value->f32() + b * s : nullptr;
      const float* km = m.key ? m.key->f32() + b * s : nullptr;
      for (int64_t j = 0; j < s; ++j) {
        const bool keep = qi && (!a || a[j] != 0.0f) && (!vm || vm[j] != 0.0f) && (!km || km[j] != 0.0f) &&
                          (!m.causal || j <= i);
        row[j] = keep ? 1 : 0;
      }
    }
  return true;
}

float AttentionOp::alpha() const {
  return p_.learned_scale ? p_.scale * p_.learned_scale->value.f32()[0] : p_.scale;
}

Variable& AttentionOp::forward(Tape* tape, Variable& q, Variable& k, Variable& v, const AttentionMasks& masks,
                               const AttentionParams& p) {
  const int64_t h = p.heads, dk = p.key_dim, dv = p.value_dim;
  const int64_t batch = q.value.numel() / std::max<int64_t>(1, p.queries * h * dk);
  if (q.value.numel() != batch * p.queries * h * dk || k.value.numel() != batch * p.keys * h * dk ||
      v.value.numel() != batch * p.keys * h * dv || q.value.shape()[-1] != h * dk) {
    throw ShapeError("AttentionOp: expected q (batch, " + std::to_string(p.queries) + ", " + std::to_string(h * dk) +
                     "), k (batch, " + std::to_string(p.keys) + ", " + std::to_string(h * dk) + "), v (batch, " +
                     std::to_string(p.keys) + ", " + std::to_string(h * dv) + "), received " +
                     q.value.shape().str() + ", " + k.value.shape().str() + ", " + v.value.shape().str() + ".");
  }
  if (p.learned_scale && p.learned_scale->value.numel() != 1)
    throw ShapeError("AttentionOp: the learned scale must hold one value, received " +
                     p.learned_scale->value.shape().str() + ".");
  q_ = &q, k_ = &k, v_ = &v, logits_ = nullptr, p_ = p;
  batch_ = batch, t_ = p.queries, s_ = p.keys;
  masked_ = combine(masks, batch_, t_, s_);
  if (p.scores_shape.rank() > 0 && p.scores_shape.numel() != batch_ * h * t_ * s_)
    throw ShapeError("AttentionOp: scores_shape " + p.scores_shape.str() + " does not hold the scores.");
  scores.value.resize(p.scores_shape.rank() == 0 ? Shape{batch_, h, t_, s_} : p.scores_shape);
  qk_->run({.batch = batch_, .heads = h, .m = t_, .n = s_, .k = dk, .a = heads_of(t_, h, dk),
            .b = heads_of_transposed(s_, h, dk), .c = dense(h, t_, s_), .alpha = alpha()},
           q.value.f32(), k.value.f32(), scores.value.f32());
  const bool needs = q.requires_grad || k.requires_grad || v.requires_grad ||
                     (p.learned_scale && p.learned_scale->requires_grad);
  return attend(tape, v, q.value.shape().with_dim(-1, h * dv), needs);
}

Variable& AttentionOp::forward_logits(Tape* tape, Variable& logits, Variable& v, const AttentionMasks& masks,
                                      const AttentionParams& p) {
  const int64_t h = p.heads, dv = p.value_dim;
  const int64_t batch = v.value.numel() / std::max<int64_t>(1, p.keys * h * dv);
  if (v.value.numel() != batch * p.keys * h * dv || logits.value.numel() != batch * h * p.queries * p.keys) {
    throw ShapeError("AttentionOp: expected logits (batch, " + std::to_string(h) + ", " + std::to_string(p.queries) +
                     ", " + std::to_string(p.keys) + ") and v (batch, " + std::to_string(p.keys) + ", " +
                     std::to_string(h * dv) + "), received " + logits.value.shape().str() + ", " +
                     v.value.shape().str() + ".");
  }
  q_ = k_ = nullptr, v_ = &v, logits_ = &logits, p_ = p;
  p_.learned_scale = nullptr;
  batch_ = batch, t_ = p.queries, s_ = p.keys;
  masked_ = combine(masks, batch_, t_, s_);
  scores.value.resize(p.scores_shape.rank() == 0 ? Shape{batch_, h, t_, s_} : p.scores_shape);
  if (scores.value.numel() != logits.value.numel())
    throw ShapeError("AttentionOp: scores_shape " + p.scores_shape.str() + " does not hold the scores.");
  kernels::copy_or_add(logits.value.f32(), scores.value.f32(), logits.value.numel(), false);
  return attend(tape, v, Shape{batch_, t_, h * dv}, logits.requires_grad || v.requires_grad);
}

Variable& AttentionOp::attend(Tape* tape, Variable& v, const Shape& out_shape, bool needs) {
  const int64_t h = p_.heads, dv = p_.value_dim;
  const kernels::AttentionDims d{.batch = batch_, .heads = h, .queries = t_, .keys = s_};
  kernels::masked_softmax_forward(d, scores.value.f32(), masked_ ? mask_.data() : nullptr);

  dropped_ = p_.training && p_.dropout > 0.0f;
  const float* probs = scores.value.f32();
  if (dropped_) {
    const int64_t n = d.numel();
    keep_.resize(scores.value.shape());
    dropped_scores_.resize(scores.value.shape());
    float* km = keep_.f32();
    auto& eng = p_.generator ? *p_.generator : random::engine();
    const auto threshold = static_cast<uint32_t>(static_cast<double>(p_.dropout) * 16777216.0);
    const float scale = 1.0f / (1.0f - p_.dropout);
    for (int64_t i = 0; i < n; ++i) km[i] = (static_cast<uint32_t>(eng()) >> 8) < threshold ? 0.0f : scale;
    kernels::multiply(probs, km, dropped_scores_.f32(), n, false);
    probs = dropped_scores_.f32();
  }
  out.value.resize(out_shape);
  pv_->run({.batch = batch_, .heads = h, .m = t_, .n = dv, .k = s_, .a = dense(h, t_, s_),
            .b = heads_of(s_, h, dv), .c = heads_of(t_, h, dv)},
           probs, v.value.f32(), out.value.f32());
  if (!rows_.empty()) {
    float* y = out.value.f32();
    for (int64_t r = 0; r < batch_ * t_; ++r)
      if (!rows_[static_cast<size_t>(r)]) std::fill(y + r * h * dv, y + (r + 1) * h * dv, 0.0f);
  }
  finish_forward(tape, out, needs);
  scores.requires_grad = needs;
  scores.producer = this;
  return out;
}

void AttentionOp::backward(Tape& tape) {
  const bool from_out = tape.has_grad(out), from_scores = tape.has_grad(scores);
  if (!from_out && !from_scores) return;
  const int64_t h = p_.heads, dk = p_.key_dim, dv = p_.value_dim;
  const kernels::AttentionDims d{.batch = batch_, .heads = h, .queries = t_, .keys = s_};
  const int64_t n = d.numel();
  dp_.resize(scores.value.shape());
  float* dp = dp_.f32();
  if (from_out) {
    const float* probs = dropped_ ? dropped_scores_.f32() : scores.value.f32();
    const float* dout = out.grad.f32();
    if (!rows_.empty()) {  // the zeroed rows pass no gradient back
      dout_.resize(out.grad.shape());
      float* g = dout_.f32();
      const int64_t w = h * dv;
      for (int64_t r = 0; r < batch_ * t_; ++r) {
        if (rows_[static_cast<size_t>(r)]) std::copy(dout + r * w, dout + (r + 1) * w, g + r * w);
        else std::fill(g + r * w, g + (r + 1) * w, 0.0f);
      }
      dout = g;
    }
    if (v_->requires_grad) {
      bool acc = false;
      Tensor& dvt = tape.grad_target(*v_, acc);
      // dv[b, :, h] = probs[b, h]ᵀ · dout[b, :, h]
      dv_mm_->run({.batch = batch_, .heads = h, .m = s_, .n = dv, .k = t_, .a = dense_transposed(h, t_, s_),
                   .b = heads_of(t_, h, dv), .c = heads_of(s_, h, dv), .accumulate = acc},
                  probs, dout, dvt.f32());
    }
    // dprobs = dout · vᵀ, through the dropout multipliers
    dp_mm_->run({.batch = batch_, .heads = h, .m = t_, .n = s_, .k = dv, .a = heads_of(t_, h, dv),
                 .b = heads_of_transposed(s_, h, dv), .c = dense(h, t_, s_)},
                dout, v_->value.f32(), dp);
    if (dropped_) {
      const float* km = keep_.f32();
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) dp[i] *= km[i];
    }
    if (from_scores) kernels::copy_or_add(scores.grad.f32(), dp, n, true);
  } else {
    kernels::copy_or_add(scores.grad.f32(), dp, n, false);
  }
  Variable* learned = p_.learned_scale;
  const bool learns = learned && learned->requires_grad;
  if (logits_ ? !logits_->requires_grad : !q_->requires_grad && !k_->requires_grad && !learns) return;
  kernels::masked_softmax_backward(d, scores.value.f32(), dp, dp, masked_ ? mask_.data() : nullptr);
  if (logits_) {
    bool acc = false;
    Tensor& dl = tape.grad_target(*logits_, acc);
    kernels::copy_or_add(dp, dl.f32(), n, acc);
    return;
  }
  const float a = alpha();
  if (learns) {
    // d/d(learned) of alpha * q·kᵀ is scale * q·kᵀ, so its gradient is scale * sum(q ⊙ (ds · k)).
    dq_raw_.resize(q_->value.shape());
    dq_mm_->run({.batch = batch_, .heads = h, .m = t_, .n = dk, .k = s_, .a = dense(h, t_, s_),
                 .b = heads_of(s_, h, dk), .c = heads_of(t_, h, dk)},
                dp, k_->value.f32(), dq_raw_.f32());
    double sum = 0.0;
    const float *r = dq_raw_.f32(), *qv = q_->value.f32();
    for (int64_t i = 0; i < dq_raw_.numel(); ++i) sum += static_cast<double>(r[i]) * qv[i];
    const float g = static_cast<float>(sum) * p_.scale;
    bool acc = false;
    Tensor& dl = tape.grad_target(*learned, acc);
    dl.f32()[0] = acc ? dl.f32()[0] + g : g;
    if (q_->requires_grad) {
      Tensor& dq = tape.grad_target(*q_, acc);
      float* dst = dq.f32();
      for (int64_t i = 0; i < dq_raw_.numel(); ++i) dst[i] = (acc ? dst[i] : 0.0f) + a * r[i];
    }
  } else if (q_->requires_grad) {
    bool acc = false;
    Tensor& dq = tape.grad_target(*q_, acc);
    dq_mm_->run({.batch = batch_, .heads = h, .m = t_, .n = dk, .k = s_, .a = dense(h, t_, s_),
                 .b = heads_of(s_, h, dk), .c = heads_of(t_, h, dk), .alpha = a, .accumulate = acc},
                dp, k_->value.f32(), dq.f32());
  }
  if (k_->requires_grad) {
    bool acc = false;
    Tensor& dkt = tape.grad_target(*k_, acc);
    dk_mm_->run({.batch = batch_, .heads = h, .m = s_, .n = dk, .k = t_, .a = dense_transposed(h, t_, s_),
                 .b = heads_of(t_, h, dk), .c = heads_of(s_, h, dk), .alpha = a, .accumulate = acc},
                dp, q_->value.f32(), dkt.f32());
  }
}

}  // namespace soma::autograd
