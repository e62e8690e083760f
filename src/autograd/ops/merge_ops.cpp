#include "soma/autograd/ops/merge_ops.hpp"

#include <algorithm>
#include <cmath>

namespace soma::autograd {

namespace {
// s with ones inserted after the batch axis up to `rank`: Keras' merge layers expand a lower-rank input
// at axis 1, so per-sample shapes align on the right and the batch stays first.
Shape expanded(const Shape& s, int rank) {
  std::array<int64_t, Shape::kMaxRank> dims;
  dims.fill(1);
  dims[0] = s[0];
  const int offset = rank - s.rank();
  for (int i = 1; i < s.rank(); ++i) dims[static_cast<size_t>(i + offset)] = s[i];
  return Shape(std::span<const int64_t>(dims.data(), static_cast<size_t>(rank)));
}
}  // namespace

Shape broadcast_shapes(std::span<const Shape> shapes, const std::string& who) {
  int rank = 0;
  for (const Shape& s : shapes) rank = std::max(rank, s.rank());
  std::array<int64_t, Shape::kMaxRank> dims;
  dims.fill(1);
  for (const Shape& given : shapes) {
    const Shape s = given.rank() == 0 ? given : expanded(given, rank);
    for (int i = 0; i < s.rank(); ++i) {
      int64_t& d = dims[static_cast<size_t>(i)];
      const int64_t e = s[i];
      if (d == 1) {
        d = e;
      } else if (e != 1 && e != d) {
        std::string list;
        for (const Shape& t : shapes) list += (list.empty() ? "" : ", ") + t.str();
        throw ShapeError(who + ": inputs with shapes " + list +
                         " cannot be broadcast together (each dimension must match or be 1).");
      }
    }
  }
  return Shape(std::span<const int64_t>(dims.data(), static_cast<size_t>(rank)));
}

namespace {
// For every element of `out`, the element of an input of shape `in` that broadcasts to it.
void broadcast_index(const Shape& given, const Shape& out, std::vector<int64_t>& index) {
  const Shape in = expanded(given, out.rank());
  const int r = out.rank(), offset = 0;
  std::array<int64_t, Shape::kMaxRank> stride{};
  int64_t s = 1;
  for (int i = in.rank() - 1; i >= 0; --i) {
    stride[static_cast<size_t>(i + offset)] = in[i] == 1 ? 0 : s;
    s *= in[i];
  }
  index.resize(static_cast<size_t>(out.numel()));
  std::array<int64_t, Shape::kMaxRank> pos{};
  int64_t at = 0;
  for (int64_t k = 0; k < out.numel(); ++k) {
    index[static_cast<size_t>(k)] = at;
    for (int d = r - 1; d >= 0; --d) {
      const auto du = static_cast<size_t>(d);
      at += stride[du];
      if (++pos[du] < out[d]) break;
      at -= stride[du] * out[d];
      pos[du] = 0;
    }
  }
}

float combine(Elementwise mode, float acc, float v) {
  switch (mode) {
    case Elementwise::add:
    case Elementwise::average:
      return acc + v;
    case Elementwise::subtract:
      return acc - v;
    case Elementwise::multiply:
      return acc * v;
    case Elementwise::maximum:
      return std::max(acc, v);
    case Elementwise::minimum:
      return std::min(acc, v);
  }
  return acc;
}
}  // namespace

const std::vector<int64_t>* ElementwiseOp::index_of(size_t input) const {
  return index_[input].empty() ? nullptr : &index_[input];
}

Variable& ElementwiseOp::forward(Tape* tape, std::span<Variable* const> inputs, Elementwise mode) {
  const size_t n = inputs.size();
  in_.assign(inputs.begin(), inputs.end());
  mode_ = mode;
  std::vector<Shape>& shapes = shapes_;
  shapes.clear();
  for (Variable* v : inputs) shapes.push_back(v->value.shape());
  const Shape shape = broadcast_shapes(shapes, "ElementwiseOp");
  index_.resize(n);
  index_shapes_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    if (shapes[i] == shape) {
      index_[i].clear();
    } else if (index_[i].empty() || index_shapes_[i] != shapes[i] || static_cast<int64_t>(index_[i].size()) != shape.numel()) {
      broadcast_index(shapes[i], shape, index_[i]);
      index_shapes_[i] = shapes[i];
    }
  }
  out.value.resize(shape);
  float* o = out.value.f32();
  const int64_t total = shape.numel();
  bool requires_grad = false;
  for (size_t i = 0; i < n; ++i) {
    const float* x = inputs[i]->value.f32();
    const std::vector<int64_t>* idx = index_of(i);
    requires_grad = requires_grad || inputs[i]->requires_grad;
    if (i == 0) {
      if (idx) {
        for (int64_t k = 0; k < total; ++k) o[k] = x[(*idx)[static_cast<size_t>(k)]];
      } else {
        std::copy_n(x, total, o);
      }
      continue;
    }
    if (!idx && (mode == Elementwise::add || mode == Elementwise::average)) {
#pragma omp simd
      for (int64_t k = 0; k < total; ++k) o[k] += x[k];
    } else if (idx) {
      for (int64_t k = 0; k < total; ++k) o[k] = combine(mode, o[k], x[(*idx)[static_cast<size_t>(k)]]);
    } else {
      for (int64_t k = 0; k < total; ++k) o[k] = combine(mode, o[k], x[k]);
    }
  }
  if (mode == Elementwise::average) {
    const float inv = 1.0f / static_cast<float>(n);
#pragma omp simd
    for (int64_t k = 0; k < total; ++k) o[k] *= inv;
  }
  finish_forward(tape, out, requires_grad);
  return out;
}

void ElementwiseOp::backward(Tape& tape) {
  if (!tape.has_grad(out)) return;
  const float* g = out.grad.f32();
  const float* o = out.value.f32();
  const int64_t total = out.value.numel();
  const size_t n = in_.size();
  const auto x_at = [&](size_t j, int64_t k) {
    const std::vector<int64_t>* idx = index_of(j);
    return in_[j]->value.f32()[idx ? (*idx)[static_cast<size_t>(k)] : k];
  };
  grad_.resize(out.value.shape());
  float* c = grad_.f32();
  for (size_t i = 0; i < n; ++i) {
    Variable& v = *in_[i];
    if (!v.requires_grad) continue;
    // The gradient with respect to input i at each output element...
    switch (mode_) {
      case Elementwise::add:
        std::copy_n(g, total, c);
        break;
      case Elementwise::subtract:
        for (int64_t k = 0; k < total; ++k) c[k] = i == 0 ? g[k] : -g[k];
        break;
      case Elementwise::average: {
        const float inv = 1.0f / static_cast<float>(n);
        for (int64_t k = 0; k < total; ++k) c[k] = g[k] * inv;
        break;
      }
      case Elementwise::multiply:
        for (int64_t k = 0; k < total; ++k) {
          float p = g[k];
          for (size_t j = 0; j < n; ++j)
            if (j != i) p *= x_at(j, k);
          c[k] = p;
        }
        break;
      case Elementwise::maximum:
      case Elementwise::minimum:
        // To the first input holding the extreme, as a subgradient.
        for (int64_t k = 0; k < total; ++k) {
          size_t first = 0;
          while (first < n && x_at(first, k) != o[k]) ++first;
          c[k] = first == i ? g[k] : 0.0f;
        }
        break;
    }
    // ...summed over the elements it was broadcast to.
    const std::vector<int64_t>* idx = index_of(i);
    tape.write_grad(v, scratch_, [&](Tensor& dst) {
      float* d = dst.f32();
      if (!idx) {
        std::copy_n(c, total, d);
        return;
      }
      std::fill_n(d, dst.numel(), 0.0f);
      for (int64_t k = 0; k < total; ++k) d[(*idx)[static_cast<size_t>(k)]] += c[k];
    });
  }
}

Variable& ConcatenateOp::forward(Tape* tape, std::span<Variable* const> inputs, int axis) {
  in_.assign(inputs.begin(), inputs.end());
  axis_ = axis;
  const Shape& first = inputs[0]->value.shape();
  int64_t along = 0;
  bool requires_grad = false;
  for (Variable* v : inputs) {
    const Shape& s = v->value.shape();
    if (s.rank() != first.rank() || s.with_dim(axis, 1) != first.with_dim(axis, 1)) {
      throw ShapeError("ConcatenateOp: inputs " + first.str() + " and " + s.str() +
                       " differ outside the concatenation axis " + std::to_string(axis) + ".");
    }
    along += s[axis];
    requires_grad = requires_grad || v->requires_grad;
  }
  const Shape shape = first.with_dim(axis, along);
  out.value.resize(shape);
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= shape[d];
  for (int d = axis + 1; d < shape.rank(); ++d) inner *= shape[d];
  float* o = out.value.f32();
  const int64_t row = along * inner;
  int64_t offset = 0;
  for (Variable* v : inputs) {
    const int64_t block = v->value.dim(axis) * inner;
    const float* x = v->value.f32();
    for (int64_t r = 0; r < outer; ++r) std::copy_n(x + r * block, block, o + r * row + offset);
    offset += block;
  }
  finish_forward(tape, out, requires_grad);
  return out;
}

void ConcatenateOp::backward(Tape& tape) {
  if (!tape.has_grad(out)) return;
  const Shape& shape = out.value.shape();
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis_; ++d) outer *= shape[d];
  for (int d = axis_ + 1; d < shape.rank(); ++d) inner *= shape[d];
  const int64_t row = shape[axis_] * inner;
  const float* g = out.grad.f32();
  int64_t offset = 0;
  for (Variable* v : in_) {
    const int64_t block = v->value.dim(axis_) * inner;
    if (v->requires_grad) {
      tape.write_grad(*v, scratch_, [&](Tensor& dst) {
        float* d = dst.f32();
        for (int64_t r = 0; r < outer; ++r) std::copy_n(g + r * row + offset, block, d + r * block);
      });
    }
    offset += block;
  }
}

namespace {
// (outer, along, inner) of a shape around an axis.
struct Around {
  int64_t outer = 1, along = 1, inner = 1;
};
Around around(const Shape& s, int axis) {
  Around a;
  for (int d = 0; d < axis; ++d) a.outer *= s[d];
  a.along = s[axis];
  for (int d = axis + 1; d < s.rank(); ++d) a.inner *= s[d];
  return a;
}
constexpr double kNormEpsilon = 1e-12;
}  // namespace

Variable& L2NormalizeOp::forward(Tape* tape, Variable& x, int axis) {
  x_ = &x;
  axis_ = axis;
  const Shape& s = x.value.shape();
  const Around a = around(s, axis);
  out.value.resize(s);
  inv_norm_.resize(Shape{a.outer * a.inner});
  const float* xv = x.value.f32();
  float* o = out.value.f32();
  float* inv = inv_norm_.f32();
  for (int64_t r = 0; r < a.outer; ++r) {
    for (int64_t i = 0; i < a.inner; ++i) {
      double sum = 0.0;
      for (int64_t k = 0; k < a.along; ++k) {
        const double v = xv[(r * a.along + k) * a.inner + i];
        sum += v * v;
      }
      const auto scale = static_cast<float>(1.0 / std::sqrt(std::max(sum, kNormEpsilon)));
      inv[r * a.inner + i] = sum >= kNormEpsilon ? scale : -scale;  // sign marks the clamped case
      for (int64_t k = 0; k < a.along; ++k) {
        const int64_t at = (r * a.along + k) * a.inner + i;
        o[at] = xv[at] * scale;
      }
    }
  }
  finish_forward(tape, out, x.requires_grad);
  return out;
}

void L2NormalizeOp::backward(Tape& tape) {
  if (!tape.has_grad(out) || !x_->requires_grad) return;
  const Around a = around(out.value.shape(), axis_);
  const float* g = out.grad.f32();
  const float* y = out.value.f32();
  const float* inv = inv_norm_.f32();
  tape.write_grad(*x_, scratch_, [&](Tensor& dst) {
    float* d = dst.f32();
    for (int64_t r = 0; r < a.outer; ++r) {
      for (int64_t i = 0; i < a.inner; ++i) {
        const float scale = inv[r * a.inner + i];
        double gy = 0.0;
        if (scale > 0) {
          for (int64_t k = 0; k < a.along; ++k) {
            const int64_t at = (r * a.along + k) * a.inner + i;
            gy += static_cast<double>(g[at]) * y[at];
          }
        }
        // y = x / |x|: dx = (g - y (g . y)) / |x|; clamped, y = x / sqrt(eps): dx = g / sqrt(eps).
        for (int64_t k = 0; k < a.along; ++k) {
          const int64_t at = (r * a.along + k) * a.inner + i;
          d[at] = scale > 0 ? (g[at] - y[at] * static_cast<float>(gy)) * scale : g[at] * -scale;
        }
      }
    }
  });
}

namespace {
// Strides of a batch_dot operand viewed as (B, rows, K) (a) or (B, K, cols) (b).
struct DotView {
  int64_t batch = 0, free = 1, k = 0;  // sizes
  int64_t s_free = 0, s_k = 0, s_batch = 0;
};
DotView dot_view(const Shape& s, int axis) {
  DotView v;
  v.batch = s[0];
  v.s_batch = s.sample_size();
  v.k = s[axis];
  if (s.rank() == 2) {
    v.s_k = 1;
  } else {
    const int other = axis == 1 ? 2 : 1;
    v.free = s[other];
    v.s_k = axis == 2 ? 1 : s[2];
    v.s_free = other == 2 ? 1 : s[2];
  }
  return v;
}
}  // namespace

Shape BatchDotOp::output_shape(const Shape& a, const Shape& b, std::array<int, 2> axes, const std::string& who) {
  for (const Shape* s : {&a, &b}) {
    if (s->rank() != 2 && s->rank() != 3) {
      throw ShapeError(who + ": supports inputs of rank 2 or 3 (batch included), received " +
                       s->str() + ".");
    }
  }
  if (axes[0] < 1 || axes[0] >= a.rank() || axes[1] < 1 || axes[1] >= b.rank()) {
    throw ShapeError(who + ": axes (" + std::to_string(axes[0]) + ", " + std::to_string(axes[1]) +
                     ") are out of range for inputs " + a.str() + " and " + b.str() +
                     " (the batch axis 0 cannot be contracted).");
  }
  if (a[axes[0]] != b[axes[1]]) {
    throw ShapeError(who + ": the contracted dimensions differ: " + std::to_string(a[axes[0]]) + " (axis " +
                     std::to_string(axes[0]) + " of " + a.str() + ") and " +
                     std::to_string(b[axes[1]]) + " (axis " + std::to_string(axes[1]) + " of " +
                     b.str() + ").");
  }
  std::array<int64_t, 3> dims{a[0], 1, 1};
  size_t rank = 1;
  if (a.rank() == 3) dims[rank++] = a[axes[0] == 1 ? 2 : 1];
  if (b.rank() == 3) dims[rank++] = b[axes[1] == 1 ? 2 : 1];
  return Shape(std::span<const int64_t>(dims.data(), std::max<size_t>(rank, 2)));
}

Variable& BatchDotOp::forward(Tape* tape, Variable& a, Variable& b, std::array<int, 2> axes) {
  a_ = &a;
  b_ = &b;
  axes_ = axes;
  out.value.resize(output_shape(a.value.shape(), b.value.shape(), axes, "BatchDotOp"));
  const DotView va = dot_view(a.value.shape(), axes[0]), vb = dot_view(b.value.shape(), axes[1]);
  const float* x = a.value.f32();
  const float* y = b.value.f32();
  float* o = out.value.f32();
  for (int64_t n = 0; n < va.batch; ++n) {
    for (int64_t m = 0; m < va.free; ++m) {
      for (int64_t c = 0; c < vb.free; ++c) {
        float sum = 0.0f;
        for (int64_t k = 0; k < va.k; ++k) {
          sum += x[n * va.s_batch + m * va.s_free + k * va.s_k] * y[n * vb.s_batch + c * vb.s_free + k * vb.s_k];
        }
        o[(n * va.free + m) * vb.free + c] = sum;
      }
    }
  }
  finish_forward(tape, out, a.requires_grad || b.requires_grad);
  return out;
}

void BatchDotOp::backward(Tape& tape) {
  if (!tape.has_grad(out)) return;
  const DotView va = dot_view(a_->value.shape(), axes_[0]), vb = dot_view(b_->value.shape(), axes_[1]);
  const float* x = a_->value.f32();
  const float* y = b_->value.f32();
  const float* g = out.grad.f32();
  const auto go = [&](int64_t n, int64_t m, int64_t c) { return g[(n * va.free + m) * vb.free + c]; };
  if (a_->requires_grad) {
    tape.write_grad(*a_, scratch_, [&](Tensor& dst) {
      float* d = dst.f32();
      for (int64_t n = 0; n < va.batch; ++n)
        for (int64_t m = 0; m < va.free; ++m)
          for (int64_t k = 0; k < va.k; ++k) {
            float sum = 0.0f;
            for (int64_t c = 0; c < vb.free; ++c) sum += go(n, m, c) * y[n * vb.s_batch + c * vb.s_free + k * vb.s_k];
            d[n * va.s_batch + m * va.s_free + k * va.s_k] = sum;
          }
    });
  }
  if (b_->requires_grad) {
    tape.write_grad(*b_, scratch_, [&](Tensor& dst) {
      float* d = dst.f32();
      for (int64_t n = 0; n < vb.batch; ++n)
        for (int64_t c = 0; c < vb.free; ++c)
          for (int64_t k = 0; k < vb.k; ++k) {
            float sum = 0.0f;
            for (int64_t m = 0; m < va.free; ++m) sum += go(n, m, c) * x[n * va.s_batch + m * va.s_free + k * va.s_k];
            d[n * vb.s_batch + c * vb.s_free + k * vb.s_k] = sum;
          }
    });
  }
}

Variable& WeightedSumOp::forward(Tape* tape, std::span<Variable* const> scalars, std::span<const float> weights) {
  in_.assign(scalars.begin(), scalars.end());
  weights_.assign(weights.begin(), weights.end());
  out.value.resize(Shape{});
  double sum = 0.0;
  bool requires_grad = false;
  for (size_t i = 0; i < in_.size(); ++i) {
    sum += static_cast<double>(weights_[i]) * in_[i]->value.item();
    requires_grad = requires_grad || in_[i]->requires_grad;
  }
  out.value.f32()[0] = static_cast<float>(sum);
  finish_forward(tape, out, requires_grad);
  return out;
}

void WeightedSumOp::backward(Tape& tape) {
  if (!tape.has_grad(out)) return;
  const float g = out.grad.f32()[0];
  for (size_t i = 0; i < in_.size(); ++i) {
    if (!in_[i]->requires_grad) continue;
    tape.write_grad(*in_[i], scratch_, [&](Tensor& dst) { dst.f32()[0] = g * weights_[i]; });
  }
}

}  // namespace soma::autograd
