#include "soma/autograd/ops/reshaping_ops.hpp"

#include <omp.h>

#include <cstring>

#include "kernels/box_copy.hpp"
#include "kernels/dnnl_context.hpp"
#include "kernels/parallel.hpp"

namespace soma::autograd {

namespace {

std::vector<int64_t> dims_of(const Shape& s) {
  std::vector<int64_t> d(static_cast<size_t>(s.rank()));
  for (int a = 0; a < s.rank(); ++a) d[static_cast<size_t>(a)] = s[a];
  return d;
}

// The box of y = x with axes `perm` (y's axis a is x's axis perm[a]), walked in y's order.
kernels::Box permuted_box(const std::vector<int64_t>& x_dims, const std::vector<int>& perm) {
  const std::vector<int64_t> xs = kernels::contiguous_strides(x_dims);
  kernels::Box box;
  for (int p : perm) {
    box.dims.push_back(x_dims[static_cast<size_t>(p)]);
    box.src_strides.push_back(xs[static_cast<size_t>(p)]);
  }
  box.dst_strides = kernels::contiguous_strides(box.dims);
  return box;
}

// The overlap of x and y = pad(x): its extent, and where it starts in each.
struct Overlap {
  kernels::Box box;  // src = x, dst = y
  int64_t x_offset = 0, y_offset = 0;
};

Overlap overlap_of(const std::vector<int64_t>& x_dims, const std::vector<std::array<int64_t, 2>>& pads) {
  std::vector<int64_t> y_dims(x_dims.size());
  for (size_t a = 0; a < x_dims.size(); ++a) y_dims[a] = x_dims[a] + pads[a][0] + pads[a][1];
  const std::vector<int64_t> xs = kernels::contiguous_strides(x_dims), ys = kernels::contiguous_strides(y_dims);
  Overlap o;
  o.box.src_strides = xs;
  o.box.dst_strides = ys;
  for (size_t a = 0; a < x_dims.size(); ++a) {
    const int64_t x_begin = std::max<int64_t>(0, -pads[a][0]);
    const int64_t x_end = x_dims[a] - std::max<int64_t>(0, -pads[a][1]);
    o.box.dims.push_back(std::max<int64_t>(0, x_end - x_begin));
    o.x_offset += x_begin * xs[a];
    o.y_offset += (x_begin + pads[a][0]) * ys[a];
  }
  return o;
}

}  // namespace

Variable& PermuteOp::forward(Tape* tape, Variable& x, const std::vector<int>& perm) {
  const Shape& s = x.value.shape();
  std::vector<bool> seen(static_cast<size_t>(s.rank()), false);
  bool valid = static_cast<int>(perm.size()) == s.rank();
  for (int p : perm) {
    valid = valid && p >= 0 && p < s.rank() && !seen[static_cast<size_t>(p)];
    if (valid) seen[static_cast<size_t>(p)] = true;
  }
  if (!valid) throw ShapeError("PermuteOp: the order is not a permutation of the " + std::to_string(s.rank()) +
                               " axes of an input of shape " + s.str() + ".");
  x_ = &x;
  perm_ = perm;
  const kernels::Box box = permuted_box(dims_of(s), perm);
  out.value.resize(Shape(box.dims));
  kernels::box_copy(box, x.value.f32(), out.value.f32(), false);
  finish_forward(tape, out, x.requires_grad);
  return out;
}

void PermuteOp::backward(Tape& tape) {
  if (!tape.has_grad(out) || !x_->requires_grad) return;
  std::vector<int> inverse(perm_.size());
  for (size_t a = 0; a < perm_.size(); ++a) inverse[static_cast<size_t>(perm_[a])] = static_cast<int>(a);
  bool acc = false;
  Tensor& dx = tape.grad_target(*x_, acc);
  kernels::box_copy(permuted_box(dims_of(out.grad.shape()), inverse), out.grad.f32(), dx.f32(), acc);
}

Variable& PadOp::forward(Tape* tape, Variable& x, const std::vector<std::array<int64_t, 2>>& pads) {
  const Shape& s = x.value.shape();
  if (static_cast<int>(pads.size()) != s.rank()) {
    throw ShapeError("PadOp: " + std::to_string(pads.size()) + " pairs of pads for an input of shape " + s.str() +
                     ".");
  }
  std::vector<int64_t> y_dims = dims_of(s);
  for (size_t a = 0; a < y_dims.size(); ++a) {
    y_dims[a] += pads[a][0] + pads[a][1];
    if (y_dims[a] <= 0) {
      throw ShapeError("PadOp: axis " + std::to_string(a) + " of an input of shape " + s.str() + " would have " +
                       std::to_string(y_dims[a]) + " entries after padding by (" + std::to_string(pads[a][0]) +
                       ", " + std::to_string(pads[a][1]) + ").");
    }
  }
  x_ = &x;
  pads_ = pads;
  out.value.resize(Shape(y_dims));
  const Overlap o = overlap_of(dims_of(s), pads);
  bool grows = false;
  for (const auto& p : pads) grows = grows || p[0] > 0 || p[1] > 0;
  if (grows) std::memset(out.value.f32(), 0, static_cast<size_t>(out.value.numel()) * sizeof(float));
  kernels::box_copy(o.box, x.value.f32() + o.x_offset, out.value.f32() + o.y_offset, false);
  finish_forward(tape, out, x.requires_grad);
  return out;
}

void PadOp::backward(Tape& tape) {
  if (!tape.has_grad(out) || !x_->requires_grad) return;
  bool acc = false;
  Tensor& dx = tape.grad_target(*x_, acc);
  bool crops = false;
  for (const auto& p : pads_) crops = crops || p[0] < 0 || p[1] < 0;
  if (crops && !acc) std::memset(dx.f32(), 0, static_cast<size_t>(dx.numel()) * sizeof(float));
  Overlap o = overlap_of(dims_of(dx.shape()), pads_);
  std::swap(o.box.src_strides, o.box.dst_strides);
  kernels::box_copy(o.box, out.grad.f32() + o.y_offset, dx.f32() + o.x_offset, acc || crops);
}

Variable& RepeatOp::forward(Tape* tape, Variable& x, int64_t n) {
  const Shape& s = x.value.shape();
  if (s.rank() != 2 || n < 1) {
    throw ShapeError("RepeatOp: expected input (batch, features) and n >= 1, received " + s.str() + " and n " +
                     std::to_string(n) + ".");
  }
  x_ = &x;
  n_ = n;
  out.value.resize(Shape{s[0], n, s[1]});
  kernels::box_copy({.dims = {s[0], n, s[1]}, .src_strides = {s[1], 0, 1}, .dst_strides = {n * s[1], s[1], 1}},
                    x.value.f32(), out.value.f32(), false);
  finish_forward(tape, out, x.requires_grad);
  return out;
}

void RepeatOp::backward(Tape& tape) {
  if (!tape.has_grad(out) || !x_->requires_grad) return;
  bool acc = false;
  Tensor& dx = tape.grad_target(*x_, acc);
  const int64_t batch = dx.dim(0), width = dx.dim(1);
  const float* g = out.grad.f32();
  float* d = dx.f32();
  // One sample per thread at a time, the repeats summed in order: the same bits on any thread count.
  auto samples = [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      float* db = d + b * width;
      if (!acc) std::memset(db, 0, static_cast<size_t>(width) * sizeof(float));
      for (int64_t r = 0; r < n_; ++r) {
        const float* gb = g + (b * n_ + r) * width;
#pragma omp simd
        for (int64_t i = 0; i < width; ++i) db[i] += gb[i];
      }
    }
  };
  if (out.grad.numel() < kernels::kSerialElements) return samples(0, batch);
#pragma omp parallel
  {
    const kernels::Range r = kernels::split_range(batch, omp_get_num_threads(), omp_get_thread_num(), 1);
    samples(r.begin, r.end);
  }
}

namespace {

// x's axes interleaved with the repeat axes of y = upsample(x): (x0, f0, x1, f1, ...), factors of 1
// dropped. Walked in this order the box is y itself, contiguous.
struct UpsampleBox {
  kernels::Box box;
  std::vector<bool> repeat;  // per box axis: a repeat axis (else one of x's)
};

UpsampleBox upsample_box(const std::vector<int64_t>& x_dims, const std::vector<int64_t>& factors) {
  const std::vector<int64_t> xs = kernels::contiguous_strides(x_dims);
  UpsampleBox u;
  for (size_t a = 0; a < x_dims.size(); ++a) {
    u.box.dims.push_back(x_dims[a]);
    u.box.src_strides.push_back(xs[a]);
    u.repeat.push_back(false);
    if (factors[a] > 1) {
      u.box.dims.push_back(factors[a]);
      u.box.src_strides.push_back(0);
      u.repeat.push_back(true);
    }
  }
  u.box.dst_strides = kernels::contiguous_strides(u.box.dims);
  return u;
}

}  // namespace

Variable& UpsampleOp::forward(Tape* tape, Variable& x, const std::vector<int64_t>& factors) {
  const Shape& s = x.value.shape();
  bool valid = static_cast<int>(factors.size()) == s.rank();
  for (int64_t f : factors) valid = valid && f >= 1;
  if (!valid) {
    throw ShapeError("UpsampleOp: expected one factor >= 1 per axis of an input of shape " + s.str() + ".");
  }
  x_ = &x;
  factors_ = factors;
  std::vector<int64_t> y_dims = dims_of(s);
  for (size_t a = 0; a < y_dims.size(); ++a) y_dims[a] *= factors[a];
  out.value.resize(Shape(y_dims));
  kernels::box_copy(upsample_box(dims_of(s), factors).box, x.value.f32(), out.value.f32(), false);
  finish_forward(tape, out, x.requires_grad);
  return out;
}

void UpsampleOp::backward(Tape& tape) {
  if (!tape.has_grad(out) || !x_->requires_grad) return;
  bool acc = false;
  Tensor& dx = tape.grad_target(*x_, acc);
  if (!acc) std::memset(dx.f32(), 0, static_cast<size_t>(dx.numel()) * sizeof(float));
  // The forward box read backwards (dy -> dx) with its repeat axes moved in front of x's last axis:
  // the rows that add into one dx row are consecutive, one group, so one thread sums them in order.
  const UpsampleBox fwd = upsample_box(dims_of(dx.shape()), factors_);
  std::vector<size_t> x_axes, repeat_axes;
  for (size_t i = 0; i < fwd.box.dims.size(); ++i) (fwd.repeat[i] ? repeat_axes : x_axes).push_back(i);
  std::vector<size_t> order(x_axes.begin(), x_axes.end() - 1);
  order.insert(order.end(), repeat_axes.begin(), repeat_axes.end());
  order.push_back(x_axes.back());
  if (factors_.back() > 1) {  // the last x axis repeats: its repeat axis stays innermost, after it
    order.assign(x_axes.begin(), x_axes.end());
    order.insert(order.end(), repeat_axes.begin(), repeat_axes.end());
  }
  kernels::Box box;
  for (size_t i : order) {
    box.dims.push_back(fwd.box.dims[i]);
    box.src_strides.push_back(fwd.box.dst_strides[i]);
    box.dst_strides.push_back(fwd.box.src_strides[i]);
  }
  for (size_t k = 0; k + 1 < order.size(); ++k)
    if (fwd.repeat[order[k]]) box.row_group *= box.dims[k];
  kernels::box_copy(box, out.grad.f32(), dx.f32(), true);
}

}  // namespace soma::autograd
