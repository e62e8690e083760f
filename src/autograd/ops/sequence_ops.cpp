#include "soma/autograd/ops/sequence_ops.hpp"

#include <cstring>

namespace soma::autograd {

namespace {
// Copies (N, T, rest) from src to dst with time reversed.
void reverse_time(const float* src, float* dst, int64_t n, int64_t t, int64_t rest) {
  for (int64_t i = 0; i < n; ++i)
    for (int64_t s = 0; s < t; ++s)
      std::memcpy(dst + (i * t + s) * rest, src + (i * t + (t - 1 - s)) * rest,
                  static_cast<size_t>(rest) * 4);
}
}  // namespace

Variable& ReverseTimeOp::forward(Tape* tape, Variable& x) {
  const Shape& s = x.value.shape();
  if (s.rank() < 2)
    throw ShapeError("ReverseTimeOp: expected (batch, steps, ...), received shape " + s.str() + ".");
  out.value.resize(s);
  reverse_time(x.value.f32(), out.value.f32(), s[0], s[1], s.numel() / (s[0] * s[1]));
  if (x.mask.defined()) {
    out.mask.resize(x.mask.shape());
    reverse_time(x.mask.f32(), out.mask.f32(), s[0], s[1], 1);
  } else {
    out.mask = Tensor();
  }
  x_ = &x;
  finish_forward(tape, out, x.requires_grad);
  return out;
}

void ReverseTimeOp::backward(Tape& tape) {
  if (!tape.has_grad(out) || !x_->requires_grad) return;
  const Shape& s = out.value.shape();
  tape.write_grad(*x_, scratch_, [&](Tensor& dx) {
    reverse_time(out.grad.f32(), dx.f32(), s[0], s[1], s.numel() / (s[0] * s[1]));
  });
}

Variable& MergeOp::forward(Tape* tape, Variable& a, Variable& b, MergeMode mode) {
  const Shape& s = a.value.shape();
  if (b.value.shape() != s) {
    throw ShapeError("MergeOp: branches of shapes " + s.str() + " and " + b.value.shape().str() +
                     " cannot merge.");
  }
  a_ = &a;
  b_ = &b;
  mode_ = mode;
  out.mask = a.mask;
  const int64_t n = s.numel();
  const float* x = a.value.f32();
  const float* y = b.value.f32();
  if (mode == MergeMode::concat) {
    const int64_t w = s[-1], rows = n / w;
    out.value.resize(s.with_dim(-1, 2 * w));
    float* o = out.value.f32();
    for (int64_t r = 0; r < rows; ++r) {
      std::memcpy(o + r * 2 * w, x + r * w, static_cast<size_t>(w) * 4);
      std::memcpy(o + r * 2 * w + w, y + r * w, static_cast<size_t>(w) * 4);
    }
  } else {
    out.value.resize(s);
    float* o = out.value.f32();
    for (int64_t i = 0; i < n; ++i) {
      o[i] = mode == MergeMode::sum   ? x[i] + y[i]
             : mode == MergeMode::mul ? x[i] * y[i]
                                      : 0.5f * (x[i] + y[i]);
    }
  }
  finish_forward(tape, out, a.requires_grad || b.requires_grad);
  return out;
}

void MergeOp::backward(Tape& tape) {
  if (!tape.has_grad(out)) return;
  const Shape& s = a_->value.shape();
  const int64_t n = s.numel();
  const float* g = out.grad.f32();
  for (int side = 0; side < 2; ++side) {
    Variable& v = side == 0 ? *a_ : *b_;
    if (!v.requires_grad) continue;
    const float* other = (side == 0 ? *b_ : *a_).value.f32();
    tape.write_grad(v, scratch_, [&](Tensor& d) {
      float* dv = d.f32();
      if (mode_ == MergeMode::concat) {
        const int64_t w = s[-1], rows = n / w;
        for (int64_t r = 0; r < rows; ++r)
          std::memcpy(dv + r * w, g + r * 2 * w + side * w, static_cast<size_t>(w) * 4);
      } else {
        for (int64_t i = 0; i < n; ++i) {
          dv[i] = mode_ == MergeMode::sum ? g[i] : mode_ == MergeMode::mul ? g[i] * other[i] : 0.5f * g[i];
        }
      }
    });
  }
}

}  // namespace soma::autograd
