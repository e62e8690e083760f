#include "soma/autograd/ops/additive_score_op.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "kernels/dnnl_context.hpp"
#include "kernels/fast_math.hpp"
#include "kernels/loops.hpp"
#include "kernels/parallel.hpp"

namespace soma::autograd {

namespace {
float scalar(const Variable* v) { return v ? v->value.f32()[0] : 1.0f; }
}  // namespace

Variable& AdditiveScoreOp::forward(Tape* tape, Variable& q, Variable& k, const AdditiveScoreWeights& w) {
  const Shape &qs = q.value.shape(), &ks = k.value.shape();
  if (qs.rank() != 3 || ks.rank() != 3 || qs[0] != ks[0] || qs[2] != ks[2] ||
      (w.w && w.w->value.numel() != qs[2]) || (w.c && w.c->value.numel() != 1) || (w.a && w.a->value.numel() != 1)) {
    throw ShapeError("AdditiveScoreOp: expected q (batch, T, dim), k (batch, S, dim) and a weight of dim values, "
                     "received " + qs.str() + ", " + ks.str() + (w.w ? ", " + w.w->value.shape().str() : "") + ".");
  }
  q_ = &q, k_ = &k, weights_ = w;
  batch_ = qs[0], t_ = qs[1], s_ = ks[1], dim_ = qs[2];
  out.value.resize(Shape{batch_, t_, s_});
  const float c = scalar(w.c), a = scalar(w.a);
  const float* wv = w.w ? w.w->value.f32() : nullptr;
  const float *qv = q.value.f32(), *kv = k.value.f32();
  float* y = out.value.f32();
  const int64_t rows = batch_ * t_, s = s_, dim = dim_, t = t_;
#pragma omp parallel for schedule(static) if (rows * s * dim >= kernels::kSerialElements)
  for (int64_t r = 0; r < rows; ++r) {
    const float* qi = qv + r * dim;
    const float* kb = kv + (r / t) * s * dim;
    for (int64_t j = 0; j < s; ++j) {
      const float* kj = kb + j * dim;
      float sum = 0.0f;
      if (wv) {
#pragma omp simd reduction(+ : sum)
        for (int64_t d = 0; d < dim; ++d) sum += wv[d] * kernels::fast_tanh(a * (qi[d] + kj[d]));
      } else {
#pragma omp simd reduction(+ : sum)
        for (int64_t d = 0; d < dim; ++d) sum += kernels::fast_tanh(a * (qi[d] + kj[d]));
      }
      y[r * s + j] = c * sum;
    }
  }
  const bool needs = q.requires_grad || k.requires_grad || (w.w && w.w->requires_grad) ||
                     (w.c && w.c->requires_grad) || (w.a && w.a->requires_grad);
  finish_forward(tape, out, needs);
  return out;
}

void AdditiveScoreOp::backward(Tape& tape) {
  if (!tape.has_grad(out)) return;
  const int64_t batch = batch_, t = t_, s = s_, dim = dim_;
  const float c = scalar(weights_.c), a = scalar(weights_.a);
  const float* wv = weights_.w ? weights_.w->value.f32() : nullptr;
  const float *qv = q_->value.f32(), *kv = k_->value.f32(), *g = out.grad.f32();
  dq_.resize(q_->value.shape());
  dk_.resize(k_->value.shape());
  // Per sample: dw (dim values), then dc and da. Summed over the batch in order afterwards, so every
  // thread count gives the same bits.
  const int64_t per = dim + 2;
  dweights_.resize(Shape{batch, per});
  float *dq = dq_.f32(), *dk = dk_.f32(), *dwb = dweights_.f32();
#pragma omp parallel for schedule(static) if (batch * t * s * dim >= kernels::kSerialElements)
  for (int64_t b = 0; b < batch; ++b) {
    float* dqb = dq + b * t * dim;
    float* dkb = dk + b * s * dim;
    float* dw = dwb + b * per;
    float dc = 0.0f, da = 0.0f;
    std::fill(dqb, dqb + t * dim, 0.0f);
    std::fill(dkb, dkb + s * dim, 0.0f);
    std::fill(dw, dw + per, 0.0f);
    for (int64_t i = 0; i < t; ++i) {
      const float* qi = qv + (b * t + i) * dim;
      float* dqi = dqb + i * dim;
      for (int64_t j = 0; j < s; ++j) {
        const float gij = g[(b * t + i) * s + j];
        if (gij == 0.0f) continue;
        const float* kj = kv + (b * s + j) * dim;
        float* dkj = dkb + j * dim;
        const float gc = gij * c;
        float wt = 0.0f, wsx = 0.0f;
#pragma omp simd reduction(+ : wt, wsx)
        for (int64_t d = 0; d < dim; ++d) {
          const float x = qi[d] + kj[d];
          const float th = kernels::fast_tanh(a * x);
          const float wd = wv ? wv[d] : 1.0f;
          const float sech2 = 1.0f - th * th;
          const float dx = gc * wd * sech2 * a;
          dqi[d] += dx;
          dkj[d] += dx;
          dw[d] += gc * th;
          wt += wd * th;
          wsx += wd * sech2 * x;
        }
        dc += gij * wt;
        da += gc * wsx;
      }
    }
    dw[dim] = dc;
    dw[dim + 1] = da;
  }
  auto write = [&](Variable* v, const float* src, int64_t n) {
    if (!v || !v->requires_grad) return;
    bool acc = false;
    Tensor& target = tape.grad_target(*v, acc);
    kernels::copy_or_add(src, target.f32(), n, acc);
  };
  write(q_, dq, q_->value.numel());
  write(k_, dk, k_->value.numel());
  std::vector<float> total(static_cast<size_t>(per), 0.0f);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t i = 0; i < per; ++i) total[static_cast<size_t>(i)] += dwb[b * per + i];
  write(weights_.w, total.data(), dim);
  write(weights_.c, total.data() + dim, 1);
  write(weights_.a, total.data() + dim + 1, 1);
}

}  // namespace soma::autograd
