#include "soma/autograd/ops/channels_op.hpp"

#include "kernels/layout.hpp"

namespace soma::autograd {

ChannelsOp::ChannelsOp() : reorder_(std::make_unique<kernels::LayoutReorder>()) {}
ChannelsOp::~ChannelsOp() = default;
ChannelsOp::ChannelsOp(ChannelsOp&&) noexcept = default;
ChannelsOp& ChannelsOp::operator=(ChannelsOp&&) noexcept = default;

namespace {
// The spec of the reorder that reads `from` (in its own layout) in the given direction.
kernels::LayoutSpec spec_for(const Shape& from, bool to_last) {
  return to_last ? kernels::LayoutSpec{from[0], from[1], from[2], from[3], true}
                 : kernels::LayoutSpec{from[0], from[3], from[1], from[2], false};
}
}  // namespace

Variable& ChannelsOp::forward(Tape* tape, Variable& x, bool to_channels_last) {
  const Shape& s = x.value.shape();
  if (s.rank() != 4) {
    throw ShapeError(std::string("ChannelsOp: expected a 4-D x ") +
                     (to_channels_last ? "(N, C, H, W)" : "(N, H, W, C)") + ", received shape " + s.str() +
                     ".");
  }
  x_ = &x;
  to_last_ = to_channels_last;
  out.value.resize(to_channels_last ? Shape{s[0], s[2], s[3], s[1]} : Shape{s[0], s[3], s[1], s[2]});
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
