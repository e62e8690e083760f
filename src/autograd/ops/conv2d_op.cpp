#include "soma/autograd/ops/conv2d_op.hpp"

#include "kernels/convert.hpp"
#include "kernels/convolution.hpp"
#include "kernels/linear_backward.hpp"

namespace soma::autograd {

struct Conv2DOp::Spec : kernels::ConvSpec {};

Conv2DOp::Conv2DOp() : conv_(std::make_unique<kernels::Convolution>()), spec_(std::make_unique<Spec>()) {}
Conv2DOp::~Conv2DOp() = default;
Conv2DOp::Conv2DOp(Conv2DOp&&) noexcept = default;
Conv2DOp& Conv2DOp::operator=(Conv2DOp&&) noexcept = default;

int64_t Conv2DOp::output_extent(int64_t in, int64_t k, int64_t stride, int64_t dilation, bool same) {
  if (same) return (in + stride - 1) / stride;
  const int64_t span = (k - 1) * dilation + 1;
  return in >= span ? (in - span) / stride + 1 : 0;
}

namespace {
// TensorFlow's "same": total padding so that out = ceil(in / stride), the odd one after.
void same_padding(int64_t in, int64_t k, int64_t stride, int64_t dilation, int64_t& before, int64_t& after) {
  const int64_t out = (in + stride - 1) / stride;
  const int64_t total = std::max<int64_t>(0, (out - 1) * stride + (k - 1) * dilation + 1 - in);
  before = total / 2;
  after = total - before;
}
}  // namespace

Variable& Conv2DOp::forward(Tape* tape, Variable& x, Variable& kernel, Variable* bias,
                            const Conv2DGeometry& g, bool fuse_relu, bool bf16) {
  const Shape& xs = x.value.shape();
  const Shape& ks = kernel.value.shape();
  if (xs.rank() != 4 || ks.rank() != 4 || xs[3] != ks[2]) {
    throw ShapeError("Conv2DOp: expected x (N, H, W, " + std::to_string(ks.rank() == 4 ? ks[2] : -1) +
                     ") for a kernel of shape " + ks.str() + ", received x of shape " + xs.str() + ".");
  }
  kernels::ConvSpec s{.n = xs[0],
                      .h = xs[1],
                      .w = xs[2],
                      .c = xs[3],
                      .o = ks[3],
                      .kh = ks[0],
                      .kw = ks[1],
                      .sh = g.sh,
                      .sw = g.sw,
                      .dh = g.dh,
                      .dw = g.dw,
                      .bias = bias != nullptr,
                      .relu = fuse_relu,
                      .bf16 = bf16};
  if (g.same) {
    same_padding(s.h, s.kh, s.sh, s.dh, s.pt, s.pb);
    same_padding(s.w, s.kw, s.sw, s.dw, s.pl, s.pr);
  }
  if (s.oh() <= 0 || s.ow() <= 0 || s.h + s.pt + s.pb < (s.kh - 1) * s.dh + 1 ||
      s.w + s.pl + s.pr < (s.kw - 1) * s.dw + 1) {
    throw ShapeError("Conv2DOp: a " + std::to_string(s.kh) + "x" + std::to_string(s.kw) +
                     " kernel (dilation " + std::to_string(s.dh) + "x" + std::to_string(s.dw) +
                     ") does not fit an input of " + std::to_string(s.h) + "x" + std::to_string(s.w) +
                     " with valid padding.");
  }
  static_cast<kernels::ConvSpec&>(*spec_) = s;
  out.value.resize(Shape{s.n, s.oh(), s.ow(), s.o});
  const void* xa = x.value.f32();
  if (bf16) {
    x16_.resize(xs, DType::bfloat16);
    kernels::to_bfloat16(x.value.f32(), x16_.data<bfloat16>(), x.value.numel());
    xa = x16_.data<bfloat16>();
  }
  conv_->forward(s, xa, kernel.value.f32(), bias ? bias->value.f32() : nullptr, out.value.f32());
  x_ = &x;
  kernel_ = &kernel;
  bias_ = bias;
  relu_ = fuse_relu;
  finish_forward(tape, out, x.requires_grad || kernel.requires_grad || (bias && bias->requires_grad));
  return out;
}

void Conv2DOp::backward(Tape& tape) {
  if (!tape.has_grad(out)) return;
  const kernels::ConvSpec& s = *spec_;
  float* g = out.grad.f32();
  // One pass over g (N*OH*OW rows of O): the fused relu's mask, in place, and the bias gradient.
  bool acc = false;
  Tensor* db = bias_ && bias_->requires_grad ? &tape.grad_target(*bias_, acc) : nullptr;
  if (s.bf16) g16_.resize(out.grad.shape(), DType::bfloat16);
  kernels::linear_backward_pointwise(g, relu_ ? out.value.f32() : nullptr, s.n * s.oh() * s.ow(), s.o,
                                     db ? db->f32() : nullptr, acc, s.bf16 ? g16_.data<bfloat16>() : nullptr);
  // With bf16, x16_ still holds the forward's operand: backward follows its forward.
  const void* xa = s.bf16 ? static_cast<const void*>(x16_.data<bfloat16>()) : x_->value.f32();
  const void* ga = s.bf16 ? static_cast<const void*>(g16_.data<bfloat16>()) : g;
  if (kernel_->requires_grad) {
    tape.write_grad(*kernel_, scratch_, [&](Tensor& dk) { conv_->backward_weights(s, xa, ga, dk.f32()); });
  }
  if (x_->requires_grad) {
    tape.write_grad(*x_, scratch_,
                    [&](Tensor& dx) { conv_->backward_data(s, ga, kernel_->value.f32(), dx.f32()); });
  }
}

}  // namespace soma::autograd
