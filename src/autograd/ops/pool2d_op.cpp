#include "soma/autograd/ops/pool2d_op.hpp"

#include <algorithm>

#include "kernels/pooling.hpp"

namespace soma::autograd {

struct Pool2DOp::Spec : kernels::PoolSpec {};

Pool2DOp::Pool2DOp() : pool_(std::make_unique<kernels::Pooling>()), spec_(std::make_unique<Spec>()) {}
Pool2DOp::~Pool2DOp() = default;
Pool2DOp::Pool2DOp(Pool2DOp&&) noexcept = default;
Pool2DOp& Pool2DOp::operator=(Pool2DOp&&) noexcept = default;

int64_t Pool2DOp::output_extent(int64_t in, int64_t k, int64_t stride, bool same) {
  if (same) return (in + stride - 1) / stride;
  return in >= k ? (in - k) / stride + 1 : 0;
}

Variable& Pool2DOp::forward(Tape* tape, Variable& x, const Pool2DGeometry& g) {
  const Shape& xs = x.value.shape();
  if (xs.rank() != 4) {
    throw ShapeError(std::string("Pool2DOp: expected x ") +
                     (g.channels_first ? "(N, C, H, W)" : "(N, H, W, C)") + ", received shape " + xs.str() +
                     ".");
  }
  const int hi = g.channels_first ? 2 : 1;
  kernels::PoolSpec s{.n = xs[0],
                      .h = xs[hi],
                      .w = xs[hi + 1],
                      .c = g.channels_first ? xs[1] : xs[3],
                      .kh = g.kh,
                      .kw = g.kw,
                      .sh = g.sh,
                      .sw = g.sw,
                      .max = g.max,
                      .channels_first = g.channels_first};
  if (g.same) {
    const auto pad = [](int64_t in, int64_t k, int64_t stride, int64_t& before, int64_t& after) {
      const int64_t total = std::max<int64_t>(0, ((in + stride - 1) / stride - 1) * stride + k - in);
      before = total / 2;
      after = total - before;
    };
    pad(s.h, s.kh, s.sh, s.pt, s.pb);
    pad(s.w, s.kw, s.sw, s.pl, s.pr);
  } else if (s.h < s.kh || s.w < s.kw) {
    throw ShapeError("Pool2DOp: a " + std::to_string(s.kh) + "x" + std::to_string(s.kw) +
                     " pool does not fit an input of " + std::to_string(s.h) + "x" + std::to_string(s.w) +
                     " with valid padding.");
  }
  static_cast<kernels::PoolSpec&>(*spec_) = s;
  out.value.resize(g.channels_first ? Shape{s.n, s.c, s.oh(), s.ow()} : Shape{s.n, s.oh(), s.ow(), s.c});
  pool_->forward(s, x.value.f32(), out.value.f32());
  x_ = &x;
  finish_forward(tape, out, x.requires_grad);
  return out;
}

void Pool2DOp::backward(Tape& tape) {
  if (!tape.has_grad(out) || !x_->requires_grad) return;
  tape.write_grad(*x_, scratch_, [&](Tensor& dx) { pool_->backward(*spec_, out.grad.f32(), dx.f32()); });
}

}  // namespace soma::autograd
