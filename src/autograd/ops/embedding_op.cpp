#include "soma/autograd/ops/embedding_op.hpp"

#include <array>
#include <cmath>
#include <cstring>
#include <span>

namespace soma::autograd {

namespace {
Shape with_last(const Shape& s, int64_t width) {
  std::array<int64_t, Shape::kMaxRank> dims{};
  for (int i = 0; i < s.rank(); ++i) dims[static_cast<size_t>(i)] = s[i];
  dims[static_cast<size_t>(s.rank())] = width;
  return Shape(std::span<const int64_t>(dims.data(), static_cast<size_t>(s.rank() + 1)));
}

std::string position(const Shape& s, int64_t flat) {
  std::string out;
  for (int d = s.rank() - 1; d >= 0; --d) {
    out = std::to_string(flat % s[d]) + (out.empty() ? "" : ", ") + out;
    flat /= s[d];
  }
  return "(" + out + ")";
}
}  // namespace

Variable& EmbeddingOp::forward(Tape* tape, Variable& x, Variable& table, bool mask_zero) {
  const int64_t rows = table.value.dim(0), width = table.value.dim(1), n = x.value.numel();
  indices_.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const double v = x.value.dtype() == DType::int64 ? static_cast<double>(x.value.data<int64_t>()[i])
                                                     : static_cast<double>(x.value.f32()[i]);
    if (!(v >= 0 && v < static_cast<double>(rows) && std::trunc(v) == v)) {
      throw ValueError("Embedding: index " + std::to_string(v) + " at position " +
                       position(x.value.shape(), i) + " is outside the vocabulary [0, " +
                       std::to_string(rows) +
                       "); raise input_dim or map unknown words to an out-of-vocabulary index.");
    }
    indices_[static_cast<size_t>(i)] = static_cast<int64_t>(v);
  }
  // (..., width): one more axis than x. Built in place so the step allocates nothing.
  out.value.resize(with_last(x.value.shape(), width));
  const float* t = table.value.f32();
  float* o = out.value.f32();
  for (int64_t i = 0; i < n; ++i) std::memcpy(o + i * width, t + indices_[i] * width, width * sizeof(float));
  if (mask_zero) {
    out.mask.resize(x.value.shape());
    for (int64_t i = 0; i < n; ++i) out.mask.f32()[i] = indices_[static_cast<size_t>(i)] != 0 ? 1.0f : 0.0f;
  } else {
    out.mask = Tensor();
  }
  table_ = &table;
  finish_forward(tape, out, table.requires_grad);
  return out;
}

void EmbeddingOp::backward(Tape& tape) {
  if (!tape.has_grad(out) || !table_->requires_grad) return;
  bool acc = false;
  Tensor& dt = tape.grad_target(*table_, acc);
  if (!acc) dt.fill(0.0f);
  const int64_t width = table_->value.dim(1);
  const float* g = out.grad.f32();
  float* d = dt.f32();
  for (size_t i = 0; i < indices_.size(); ++i) {
    float* row = d + indices_[i] * width;
    const float* gi = g + static_cast<int64_t>(i) * width;
#pragma omp simd
    for (int64_t k = 0; k < width; ++k) row[k] += gi[k];
  }
}

}  // namespace soma::autograd
