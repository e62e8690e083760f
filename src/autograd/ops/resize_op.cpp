#include "soma/autograd/ops/resize_op.hpp"

#include "kernels/resize.hpp"

namespace soma::autograd {

namespace {
kernels::ResizeSpec spec_of(const Shape& s, const ResizeParams& p) {
  const int h = p.channels_first ? 2 : 1;
  return {.batch = s[0],
          .channels = p.channels_first ? s[1] : s[3],
          .height = s[h],
          .width = s[h + 1],
          .out_height = p.out_height,
          .out_width = p.out_width,
          .channels_first = p.channels_first,
          .bilinear = p.bilinear,
          .top = p.top,
          .left = p.left,
          .rows = p.rows,
          .cols = p.cols,
          .fill = p.fill};
}
}  // namespace

Variable& ResizeOp::forward(Tape* tape, Variable& x, const ResizeParams& p) {
  const Shape& s = x.value.shape();
  if (s.rank() != 4 || p.out_height < 1 || p.out_width < 1 || p.rows < 0 || p.cols < 0) {
    throw ShapeError("ResizeOp: expected images (batch, height, width, channels) and a positive output size, "
                     "received " + s.str() + " -> " + std::to_string(p.out_height) + "x" +
                     std::to_string(p.out_width) + ".");
  }
  x_ = &x, p_ = p;
  const int h = p.channels_first ? 2 : 1;
  out.value.resize(s.with_dim(h, p.out_height).with_dim(h + 1, p.out_width));
  kernels::resize_forward(spec_of(s, p), x.value.f32(), out.value.f32());
  finish_forward(tape, out, x.requires_grad);
  return out;
}

void ResizeOp::backward(Tape& tape) {
  if (!tape.has_grad(out) || !x_->requires_grad) return;
  bool acc = false;
  Tensor& dx = tape.grad_target(*x_, acc);
  kernels::resize_backward(spec_of(x_->value.shape(), p_), out.grad.f32(), dx.f32(), acc);
}

}  // namespace soma::autograd
