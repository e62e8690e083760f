#include "soma/autograd/ops/pool_op.hpp"

#include <algorithm>

#include "kernels/pooling.hpp"

namespace soma::autograd {

struct PoolOp::Spec : kernels::PoolSpec {};

PoolOp::PoolOp() : pool_(std::make_unique<kernels::Pooling>()), spec_(std::make_unique<Spec>()) {}
PoolOp::~PoolOp() = default;
PoolOp::PoolOp(PoolOp&&) noexcept = default;
PoolOp& PoolOp::operator=(PoolOp&&) noexcept = default;

int64_t PoolOp::output_extent(int64_t in, int64_t k, int64_t stride, bool same) {
  if (same) return (in + stride - 1) / stride;
  return in >= k ? (in - k) / stride + 1 : 0;
}

Variable& PoolOp::forward(Tape* tape, Variable& x, const PoolGeometry& g) {
  const Shape& xs = x.value.shape();
  if (xs.rank() != 4 && xs.rank() != 5) {
    throw ShapeError(std::string("PoolOp: expected x ") +
                     (g.channels_first ? "(N, C, [D,] H, W)" : "(N, [D,] H, W, C)") + ", received shape " +
                     xs.str() + ".");
  }
  const bool v = xs.rank() == 5;
  const int first = g.channels_first ? 2 : 1;  // the first spatial axis
  const int hi = first + (v ? 1 : 0);
  kernels::PoolSpec s{.n = xs[0],
                      .h = xs[hi],
                      .w = xs[hi + 1],
                      .c = g.channels_first ? xs[1] : xs[xs.rank() - 1],
                      .kh = g.kh,
                      .kw = g.kw,
                      .sh = g.sh,
                      .sw = g.sw,
                      .d = v ? xs[first] : 1,
                      .kd = v ? g.kd : 1,
                      .sd = v ? g.sd : 1,
                      .max = g.max,
                      .channels_first = g.channels_first};
  if (g.same) {
    const auto pad = [](int64_t in, int64_t k, int64_t stride, int64_t& before, int64_t& after) {
      const int64_t total = std::max<int64_t>(0, ((in + stride - 1) / stride - 1) * stride + k - in);
      before = total / 2;
      after = total - before;
    };
    if (v) pad(s.d, s.kd, s.sd, s.pf, s.pk);
    pad(s.h, s.kh, s.sh, s.pt, s.pb);
    pad(s.w, s.kw, s.sw, s.pl, s.pr);
  } else if (s.d < s.kd || s.h < s.kh || s.w < s.kw) {
    throw ShapeError("PoolOp: a " + (v ? std::to_string(s.kd) + "x" : std::string()) + std::to_string(s.kh) + "x" +
                     std::to_string(s.kw) + " pool does not fit an input of shape " + xs.str() +
                     " with valid padding.");
  }
  static_cast<kernels::PoolSpec&>(*spec_) = s;
  Shape dims{s.n};
  if (g.channels_first) dims.push_back(s.c);
  if (v) dims.push_back(s.od());
  dims.push_back(s.oh());
  dims.push_back(s.ow());
  if (!g.channels_first) dims.push_back(s.c);
  out.value.resize(dims);
  pool_->forward(s, x.value.f32(), out.value.f32());
  x_ = &x;
  finish_forward(tape, out, x.requires_grad);
  return out;
}

void PoolOp::backward(Tape& tape) {
  if (!tape.has_grad(out) || !x_->requires_grad) return;
  tape.write_grad(*x_, scratch_, [&](Tensor& dx) { pool_->backward(*spec_, out.grad.f32(), dx.f32()); });
}

}  // namespace soma::autograd
