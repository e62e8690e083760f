#include "soma/autograd/ops/channels_op.hpp"

#include <algorithm>
#include <functional>
#include <numeric>

#include "kernels/layout.hpp"

namespace soma::autograd {

ChannelsOp::ChannelsOp() : reorder_(std::make_unique<kernels::LayoutReorder>()) {}
ChannelsOp::~ChannelsOp() = default;
ChannelsOp::ChannelsOp(ChannelsOp&&) noexcept = default;
ChannelsOp& ChannelsOp::operator=(ChannelsOp&&) noexcept = default;

namespace {
// The spec of the reorder that reads `from` (in its own layout) in the given direction. Spatial axes
// before the last are merged into the reorder's height: (N, C, D, H, W) moves as (N, C, D * H, W).
kernels::LayoutSpec spec_for(const Shape& from, bool to_last) {
  const std::span<const int64_t> d = from.dims();
  const size_t r = d.size();  // >= 3, checked by forward
  const auto spatial = to_last ? d.subspan(2, r - 3) : d.subspan(1, r - 3);
  const int64_t h = std::accumulate(spatial.begin(), spatial.end(), int64_t{1}, std::multiplies<>());
  return to_last ? kernels::LayoutSpec{d[0], d[1], h, d[r - 1], true}
                 : kernels::LayoutSpec{d[0], d[r - 1], h, d[r - 2], false};
}
}  // namespace

Variable& ChannelsOp::forward(Tape* tape, Variable& x, bool to_channels_last) {
  const Shape& s = x.value.shape();
  if (s.rank() < 3) {
    throw ShapeError(std::string("ChannelsOp: expected x of rank 3 or more ") +
                     (to_channels_last ? "(N, C, ...)" : "(N, ..., C)") + ", received shape " + s.str() + ".");
  }
  x_ = &x;
  to_last_ = to_channels_last;
  const int r = s.rank();
  Shape moved = s;  // the channel axis rotated to the end (or from it), heap-free
  if (to_channels_last) {
    for (int i = 1; i < r - 1; ++i) moved[i] = s[i + 1];
    moved[r - 1] = s[1];
  } else {
    for (int i = 2; i < r; ++i) moved[i] = s[i - 1];
    moved[1] = s[r - 1];
  }
  out.value.resize(moved);
  reorder_->run(spec_for(s, to_channels_last), x.value.f32(), out.value.f32());
  finish_forward(tape, out, x.requires_grad);
  return out;
}

void ChannelsOp::backward(Tape& tape) {
  if (!tape.has_grad(out) || !x_->requires_grad) return;
  // The gradient moves the axis back: the opposite reorder, read from out's layout.
  tape.write_grad(*x_, scratch_, [&](Tensor& dx) {
    reorder_->run(spec_for(out.value.shape(), !to_last_), out.grad.f32(), dx.f32());
  });
}

}  // namespace soma::autograd
