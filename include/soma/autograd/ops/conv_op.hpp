#pragma once
// y = conv(x, kernel) (+ bias) (then relu), channels-last, in 2 or 3 spatial dimensions: x (N, [D,] H, W, C),
// y (N, [OD,] OH, OW, O), bias (O). The kernel is Keras': (KD, KH, KW, C / groups, O) for a convolution,
// (KD, KH, KW, O, C) for a transposed one (kernels/convolution.hpp). Relu is fused when asked.
#include <array>
#include <memory>

#include "soma/autograd/tape.hpp"

namespace soma::kernels {
class Convolution;
}

namespace soma::autograd {

struct ConvGeometry {
  int64_t sh = 1, sw = 1;  // strides
  int64_t dh = 1, dw = 1;  // dilation rates
  bool same = false;  // "same" padding (TensorFlow's split: the odd pixel goes bottom/right), else "valid"
  bool causal = false;  // Conv1D's "causal": (k - 1) * dilation zeros before each axis, none after
  int64_t sd = 1, dd = 1;  // the depth axis' stride and dilation (3-D)
  int64_t groups = 1;      // C and O split into groups convolved separately (DepthwiseConv2D: C groups)
  bool transposed = false;  // Conv2DTranspose
  // Transposed only: Keras' output_padding per spatial axis (depth, height, width); -1 is None.
  std::array<int64_t, 3> output_padding = {-1, -1, -1};
};

class ConvOp final : public Node {
 public:
  ConvOp();
  ~ConvOp() override;
  ConvOp(ConvOp&&) noexcept;
  ConvOp& operator=(ConvOp&&) noexcept;

  // With bf16 the three convolutions take bfloat16 copies of x and of the output gradient, and the
  // kernel converted while reordered; accumulation, values and gradients stay float32 (mixed_bfloat16).
  Variable& forward(Tape* tape, Variable& x, Variable& kernel, Variable* bias, const ConvGeometry& geometry,
                    bool fuse_relu, bool bf16 = false);
  void backward(Tape& tape) override;
  Variable out;

  // Output extent of a convolution for an input extent, kernel extent and geometry (Keras' formula).
  static int64_t output_extent(int64_t in, int64_t k, int64_t stride, int64_t dilation, bool same);
  // Of a transposed convolution (Keras' compute_conv_transpose_output_length); output_padding -1 is None.
  static int64_t transposed_extent(int64_t in, int64_t k, int64_t stride, int64_t dilation, bool same,
                                   int64_t output_padding);

 private:
  Variable *x_ = nullptr, *kernel_ = nullptr, *bias_ = nullptr;
  bool relu_ = false;
  std::unique_ptr<kernels::Convolution> conv_;
  // The spec of the latest forward, in the kernel library's terms.
  struct Spec;
  std::unique_ptr<Spec> spec_;
  Tensor scratch_;
  Tensor x16_, g16_;  // bfloat16 operands (bf16 only)
};

}  // namespace soma::autograd
