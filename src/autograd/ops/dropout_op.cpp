#include "soma/autograd/ops/dropout_op.hpp"

#include "kernels/loops.hpp"
#include "soma/core/random.hpp"

namespace soma::autograd {

Variable& DropoutOp::forward(Tape* tape, Variable& x, float rate, bool training) {
  if (!training || rate == 0.0f) return x;
  x_ = &x;
  out.mask = x.mask;
  const int64_t n = x.value.numel();
  mask_.resize(x.value.shape());
  out.value.resize(x.value.shape());
  const float keep_scale = 1.0f / (1.0f - rate);
  float* m = mask_.f32();
  // 53-bit uniforms are overkill here; 24 bits from each half of a 64-bit draw halve the generator calls.
  auto& eng = random::engine();
  const auto threshold = static_cast<uint32_t>(static_cast<double>(rate) * 16777216.0);
  int64_t i = 0;
  for (; i + 1 < n; i += 2) {
    const uint64_t r = eng();
    m[i] = (static_cast<uint32_t>(r) >> 8) < threshold ? 0.0f : keep_scale;
    m[i + 1] = static_cast<uint32_t>(r >> 40) < threshold ? 0.0f : keep_scale;
  }
  if (i < n) m[i] = (static_cast<uint32_t>(eng()) >> 8) < threshold ? 0.0f : keep_scale;
  kernels::multiply(x.value.f32(), m, out.value.f32(), n, false);

  finish_forward(tape, out, x.requires_grad);
  return out;
}

void DropoutOp::backward(Tape& tape) {
  if (!tape.has_grad(out) || !x_->requires_grad) return;
  bool acc = false;
  Tensor& dx = tape.grad_target(*x_, acc);
  kernels::multiply(out.grad.f32(), mask_.f32(), dx.f32(), dx.numel(), acc);
}

}  // namespace soma::autograd
