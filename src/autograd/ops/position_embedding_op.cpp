#include "soma/autograd/ops/position_embedding_op.hpp"

#include <omp.h>

#include <cstring>

#include "kernels/dnnl_context.hpp"
#include "kernels/parallel.hpp"

namespace soma::autograd {

Variable& PositionEmbeddingOp::forward(Tape* tape, Variable& x, Variable& table) {
  const Shape& s = x.value.shape();
  width_ = table.value.dim(1);
  if (s.rank() != 3 || s[-1] != width_ || s[1] > table.value.dim(0)) {
    throw ShapeError("PositionEmbeddingOp: expected input (batch, steps <= " + std::to_string(table.value.dim(0)) +
                     ", ..., " + std::to_string(width_) + "), received " + s.str() + ".");
  }
  batch_ = s[0], steps_ = s[1];
  table_ = &table;
  out.value.resize(s);
  out.mask = x.mask;
  const int64_t per_sample = out.value.numel() / batch_;
  for (int64_t b = 0; b < batch_; ++b)
    std::memcpy(out.value.f32() + b * per_sample, table.value.f32(), static_cast<size_t>(per_sample) * sizeof(float));
  finish_forward(tape, out, table.requires_grad);
  return out;
}

void PositionEmbeddingOp::backward(Tape& tape) {
  if (!tape.has_grad(out) || !table_->requires_grad) return;
  bool acc = false;
  Tensor& dt = tape.grad_target(*table_, acc);
  const int64_t per_sample = out.grad.numel() / batch_;
  const float* g = out.grad.f32();
  float* d = dt.f32();
  if (!acc) std::memset(d, 0, static_cast<size_t>(dt.numel()) * sizeof(float));
  auto part = [&](int64_t begin, int64_t end) {
    for (int64_t b = 0; b < batch_; ++b) {
      const float* gb = g + b * per_sample;
#pragma omp simd
      for (int64_t i = begin; i < end; ++i) d[i] += gb[i];
    }
  };
  if (out.grad.numel() < kernels::kSerialElements) return part(0, per_sample);
#pragma omp parallel
  {
    const kernels::Range r = kernels::split_range(per_sample, omp_get_num_threads(), omp_get_thread_num(), 16);
    part(r.begin, r.end);
  }
}

}  // namespace soma::autograd
