#include "soma/autograd/ops/conv_op.hpp"

#include "kernels/convert.hpp"
#include "kernels/convolution.hpp"
#include "kernels/linear_backward.hpp"

namespace soma::autograd {

struct ConvOp::Spec : kernels::ConvSpec {};

ConvOp::ConvOp() : conv_(std::make_unique<kernels::Convolution>()), spec_(std::make_unique<Spec>()) {}
ConvOp::~ConvOp() = default;
ConvOp::ConvOp(ConvOp&&) noexcept = default;
ConvOp& ConvOp::operator=(ConvOp&&) noexcept = default;

int64_t ConvOp::output_extent(int64_t in, int64_t k, int64_t stride, int64_t dilation, bool same) {
  if (same) return (in + stride - 1) / stride;
  const int64_t span = (k - 1) * dilation + 1;
  return in >= span ? (in - span) / stride + 1 : 0;
}

int64_t ConvOp::transposed_extent(int64_t in, int64_t k, int64_t stride, int64_t dilation, bool same,
                                  int64_t output_padding) {
  const int64_t span = (k - 1) * dilation + 1;
  if (output_padding < 0) return same ? in * stride : in * stride + std::max<int64_t>(span - stride, 0);
  return (in - 1) * stride + span - 2 * (same ? span / 2 : 0) + output_padding;
}

namespace {
// TensorFlow's "same": total padding so that out = ceil(in / stride), the odd one after.
void same_padding(int64_t in, int64_t k, int64_t stride, int64_t dilation, int64_t& before, int64_t& after) {
  const int64_t out = (in + stride - 1) / stride;
  const int64_t total = std::max<int64_t>(0, (out - 1) * stride + (k - 1) * dilation + 1 - in);
  before = total / 2;
  after = total - before;
}

// A transposed convolution's full output, (in - 1) * stride + the dilated kernel, is cropped to Keras'
// length as TensorFlow does (the forward convolution's "same" split: the odd one after). When Keras' length
// exceeds the full one (output_padding, or strides past the kernel), "after" is negative: the output
// grows by positions no input reaches.
void transposed_padding(int64_t in, int64_t k, int64_t stride, int64_t dilation, bool same, int64_t op,
                        int64_t& before, int64_t& after) {
  const int64_t out = ConvOp::transposed_extent(in, k, stride, dilation, same, op);
  const int64_t total = (in - 1) * stride + (k - 1) * dilation + 1 - out;
  before = std::max<int64_t>(total, 0) / 2;
  after = total - before;
}

void axis_padding(const ConvGeometry& g, int axis, int64_t in, int64_t k, int64_t stride, int64_t dilation,
                  int64_t& before, int64_t& after) {
  if (g.transposed) {
    transposed_padding(in, k, stride, dilation, g.same, g.output_padding[axis], before, after);
  } else if (g.same) {
    same_padding(in, k, stride, dilation, before, after);
  } else if (g.causal) {
    before = (k - 1) * dilation;
    after = 0;
  } else {
    before = after = 0;
  }
}

std::string geometry_error(const Shape& xs, const Shape& ks, const ConvGeometry& g) {
  const char* want = g.transposed ? "(..., O, C) for an input of C channels"
                                  : "(..., C / groups, O) for an input of C channels";
  return "ConvOp: expected x (N, [D,] H, W, C) and a kernel of the same spatial rank, shaped " +
         std::string(want) + " (groups " + std::to_string(g.groups) + "); received x of shape " + xs.str() +
         " and a kernel of shape " + ks.str() + ".";
}
}  // namespace

Variable& ConvOp::forward(Tape* tape, Variable& x, Variable& kernel, Variable* bias, const ConvGeometry& g,
                          bool fuse_relu, bool bf16) {
  const Shape& xs = x.value.shape();
  const Shape& ks = kernel.value.shape();
  const int rank = xs.rank();
  if ((rank != 4 && rank != 5) || ks.rank() != rank || g.groups < 1 || (g.transposed && g.groups != 1)) {
    throw ShapeError(geometry_error(xs, ks, g));
  }
  const int64_t c = xs[rank - 1];
  const int64_t o = g.transposed ? ks[rank - 2] : ks[rank - 1];
  const bool channels_match = g.transposed ? ks[rank - 1] == c : ks[rank - 2] * g.groups == c;
  if (!channels_match || o % g.groups != 0) throw ShapeError(geometry_error(xs, ks, g));
  const bool volumetric = rank == 5;
  kernels::ConvSpec s{.n = xs[0],
                      .h = xs[rank - 3],
                      .w = xs[rank - 2],
                      .c = c,
                      .o = o,
                      .kh = ks[rank - 4],
                      .kw = ks[rank - 3],
                      .sh = g.sh,
                      .sw = g.sw,
                      .dh = g.dh,
                      .dw = g.dw,
                      .d = volumetric ? xs[1] : 1,
                      .kd = volumetric ? ks[0] : 1,
                      .sd = volumetric ? g.sd : 1,
                      .dd = volumetric ? g.dd : 1,
                      .groups = g.groups,
                      .transposed = g.transposed,
                      .bias = bias != nullptr,
                      .relu = fuse_relu,
                      .bf16 = bf16};
  if (volumetric) axis_padding(g, 0, s.d, s.kd, s.sd, s.dd, s.pf, s.pk);
  axis_padding(g, 1, s.h, s.kh, s.sh, s.dh, s.pt, s.pb);
  axis_padding(g, 2, s.w, s.kw, s.sw, s.dw, s.pl, s.pr);
  if (s.od() <= 0 || s.oh() <= 0 || s.ow() <= 0) {
    throw ShapeError("ConvOp: a kernel of shape " + ks.str() + " does not fit an input of shape " + xs.str() +
                     " with valid padding.");
  }
  static_cast<kernels::ConvSpec&>(*spec_) = s;
  out.value.resize(volumetric ? Shape{s.n, s.od(), s.oh(), s.ow(), s.o} : Shape{s.n, s.oh(), s.ow(), s.o});
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

void ConvOp::backward(Tape& tape) {
  if (!tape.has_grad(out)) return;
  const kernels::ConvSpec& s = *spec_;
  float* g = out.grad.f32();
  // One pass over g (rows of O): the fused relu's mask, in place, and the bias gradient.
  bool acc = false;
  Tensor* db = bias_ && bias_->requires_grad ? &tape.grad_target(*bias_, acc) : nullptr;
  if (s.bf16) g16_.resize(out.grad.shape(), DType::bfloat16);
  kernels::linear_backward_pointwise(g, relu_ ? out.value.f32() : nullptr, s.n * s.od() * s.oh() * s.ow(), s.o,
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
